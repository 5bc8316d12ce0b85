/**
 * stderr and stdout redirected with `>>` to a file that already holds lines (cron's
 * `2>>/var/log/spip/spip.err`): the sensor, run with the start task's own permissions, appends
 * after them. With those permissions Deno refuses `stat` of /proc/self/fd/2 (it needs
 * --allow-all), so the file is reopened through /proc; without O_APPEND the reopened description
 * wrote from offset 0, over the earlier lines (the firewall's line, a previous run's records).
 */
import { assertEquals, assertMatch } from "../../testing/std.ts";
import { startArgv } from "../../testing/start_task.ts";

Deno.test("a bad config's line is appended to a stderr file that already holds lines", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spip-append-" });
  try {
    const err = `${dir}/spip.err`;
    await Deno.writeTextFile(err, "spip firewall: applied (redirect, iptables) to port 5555\n");
    const argv = startArgv(["--config", `${dir}/missing.toml`]).map((word) => `'${word}'`);
    const out = await new Deno.Command("sh", {
      args: ["-c", `${argv.join(" ")} 2>>'${err}'`],
      stdout: "null",
      stderr: "null",
    }).output();
    assertEquals(out.code, 2);
    const lines = (await Deno.readTextFile(err)).split("\n");
    assertEquals(lines[0], "spip firewall: applied (redirect, iptables) to port 5555");
    assertMatch(lines[1] ?? "", /^Cannot load config .*missing\.toml: no such file$/);
    assertEquals(lines.length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import { assertEquals, assertMatch } from "../../testing/std.ts";
import { startTask } from "../../testing/start_task.ts";
import { connect, withTopology } from "./firewall_helpers.ts";

const PORT = 18081;

Deno.test("a second instance (cron's periodic start) exits at once with code 3", async () => {
  const flags = startTask().filter((word) => word.startsWith("--allow-"));
  const dir = await Deno.makeTempDir({ prefix: "spip-deploy-" });
  try {
    const file = `${dir}/config.toml`;
    await Deno.writeTextFile(file, `ip = "::"\nport = ${PORT}\nname = "t"\n`);
    await withTopology(async ({ sensor }) => {
      const spip = (): Deno.Command =>
        new Deno.Command("ip", {
          args: [
            "netns",
            "exec",
            sensor,
            Deno.execPath(),
            "run",
            ...flags,
            "main.ts",
            "--config",
            file,
          ],
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        });
      const first = spip().spawn();
      try {
        // Wait (bounded) until the first instance accepts connections.
        let answer = "";
        for (let i = 0; i < 100 && answer !== "ok"; i++) {
          answer = (await connect(sensor, "127.0.0.1", PORT)) === "refused" ? "" : "ok";
          if (answer !== "ok") await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assertEquals(answer, "ok");
        const started = performance.now();
        const second = await spip().output();
        assertEquals(second.code, 3);
        const lines = new TextDecoder().decode(second.stderr).trimEnd().split("\n");
        assertEquals(lines.length, 1);
        assertMatch(lines[0] ?? "", /^Cannot listen on :: port 18081: port in use$/);
        assertEquals(performance.now() - started < 10_000, true);
        // The first one is untouched.
        assertEquals((await connect(sensor, "127.0.0.1", PORT)) === "refused", false);
      } finally {
        first.kill("SIGTERM");
        await first.stderr.cancel();
        await first.status;
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

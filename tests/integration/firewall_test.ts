import { assertEquals, assertMatch, assertNotEquals } from "../../testing/std.ts";
import { startTask } from "../../testing/start_task.ts";
import { type Config, configFromTable } from "../../src/config/config.ts";
import { runFirewallCommand } from "../../src/firewall/command.ts";
import {
  CLIENT_V4,
  connect,
  installForeignRules,
  Listener,
  sendDatagram,
  SENSOR_V4,
  SENSOR_V6,
  snapshot,
  withTopology,
} from "./firewall_helpers.ts";

const PORT = 18080;
const SSH_PORT = 2222;
const EXCLUDED = 7777;

function config(
  mode: "redirect" | "tproxy",
  udp: boolean,
  extra: Record<string, unknown> = {},
): Config {
  return configFromTable({
    ip: "::",
    port: PORT,
    name: "test",
    mode,
    ssh_port: SSH_PORT,
    exclude_ports: [EXCLUDED],
    udp: { enabled: udp },
    ...extra,
  }, "test.toml");
}

/** Runs `spip firewall ARGS` inside a namespace, collecting its diagnostics. */
async function firewall(
  ns: string,
  args: string[],
  mode: "redirect" | "tproxy",
  udp: boolean,
  sshConnection?: string,
): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runFirewallCommand(args, config(mode, udp), {
    netns: ns,
    stderr: (line) => lines.push(line),
    stdout: (text) => lines.push(text),
    sshConnection,
  });
  return { code, lines };
}

for (const backend of ["iptables", "nft"] as const) {
  for (const mode of ["redirect", "tproxy"] as const) {
    const udp = mode === "tproxy";
    const flags = backend === "nft" ? ["--nft"] : [];
    Deno.test(`firewall ${backend} ${mode}: apply captures, spares SSH and excluded ports, twice is once, remove restores`, async () => {
      await withTopology(async ({ sensor, client }) => {
        await installForeignRules(sensor);
        const before = await snapshot(sensor);
        const listener = await Listener.start(sensor, PORT, SSH_PORT, mode === "tproxy");
        try {
          // The session's server port is the SSH port, so apply must go ahead.
          const session = `${CLIENT_V4} 50000 ${SENSOR_V4} ${SSH_PORT}`;
          const first = await firewall(sensor, ["apply", ...flags], mode, udp, session);
          assertEquals(first.code, 0, first.lines.join("\n"));
          const once = await snapshot(sensor);
          assertNotEquals(once, before);
          const second = await firewall(sensor, ["apply", ...flags], mode, udp, session);
          assertEquals(second.code, 0, second.lines.join("\n"));
          assertEquals(await snapshot(sensor), once);

          assertEquals(await connect(client, SENSOR_V4, 4444), `sensor ${SENSOR_V4} 4444`);
          assertEquals(await connect(client, SENSOR_V6, 4445), `sensor ${SENSOR_V6} 4445`);
          assertEquals(await connect(client, SENSOR_V4, PORT), `sensor ${SENSOR_V4} ${PORT}`);
          assertEquals(await connect(client, SENSOR_V4, SSH_PORT), `ssh ${SENSOR_V4} ${SSH_PORT}`);
          assertEquals(await connect(client, SENSOR_V6, SSH_PORT), `ssh ${SENSOR_V6} ${SSH_PORT}`);
          assertEquals(await connect(client, SENSOR_V4, EXCLUDED), "refused");
          // This host's own outbound connections still get their replies.
          const remote = await Listener.start(client, 4446, 4447, false);
          try {
            assertEquals(await connect(sensor, CLIENT_V4, 4446), `sensor ${CLIENT_V4} 4446`);
          } finally {
            await remote.stop();
          }
          if (udp) {
            await sendDatagram(client, SENSOR_V4, 5353);
            assertEquals(await listener.nextLine(3000), `udp ${SENSOR_V4} 5353 hello`);
          }

          const removed = await firewall(sensor, ["remove", ...flags], mode, udp);
          assertEquals(removed.code, 0, removed.lines.join("\n"));
          assertEquals(await snapshot(sensor), before);
          assertEquals(await connect(client, SENSOR_V4, 4444), "refused");
          assertEquals(await connect(client, SENSOR_V4, SSH_PORT), `ssh ${SENSOR_V4} ${SSH_PORT}`);
          const again = await firewall(sensor, ["remove", ...flags], mode, udp);
          assertEquals(again.code, 0, again.lines.join("\n"));
          assertEquals(await snapshot(sensor), before);
        } finally {
          await listener.stop();
        }
      });
    });
  }
}

Deno.test("firewall remove without --nft also removes an nft ruleset, and vice versa", async () => {
  await withTopology(async ({ sensor }) => {
    await installForeignRules(sensor);
    const before = await snapshot(sensor);
    assertEquals((await firewall(sensor, ["apply", "--nft"], "tproxy", true)).code, 0);
    assertEquals((await firewall(sensor, ["remove"], "redirect", false)).code, 0);
    assertEquals(await snapshot(sensor), before);
    assertEquals((await firewall(sensor, ["apply"], "tproxy", false)).code, 0);
    assertEquals((await firewall(sensor, ["remove", "--nft"], "redirect", false)).code, 0);
    assertEquals(await snapshot(sensor), before);
  });
});

Deno.test("firewall apply refuses to capture the SSH session's port or the sensor's port", async () => {
  await withTopology(async ({ sensor }) => {
    await installForeignRules(sensor);
    const before = await snapshot(sensor);
    for (const backend of [[], ["--nft"]]) {
      const captured = await firewall(
        sensor,
        ["apply", ...backend],
        "redirect",
        false,
        `${CLIENT_V4} 50000 ${SENSOR_V4} 2200`,
      );
      assertEquals(captured.code, 1);
      assertEquals(captured.lines.length, 1);
      assertMatch(
        captured.lines[0] ?? "",
        /^Cannot apply firewall: it would capture port 2200 of the current SSH session/,
      );

      const sensorPort = await firewall(
        sensor,
        ["apply", ...backend],
        "redirect",
        false,
        `${CLIENT_V4} 50000 ${SENSOR_V4} ${PORT}`,
      );
      assertEquals(sensorPort.code, 1);
      assertMatch(
        sensorPort.lines[0] ?? "",
        /^Cannot apply firewall: the sensor's port 18080 is the port of the current SSH session/,
      );
      assertEquals(await snapshot(sensor), before);
    }
    const lines: string[] = [];
    const code = await runFirewallCommand(
      ["apply"],
      config("redirect", false, { ssh_port: PORT }),
      {
        netns: sensor,
        stderr: (line) => lines.push(line),
        sshConnection: undefined,
      },
    );
    assertEquals(code, 1);
    assertEquals(lines, [
      "Cannot build firewall rules: the sensor's port 18080 is the SSH port (ssh_port)",
    ]);
    assertEquals(await snapshot(sensor), before);
  });
});

Deno.test("spip firewall apply/remove through main.ts with the start task's permissions", async () => {
  const flags = startTask().filter((word) => word.startsWith("--allow-"));
  const dir = await Deno.makeTempDir({ prefix: "spip-fw-" });
  try {
    const file = `${dir}/config.toml`;
    await Deno.writeTextFile(
      file,
      `ip = "::"\nport = ${PORT}\nname = "t"\nssh_port = ${SSH_PORT}\n`,
    );
    await withTopology(async ({ sensor }) => {
      await installForeignRules(sensor);
      const before = await snapshot(sensor);
      const spip = async (...args: string[]): Promise<Deno.CommandOutput> =>
        await new Deno.Command("ip", {
          args: ["netns", "exec", sensor, Deno.execPath(), "run", ...flags, "main.ts", ...args],
          env: { SSH_CONNECTION: `${CLIENT_V4} 50000 ${SENSOR_V4} ${SSH_PORT}` },
          stdout: "piped",
          stderr: "piped",
        }).output();
      const applied = await spip("firewall", "apply", "--config", file);
      assertEquals(
        new TextDecoder().decode(applied.stderr),
        `spip firewall: applied (redirect, iptables) to port ${PORT}\n`,
      );
      assertEquals(applied.code, 0);
      assertNotEquals(await snapshot(sensor), before);
      const removed = await spip("firewall", "remove", "--config", file);
      assertEquals(removed.code, 0);
      assertEquals(await snapshot(sensor), before);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

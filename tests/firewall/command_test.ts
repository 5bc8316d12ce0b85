import {
  assertEquals,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "../../testing/std.ts";
import { configFromTable } from "../../src/config/config.ts";
import {
  FIREWALL_HELP,
  parseFirewallArgs,
  runFirewallCommand,
} from "../../src/firewall/command.ts";
import { firewallScript, firewallSettings } from "../../src/firewall/rules.ts";

const CONFIG = configFromTable({ ip: "::", port: 5555, name: "n" }, "c.toml");

Deno.test("parseFirewallArgs reads the action, --nft and --config", () => {
  assertEquals(parseFirewallArgs(["print"]), { action: "print", backend: "iptables" });
  assertEquals(parseFirewallArgs(["apply", "--nft"]), { action: "apply", backend: "nft" });
  assertEquals(parseFirewallArgs(["--config", "/etc/spip/config.toml", "remove"]), {
    action: "remove",
    backend: "iptables",
    config: "/etc/spip/config.toml",
  });
  assertThrows(
    () => parseFirewallArgs([]),
    TypeError,
    "expected print, apply or remove, found no action",
  );
  assertThrows(() => parseFirewallArgs(["flush"]), TypeError, 'found "flush"');
  assertThrows(() => parseFirewallArgs(["apply", "now"]), TypeError, 'unexpected "now"');
  assertThrows(
    () => parseFirewallArgs(["apply", "--force"]),
    TypeError,
    "unknown argument --force",
  );
  assertThrows(() => parseFirewallArgs(["apply", "--config"]), TypeError, "--config needs a path");
});

Deno.test("runFirewallCommand print writes the script and nothing else", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runFirewallCommand(["print", "--nft"], CONFIG, {
    stdout: (text) => out.push(text),
    stderr: (line) => err.push(line),
  });
  assertEquals(code, 0);
  assertEquals(out, [firewallScript(firewallSettings(CONFIG), "nft")]);
  assertEquals(err, []);
});

Deno.test("runFirewallCommand reports bad arguments and bad settings in one line", async () => {
  const err: string[] = [];
  const stderr = (line: string): void => void err.push(line);
  assertEquals(await runFirewallCommand(["wipe"], CONFIG, { stderr }), 2);
  // The config loader already refuses UDP in redirect mode; the firewall checks it again.
  const udpRedirect = {
    ...configFromTable(
      { ip: "::", port: 5555, name: "n", mode: "tproxy", udp: { enabled: true } },
      "c.toml",
    ),
    mode: "redirect" as const,
  };
  assertEquals(await runFirewallCommand(["print"], udpRedirect, { stderr }), 1);
  assertEquals(err.length, 2);
  assertMatch(
    err[0] ?? "",
    /^Cannot parse arguments: expected print, apply or remove, found "wipe"/,
  );
  assertMatch(err[1] ?? "", /^Cannot build firewall rules: \[udp\] enabled = true needs mode/);
  for (const line of err) assertEquals(line.includes("\n"), false);
});

Deno.test("firewall --help (or -h, with any action) prints the help on stdout and exits 0", async () => {
  for (const args of [["--help"], ["-h"], ["apply", "--help"]]) {
    assertEquals(parseFirewallArgs(args), { action: "help", backend: "iptables" });
    const out: string[] = [];
    const err: string[] = [];
    const code = await runFirewallCommand(args, CONFIG, {
      stdout: (text) => out.push(text),
      stderr: (line) => err.push(line),
    });
    assertEquals(code, 0);
    assertEquals(out, [`${FIREWALL_HELP}\n`]);
    assertEquals(err, []);
  }
  assertStringIncludes(FIREWALL_HELP, "every UDP port");
  assertStringIncludes(FIREWALL_HELP, "every TCP port");
});

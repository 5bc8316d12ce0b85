import { assertEquals, assertStringIncludes, assertThrows } from "../../testing/std.ts";
import { configFromTable } from "../../src/config/config.ts";
import {
  capturesPort,
  excludedPorts,
  firewallScript,
  type FirewallSettings,
  firewallSettings,
  iptablesCommands,
  nftRuleset,
  refusalReason,
  routingCommands,
  routingRemovalCommands,
  shellLine,
  sshSessionPort,
} from "../../src/firewall/rules.ts";

const REDIRECT: FirewallSettings = {
  port: 5555,
  mode: "redirect",
  sshPort: 22,
  excludePorts: [443, 80, 443],
  udp: false,
};
const TPROXY: FirewallSettings = { ...REDIRECT, mode: "tproxy", udp: true };

Deno.test("firewallSettings reads mode, ssh_port, exclude_ports and [udp] enabled", () => {
  const defaults = configFromTable({ ip: "::", port: 5555, name: "n" }, "c.toml");
  assertEquals(firewallSettings(defaults), {
    port: 5555,
    mode: "redirect",
    sshPort: 22,
    excludePorts: [],
    udp: false,
  });
  const set = configFromTable({
    ip: "::",
    port: 5555,
    name: "n",
    mode: "tproxy",
    ssh_port: 2222,
    exclude_ports: [80],
    udp: { enabled: true },
  }, "c.toml");
  assertEquals(firewallSettings(set), {
    port: 5555,
    mode: "tproxy",
    sshPort: 2222,
    excludePorts: [80],
    udp: true,
  });
});

Deno.test("config rejects a bad mode, ssh_port, exclude_ports or [udp] key", () => {
  const base = { ip: "::", port: 5555, name: "n" };
  assertThrows(
    () => configFromTable({ ...base, mode: "nat" }, "c.toml"),
    RangeError,
    'Cannot load config c.toml: key "mode": expected one of "redirect", "tproxy"',
  );
  assertThrows(() => configFromTable({ ...base, ssh_port: 0 }, "c.toml"), RangeError, "ssh_port");
  assertThrows(
    () => configFromTable({ ...base, exclude_ports: [80, 70000] }, "c.toml"),
    RangeError,
    "exclude_ports",
  );
  assertThrows(
    () => configFromTable({ ...base, mode: "tproxy", udp: { enabled: true, bogus: 1 } }, "c.toml"),
    TypeError,
    'key "udp.bogus"',
  );
});

Deno.test("excludedPorts: the SSH port for TCP only, exclude_ports and the sensor's port", () => {
  assertEquals(excludedPorts(REDIRECT, "tcp"), [22, 80, 443, 5555]);
  assertEquals(excludedPorts(TPROXY, "udp"), [80, 443, 5555]);
  assertEquals(capturesPort(REDIRECT, 8080), true);
  assertEquals(capturesPort(REDIRECT, 22), false);
  assertEquals(capturesPort(REDIRECT, 5555), false);
  assertEquals(capturesPort(REDIRECT, 53, "udp"), false);
  assertEquals(capturesPort(TPROXY, 53, "udp"), true);
  assertEquals(capturesPort(TPROXY, 22, "udp"), true);
});

Deno.test("iptablesCommands in REDIRECT mode: a tagged nat chain per family", () => {
  const ipv4 = iptablesCommands(REDIRECT).filter((argv) => argv[0] === "iptables").map(shellLine);
  assertEquals(ipv4, [
    "iptables -w -t nat -N SPIP",
    "iptables -w -t nat -A SPIP -m addrtype '!' --dst-type LOCAL -m comment --comment spip -j RETURN",
    "iptables -w -t nat -A SPIP -p tcp --dport 22 -m comment --comment spip -j RETURN",
    "iptables -w -t nat -A SPIP -p tcp --dport 80 -m comment --comment spip -j RETURN",
    "iptables -w -t nat -A SPIP -p tcp --dport 443 -m comment --comment spip -j RETURN",
    "iptables -w -t nat -A SPIP -p tcp --dport 5555 -m comment --comment spip -j RETURN",
    "iptables -w -t nat -A SPIP -p tcp -m comment --comment spip -j REDIRECT --to-ports 5555",
    "iptables -w -t nat -A PREROUTING -m comment --comment spip -j SPIP",
  ]);
  const ipv6 = iptablesCommands(REDIRECT).filter((argv) => argv[0] === "ip6tables");
  assertEquals(
    ipv6.map((argv) => argv.slice(1)),
    iptablesCommands(REDIRECT).slice(0, 8).map((argv) => argv.slice(1)),
  );
  for (const argv of iptablesCommands(REDIRECT)) {
    if (argv.includes("-A")) assertStringIncludes(shellLine(argv), "-m comment --comment spip");
  }
  assertEquals(routingCommands(REDIRECT), []);
});

Deno.test("iptablesCommands in TPROXY mode: mangle, replies spared, UDP with local sockets spared", () => {
  const ipv4 = iptablesCommands(TPROXY).filter((argv) => argv[0] === "iptables").map(shellLine);
  assertEquals(ipv4[0], "iptables -w -t mangle -N SPIP");
  assertEquals(
    ipv4[2],
    "iptables -w -t mangle -A SPIP -m conntrack --ctdir REPLY -m comment --comment spip -j RETURN",
  );
  assertEquals(
    ipv4.filter((line) => line.includes("TPROXY")),
    ["tcp", "udp"].map((p) =>
      `iptables -w -t mangle -A SPIP -p ${p} -m comment --comment spip -j TPROXY --on-port 5555 --tproxy-mark 1/1`
    ),
  );
  assertEquals(
    ipv4.filter((line) => line.includes("-p udp --dport")).map((line) => line.split(" ")[9]),
    ["80", "443", "5555"],
  );
  assertStringIncludes(
    ipv4.join("\n"),
    "-p udp -m socket --nowildcard -m comment --comment spip -j RETURN",
  );
  assertEquals(
    ipv4.at(-1),
    "iptables -w -t mangle -A PREROUTING -m comment --comment spip -j SPIP",
  );
  assertEquals(routingCommands(TPROXY).map(shellLine), [
    "ip -4 rule add fwmark 1 lookup 100 protocol 115",
    "ip -4 route add local 0.0.0.0/0 dev lo table 100 proto 115",
    "ip -6 rule add fwmark 1 lookup 100 protocol 115",
    "ip -6 route add local ::/0 dev lo table 100 proto 115",
  ]);
  assertEquals(routingRemovalCommands().map(shellLine), [
    "ip -4 rule del fwmark 1 lookup 100 protocol 115",
    "ip -4 route del local 0.0.0.0/0 dev lo table 100 proto 115",
    "ip -6 rule del fwmark 1 lookup 100 protocol 115",
    "ip -6 route del local ::/0 dev lo table 100 proto 115",
  ]);
});

Deno.test("nftRuleset replaces table inet spip in one transaction", () => {
  assertEquals(
    nftRuleset(REDIRECT),
    [
      "table inet spip",
      "delete table inet spip",
      "table inet spip {",
      "\tchain prerouting {",
      "\t\ttype nat hook prerouting priority dstnat; policy accept;",
      "\t\tfib daddr type != local return",
      "\t\ttcp dport { 22, 80, 443, 5555 } return",
      "\t\tmeta l4proto tcp redirect to :5555",
      "\t}",
      "}",
      "",
    ].join("\n"),
  );
  const tproxy = nftRuleset(TPROXY);
  assertStringIncludes(tproxy, "type filter hook prerouting priority mangle; policy accept;");
  assertStringIncludes(tproxy, "\t\tct direction reply return\n");
  assertStringIncludes(tproxy, "\t\tudp dport { 80, 443, 5555 } return\n");
  assertStringIncludes(tproxy, "\t\tmeta l4proto udp socket transparent 0 return\n");
  assertStringIncludes(
    tproxy,
    "meta l4proto tcp tproxy to :5555 meta mark set meta mark | 1 accept",
  );
  assertStringIncludes(
    tproxy,
    "meta l4proto udp tproxy to :5555 meta mark set meta mark | 1 accept",
  );
  assertStringIncludes(
    nftRuleset({ ...REDIRECT, excludePorts: [], sshPort: 5555 + 1 }),
    "tcp dport { 5555, 5556 } return",
  );
});

Deno.test("firewallScript is a shell script of what apply runs", () => {
  const script = firewallScript(TPROXY, "nft");
  assertEquals(script.split("\n").slice(0, 5), [
    "#!/bin/sh",
    "# Spip firewall: tproxy mode, tcp+udp, to port 5555; not captured: ssh port 22, " +
    "exclude_ports 443,80,443, the sensor's port.",
    "# Remove with: spip firewall remove --nft",
    "set -e",
    "nft -f - <<'EOF'",
  ]);
  assertStringIncludes(script, `${nftRuleset(TPROXY).trimEnd()}\nEOF\nip -4 rule add`);
  const iptables = firewallScript(REDIRECT, "iptables");
  assertStringIncludes(iptables, iptablesCommands(REDIRECT).map(shellLine).join("\n"));
});

Deno.test("rules refuse UDP in REDIRECT mode and a sensor on the SSH port", () => {
  assertThrows(
    () => iptablesCommands({ ...REDIRECT, udp: true }),
    RangeError,
    'Cannot build firewall rules: [udp] enabled = true needs mode = "tproxy"',
  );
  assertThrows(
    () => nftRuleset({ ...REDIRECT, sshPort: 5555 }),
    RangeError,
    "Cannot build firewall rules: the sensor's port 5555 is the SSH port (ssh_port)",
  );
});

Deno.test("sshSessionPort reads the fourth field of SSH_CONNECTION", () => {
  assertEquals(sshSessionPort("203.0.113.9 50122 198.51.100.4 22"), 22);
  assertEquals(sshSessionPort("2001:db8::9 50122 2001:db8::4 2222\n"), 2222);
  assertEquals(sshSessionPort(undefined), null);
  assertEquals(sshSessionPort(""), null);
  assertEquals(sshSessionPort("203.0.113.9 50122 198.51.100.4"), null);
  assertEquals(sshSessionPort("203.0.113.9 50122 198.51.100.4 99999"), null);
});

Deno.test("refusalReason protects the current SSH session and the sensor's port", () => {
  assertEquals(refusalReason(REDIRECT, undefined), null);
  assertEquals(refusalReason(REDIRECT, "203.0.113.9 50122 198.51.100.4 22"), null);
  assertEquals(refusalReason(REDIRECT, "203.0.113.9 50122 198.51.100.4 443"), null);
  assertEquals(
    refusalReason(REDIRECT, "203.0.113.9 50122 198.51.100.4 2200"),
    "Cannot apply firewall: it would capture port 2200 of the current SSH session " +
      "(SSH_CONNECTION); set ssh_port = 2200 or add it to exclude_ports",
  );
  assertEquals(
    refusalReason(REDIRECT, "203.0.113.9 50122 198.51.100.4 5555"),
    "Cannot apply firewall: the sensor's port 5555 is the port of the current SSH session " +
      "(SSH_CONNECTION)",
  );
});

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "../../testing/std.ts";
import { parseToml } from "../../src/std.ts";
import { largestRecordLineBytes } from "../../src/output/line_bound.ts";
import RECORD_SCHEMA from "../../schema/record.schema.json" with { type: "json" };

const decoder = new TextDecoder();
const UNIT = await Deno.readTextFile(new URL("../../deploy/spip.service", import.meta.url));
const LOGROTATE = await Deno.readTextFile(new URL("../../deploy/logrotate.conf", import.meta.url));
const VECTOR = await Deno.readTextFile(new URL("../../deploy/vector.toml", import.meta.url));
const TEMPLATE = await Deno.readTextFile(
  new URL("../../deploy/elasticsearch-template.json", import.meta.url),
);
const CRONTAB = await Deno.readTextFile(new URL("../../deploy/crontab.example", import.meta.url));
const BINARY = "/opt/spip/spip";
const RECORDS = "/var/log/spip/spip.jsonl";

async function run(program: string, ...args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
}

/** The unit's `Key=value` settings, in order. */
function settings(unit: string): [string, string][] {
  return unit.split("\n")
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]);
}

/** Copies the unit into a temporary directory, pointing it at a stand-in executable. */
async function withStandIn(body: (unitPath: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spip-deploy-" });
  try {
    const binary = `${dir}/spip`;
    await Deno.writeTextFile(binary, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const unitPath = `${dir}/spip.service`;
    await Deno.writeTextFile(unitPath, UNIT.replaceAll(BINARY, binary));
    await body(unitPath);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("deploy/spip.service passes systemd-analyze verify", async () => {
  await withStandIn(async (unitPath) => {
    const output = await run("systemd-analyze", "verify", unitPath);
    assertEquals(decoder.decode(output.stderr), "");
    assertEquals(output.code, 0);
  });
});

Deno.test("deploy/spip.service scores OK (at most 2.0) in systemd-analyze security", async () => {
  await withStandIn(async (unitPath) => {
    const output = await run("systemd-analyze", "security", "--offline=true", unitPath);
    const text = decoder.decode(output.stdout);
    const match = text.match(/Overall exposure level for spip\.service: (\d+\.\d+)/);
    const level = match?.[1];
    if (level === undefined) throw new Error(`Cannot find the exposure level in: ${text}`);
    assert(Number(level) <= 2.0, `exposure ${level}`);
  });
});

Deno.test("deploy/spip.service runs unprivileged, hardened, and restarts on failure", () => {
  const unit = new Map(settings(UNIT));
  assertEquals(
    unit.get("ExecStart"),
    `${BINARY} --config /etc/spip/config.toml --output ${RECORDS}`,
  );
  assertEquals(unit.get("ExecReload"), `/bin/sh -c 'kill -HUP "$MAINPID"'`);
  assertEquals(
    unit.get("ExecStartPre"),
    `+${BINARY} firewall apply --config /etc/spip/config.toml`,
  );
  assertEquals(
    unit.get("ExecStopPost"),
    `+${BINARY} firewall remove --config /etc/spip/config.toml`,
  );
  assertEquals(unit.get("StandardOutput"), "journal");
  for (
    const [key, value] of [
      ["User", "spip"],
      ["Group", "spip"],
      ["LogsDirectory", "spip"],
      ["LogsDirectoryMode", "0750"],
      ["UMask", "0027"],
      ["CapabilityBoundingSet", ""],
      ["AmbientCapabilities", ""],
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["ProtectHome", "yes"],
      ["PrivateTmp", "yes"],
      ["Restart", "on-failure"],
      ["RestartPreventExitStatus", "2 3"],
    ]
  ) {
    assertEquals(unit.get(key ?? ""), value, key);
  }
  assertEquals(unit.has("MemoryDenyWriteExecute"), false, "V8 needs W+X memory");
  // DynamicUser= would move LogsDirectory under /var/log/private (0700): no shipper could read.
  assertEquals(unit.has("DynamicUser"), false);
  assertStringIncludes(UNIT, "CapabilityBoundingSet=CAP_NET_BIND_SERVICE");
  assertStringIncludes(UNIT, "AmbientCapabilities=CAP_NET_ADMIN");
});

Deno.test("deploy/spip.sysusers.conf creates the unit's user and group with systemd-sysusers", async () => {
  const root = await Deno.makeTempDir({ prefix: "spip-sysusers-" });
  try {
    await Deno.mkdir(`${root}/etc/sysusers.d`, { recursive: true });
    await Deno.copyFile(
      new URL("../../deploy/spip.sysusers.conf", import.meta.url),
      `${root}/etc/sysusers.d/spip.conf`,
    );
    const output = await run("systemd-sysusers", `--root=${root}`);
    assertEquals(output.code, 0, decoder.decode(output.stderr));
    const passwd = await Deno.readTextFile(`${root}/etc/passwd`);
    assertMatch(passwd, /^spip:x:(\d+):(\d+):Spip internet sensor:\/:\/usr\/sbin\/nologin$/m);
    assertMatch(await Deno.readTextFile(`${root}/etc/group`), /^spip:x:\d+:/m);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deploy/logrotate.conf renames, leaves creating to Spip, and sends SIGHUP", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spip-logrotate-" });
  try {
    const log = `${dir}/spip.jsonl`;
    await Deno.writeTextFile(log, '{"seq":1}\n');
    const config = LOGROTATE.replaceAll(RECORDS, log)
      .replace(
        "systemctl kill --signal=HUP --kill-whom=main spip.service",
        `touch ${dir}/signalled`,
      );
    assert(config !== LOGROTATE && config.includes(`touch ${dir}/signalled`));
    await Deno.writeTextFile(`${dir}/logrotate.conf`, config);
    const check = await run("logrotate", "-d", "-s", `${dir}/state`, `${dir}/logrotate.conf`);
    assertEquals(check.code, 0, decoder.decode(check.stderr));
    assertEquals(await Deno.readTextFile(log), '{"seq":1}\n', "-d changes nothing");

    const rotate = await run("logrotate", "-f", "-s", `${dir}/state`, `${dir}/logrotate.conf`);
    assertEquals(rotate.code, 0, decoder.decode(rotate.stderr));
    assertEquals(await Deno.readTextFile(`${log}.1`), '{"seq":1}\n');
    // nocreate: the sensor creates the new file itself when it reopens on SIGHUP.
    await assertRejects(() => Deno.stat(log), Deno.errors.NotFound);
    assert((await Deno.stat(`${dir}/signalled`)).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deploy/vector.toml reads the unit's records file and labels by sensor name", () => {
  const config = parseToml(VECTOR);
  const sources = config["sources"] as Record<string, Record<string, unknown>>;
  const sinks = config["sinks"] as Record<string, Record<string, unknown>>;
  assertEquals(sources["spip_file"]?.["include"], [RECORDS]);
  assertEquals(sources["spip_file"]?.["type"], "file");
  const loki = sinks["loki"];
  assertEquals((loki?.["labels"] as Record<string, string>)["sensor"], "{{ sensor_name }}");
  assertEquals(loki?.["inputs"], ["spip"]);
  assertEquals(sinks["elasticsearch"]?.["inputs"], ["spip"]);
});

Deno.test("deploy/vector.toml: event time from the record, Spip's timestamp kept, index names valid", () => {
  const config = parseToml(VECTOR);
  const sinks = config["sinks"] as Record<string, Record<string, unknown>>;
  const remap = String(
    (config["transforms"] as Record<string, Record<string, unknown>>)["spip"]
      ?.["source"],
  );
  // Both sinks read the event time from the log schema's timestamp key: it must be the field the
  // remap fills from timestamp_ms, not Spip's integer `timestamp` (Loki would delete it).
  const key = (config["log_schema"] as Record<string, string>)["timestamp_key"];
  assertEquals(key, "@timestamp");
  assertStringIncludes(
    remap,
    '."@timestamp" = from_unix_timestamp!(to_int!(.timestamp_ms), unit: "milliseconds")',
  );
  assert(!/^\s*\.timestamp\s*=/m.test(remap), "the remap must not touch Spip's timestamp");
  assertEquals(sinks["loki"]?.["remove_timestamp"], true);
  // The index name: lower case, no characters Elasticsearch refuses, date from @timestamp.
  assertStringIncludes(remap, "downcase(string!(.sensor_name))");
  assertStringIncludes(remap, "r'[^a-z0-9._-]'");
  const index = String((sinks["elasticsearch"]?.["bulk"] as Record<string, string>)["index"]);
  assertEquals(index, "spip-{{ spip_index }}-%Y.%m.%d");
  for (const sink of ["elasticsearch", "loki"]) {
    assertEquals(
      (sinks[sink]?.["encoding"] as Record<string, unknown>)["except_fields"],
      ["spip_index"],
      sink,
    );
  }
});

Deno.test("deploy/vector.toml's max_line_bytes covers the longest record line", () => {
  const source =
    (parseToml(VECTOR)["sources"] as Record<string, Record<string, number>>)["spip_file"];
  const limit = source?.["max_line_bytes"] ?? 0;
  // The defaults, and UDP at its largest max_datagram.
  const defaults = {
    readSize: 4096,
    tlsEnabled: true,
    greetEnabled: true,
    udpEnabled: true,
    udpMaxDatagram: 4096,
  };
  assert(limit >= largestRecordLineBytes(defaults));
  assert(limit >= largestRecordLineBytes({ ...defaults, udpMaxDatagram: 65535 }));
  assertStringIncludes(VECTOR, "8 x read_size + 6 x 65536 + 4096");
});

Deno.test("deploy/elasticsearch-template.json maps every record field, addresses as ip", () => {
  const template = JSON.parse(TEMPLATE);
  assertEquals(template.index_patterns, ["spip-*"]);
  const mapped = template.template.mappings.properties as Record<
    string,
    { type: string; format?: string }
  >;
  const types: Record<string, string> = {
    integer: "integer",
    boolean: "boolean",
    string: "keyword",
    array: "keyword",
  };
  for (const [field, spec] of Object.entries(RECORD_SCHEMA.properties)) {
    const mapping = mapped[field];
    if (mapping === undefined) throw new Error(`Cannot find a mapping for ${field}`);
    const declared = spec as { type?: string | string[]; $ref?: string; const?: unknown };
    const type = Array.isArray(declared.type) ? declared.type[0] : declared.type;
    const expected = field.endsWith("_ip")
      ? "ip"
      : field === "timestamp" || field === "timestamp_ms"
      ? "date"
      : field === "payload"
      ? "text"
      : field.endsWith("_port")
      ? "integer"
      : declared.const === true
      ? "boolean"
      : types[type ?? "string"] ?? "keyword";
    assertEquals(mapping.type, expected, field);
  }
  assertEquals(mapped["timestamp"], { type: "date", format: "epoch_second" });
  assertEquals(mapped["timestamp_ms"], { type: "date", format: "epoch_millis" });
  assertEquals(mapped["@timestamp"], { type: "date" });
});

Deno.test("deploy/crontab.example starts the unit's command at boot and every 5 minutes", () => {
  const entries = CRONTAB.split("\n").filter((line) => line !== "" && !line.startsWith("#"))
    .filter((line) => !/^[A-Z]+=/.test(line));
  assertEquals(entries.length, 2);
  const command = `${BINARY} --config /etc/spip/config.toml >>${RECORDS}`;
  assertMatch(entries[0] ?? "", /^@reboot\s+/);
  assertStringIncludes(entries[0] ?? "", `${BINARY} firewall apply --config /etc/spip/config.toml`);
  assertStringIncludes(entries[0] ?? "", command);
  assertMatch(entries[1] ?? "", /^\*\/5 \* \* \* \*\s+/);
  assertStringIncludes(entries[1] ?? "", command);
});

/**
 * The cron deployment of `docs/deployment.md` ("### cron (`deploy/crontab.example`)") followed
 * step by step, as an operator follows it on a fresh VPS: here a fresh sensor namespace joined by
 * a veth pair to a client namespace, with every absolute path of the instructions moved under a
 * temporary directory.
 *
 * ONE SUBSTITUTION: `deno compile` cannot produce a runnable binary here (its base binary `denort`
 * is downloaded from dl.deno.land, which is unreachable), so the "binary" (`dist/spip`, installed
 * as `/opt/spip/spip`) is an executable shell script that runs
 * `exec <Deno.execPath()> run <the start task's flags from deno.json> <checkout>/main.ts "$@"`.
 * It also pins DENO_DIR, so that the cached npm packages are found under cron's bare environment,
 * as a compiled binary carries them inside. Everything else comes from `docs/deployment.md`'s and
 * `deploy/crontab.example`'s own text: the `install` lines, the crontab's SHELL, PATH and its two
 * commands.
 *
 * @module
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../testing/std.ts";
import { startTask } from "../../testing/start_task.ts";
import { loadConfig } from "../../src/config/config.ts";
import {
  CLIENT_V4,
  CLIENT_V6,
  connect,
  inNs,
  Listener,
  SENSOR_V4,
  SENSOR_V6,
  withoutCounters,
  withTopology,
} from "./firewall_helpers.ts";
import { ROOT, type SensorRecord } from "./_sensor_process.ts";

const DEPLOYMENT = await Deno.readTextFile(`${ROOT}docs/deployment.md`);
const FIREWALL = await Deno.readTextFile(`${ROOT}docs/firewall.md`);
const CRONTAB = await Deno.readTextFile(`${ROOT}deploy/crontab.example`);
const decoder = new TextDecoder();

/** The port of the stand-in sshd's unused second socket (Listener always opens two). */
const UNUSED_PORT = 19999;

/** What `iptables-save` prints for a nat table with no rule and no chain of its own. */
const EMPTY_NAT = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" +
  ":POSTROUTING ACCEPT [0:0]\nCOMMIT";
/** The same for mangle (iptables-legacy lists the tables `remove` looked into). */
const EMPTY_MANGLE = "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n" +
  ":FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT";
/**
 * docs/firewall.md: "With the iptables-nft backend, a `PREROUTING` base chain that did not
 * exist before stays, empty with policy ACCEPT" -- one per family.
 */
const NFT_LEFTOVER = ["ip", "ip6"].map((family) =>
  `table ${family} nat {\n\tchain PREROUTING {\n` +
  `\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t}\n}`
).join("\n");

/** The cron section of docs/deployment.md, up to the next `## ` heading. */
function cronSection(): string {
  const start = DEPLOYMENT.indexOf("### cron (`deploy/crontab.example`)");
  assert(start >= 0, "docs/deployment.md has no cron section");
  const end = DEPLOYMENT.indexOf("\n## ", start);
  return DEPLOYMENT.slice(start, end < 0 ? undefined : end);
}

/** The lines of the first fenced block of one language in a text. */
function fenced(text: string, language: string): string[] {
  const body = text.match(new RegExp("```" + language + "\\n([\\s\\S]*?)\\n```"))?.[1];
  if (body === undefined) throw new Error(`Cannot find a \`\`\`${language} block`);
  return body.split("\n");
}

/** A crontab: its variables and its two entries' commands. */
interface Crontab {
  env: Record<string, string>;
  entries: string[];
  reboot: string;
  periodic: string;
}

function parseCrontab(text: string): Crontab {
  const env: Record<string, string> = {};
  const entries: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const assignment = line.match(/^([A-Z]+)=(.*)$/);
    if (assignment?.[1] !== undefined && assignment[2] !== undefined) {
      env[assignment[1]] = assignment[2];
    } else {
      entries.push(line);
    }
  }
  assertEquals(entries.length, 2, "two crontab entries");
  // Cron turns an unescaped % into a newline; the commands must not rely on that.
  assert(entries.every((entry) => !entry.includes("%")));
  const reboot = entries[0]?.match(/^@reboot\s+(.+)$/)?.[1];
  const periodic = entries[1]?.match(/^\*\/5 \* \* \* \*\s+(.+)$/)?.[1];
  if (reboot === undefined || periodic === undefined) {
    throw new Error(`Cannot parse the crontab entries: ${entries.join("\n")}`);
  }
  return { env, entries, reboot, periodic };
}

/** The instructions' absolute paths, moved under `root`. */
function localize(text: string, root: string): string {
  return text.replace(
    /\/opt\/spip\/spip|\/etc\/spip\/config\.toml|\/var\/log\/spip(?=\/|\s|$)/g,
    (path) => `${root}${path}`,
  );
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Resolves with `promise`, or rejects once `ms` have passed. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Cannot ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The pids of the processes listening on a TCP port in a namespace (`ss -ltnp`). */
async function listeningPids(ns: string, port: number): Promise<number[]> {
  const out = await inNs(ns, "ss", "-Hltnp", `sport = :${port}`);
  return [...new Set([...out.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1])))];
}

/** The complete lines of the records file, parsed. */
async function readRecords(file: string): Promise<SensorRecord[]> {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.slice(0, text.lastIndexOf("\n") + 1).split("\n").filter((line) => line !== "")
    .map((line) => JSON.parse(line));
}

/** Waits (at most `ms`) until a record carries each payload; returns the records. */
async function waitForPayloads(
  file: string,
  payloads: string[],
  ms = 10_000,
): Promise<SensorRecord[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const records = await readRecords(file);
    const missing = payloads.filter((payload) => !records.some((r) => r.payload === payload));
    if (missing.length === 0) return records;
    if (Date.now() > deadline) {
      throw new Error(`Cannot find records of ${missing.join(", ")}; have ${records.length}`);
    }
    await sleep(50);
  }
}

const SEND = `
import socket, sys
host = sys.argv[1]
for arg in sys.argv[2:]:
    port, payload = arg.split("=", 1)
    s = socket.create_connection((host, int(port)), timeout=3)
    s.sendall(payload.encode())
    s.shutdown(socket.SHUT_WR)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    s.close()
`;

/** Connects from the client namespace to each port and sends its payload. */
async function send(client: string, host: string, payloads: Map<number, string>): Promise<void> {
  const args = [...payloads].map(([port, payload]) => `${port}=${payload}`);
  await within(15_000, `send to ${host}`, inNs(client, "python3", "-c", SEND, host, ...args));
}

/** Kills whatever still runs with a path under the test's directory (clean-up after a failure). */
async function killLeftovers(root: string): Promise<void> {
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (!cmdline.includes(root)) continue;
    try {
      Deno.kill(Number(entry.name), "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** iptables-save, ip6tables-save and nft list ruleset of a namespace, counters zeroed. */
async function rulesets(
  ns: string,
): Promise<{ iptables: string; ip6tables: string; nft: string }> {
  const ruleset = async (...argv: string[]): Promise<string> =>
    withoutCounters(await inNs(ns, ...argv)).trim();
  return {
    iptables: await ruleset("iptables-save"),
    ip6tables: await ruleset("ip6tables-save"),
    nft: await ruleset("nft", "list", "ruleset"),
  };
}

Deno.test("docs/deployment.md cron deployment, step by step: install, @reboot, capture, */5, SIGTERM, firewall remove", async () => {
  const root = await Deno.makeTempDir({ prefix: "spip-deployment-" });
  const binary = `${root}/opt/spip/spip`;
  const configFile = `${root}/etc/spip/config.toml`;
  const records = `${root}/var/log/spip/spip.jsonl`;
  const errors = `${root}/var/log/spip/spip.err`;
  const home = `${root}/root`;
  let reboot: Deno.ChildProcess | undefined;
  let rebootOutput: Promise<unknown> | undefined;
  let listener: Listener | undefined;
  try {
    await withTopology(async ({ sensor, client }) => {
      // A fresh host: nothing in its rulesets. Taken right after the namespace was made.
      const before = await rulesets(sensor);
      assertEquals(before, { iptables: "", ip6tables: "", nft: "" });

      // The crontab, and docs/deployment.md's copy of its two lines.
      const section = cronSection();
      const crontab = parseCrontab(CRONTAB);
      assertEquals(fenced(section, "text"), crontab.entries);
      const shell = crontab.env["SHELL"];
      const path = crontab.env["PATH"];
      if (shell === undefined || path === undefined) {
        throw new Error("Cannot find SHELL and PATH in deploy/crontab.example");
      }
      // Cron's environment: the crontab's variables plus HOME and LOGNAME; the working
      // directory is HOME. Nothing from this test's environment (no SSH_CONNECTION, no DENO_DIR).
      await Deno.mkdir(home);
      const cronEnv = { SHELL: shell, PATH: path, HOME: home, LOGNAME: "root" };
      const inSensor = (argv: string[]): Deno.Command =>
        new Deno.Command("ip", {
          args: ["netns", "exec", sensor, ...argv],
          clearEnv: true,
          env: cronEnv,
          cwd: home,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        });

      // Step 1, "Building a binary" (docs/deployment.md): `deno task compile` writes dist/spip. The substitution
      // (see the top of the file): a script running main.ts with the start task's flags.
      const [, subcommand = "run", ...words] = startTask();
      assertEquals(words.at(-1), "main.ts");
      const argv = [
        Deno.execPath(),
        subcommand,
        ...words.map((word) => word.endsWith(".ts") ? `${ROOT}${word}` : word),
      ];
      const info = await within(
        10_000,
        "run deno info",
        new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" }).output(),
      );
      const denoDir = JSON.parse(decoder.decode(info.stdout)).denoDir as string;
      await Deno.mkdir(`${root}/dist`);
      await Deno.writeTextFile(
        `${root}/dist/spip`,
        "#!/bin/sh\n# Stands in for the binary `deno task compile` would write.\n" +
          `DENO_DIR=${quote(denoDir)}\nexport DENO_DIR\n` +
          // The binary has no update check; `deno run` has one unless told otherwise.
          "DENO_NO_UPDATE_CHECK=1\nexport DENO_NO_UPDATE_CHECK\n" +
          `exec ${argv.map(quote).join(" ")} "$@"\n`,
      );

      // Step 1, the cron section of docs/deployment.md: install the binary and the config, create the log
      // directory, from the checkout (dist/spip is the script above). The shipped config.toml
      // is installed unchanged: its port and ssh_port (5555 and 22) suit this host as they are.
      const commands = fenced(section, "sh");
      const installs = commands.filter((line) => line.startsWith("install "));
      assertEquals(installs.length, 3, commands.join("\n"));
      assertEquals(commands.filter((line) => !line.startsWith("install ")), ["crontab -e"]);
      for (const line of installs) {
        const args = line.split(/\s+/).slice(1)
          .map((word) => word === "dist/spip" ? `${root}/dist/spip` : localize(word, root));
        const out = await within(
          5_000,
          line,
          new Deno.Command("install", { args, cwd: ROOT, stderr: "piped" }).output(),
        );
        assertEquals(out.code, 0, `${line}: ${decoder.decode(out.stderr)}`);
      }
      assertEquals(((await Deno.stat(binary)).mode ?? 0) & 0o777, 0o755);
      assertEquals(((await Deno.stat(configFile)).mode ?? 0) & 0o777, 0o644);
      assertEquals(((await Deno.stat(`${root}/var/log/spip`)).mode ?? 0) & 0o777, 0o750);
      assertEquals(
        await Deno.readTextFile(configFile),
        await Deno.readTextFile(`${ROOT}config.toml`),
      );
      const config = loadConfig(configFile);

      // The host's sshd, running before Spip: the SSH port's own listener.
      listener = await Listener.start(sensor, UNUSED_PORT, config.sshPort, false);

      // Step 2, the @reboot line, as cron runs it: `$SHELL -c COMMAND`, in the background.
      const rebootCommand = localize(crontab.reboot, root);
      const periodicCommand = localize(crontab.periodic, root);
      for (const command of [rebootCommand, periodicCommand]) {
        assert(!/(^|[\s>;])\/(opt|etc|var)\//.test(command), `a path left: ${command}`);
      }
      reboot = inSensor([shell, "-c", rebootCommand]).spawn();
      const output = Promise.all([
        new Response(reboot.stdout).text(),
        new Response(reboot.stderr).text(),
      ]);
      rebootOutput = output;
      let rebootExited = false;
      const rebootStatus = reboot.status.then((status) => {
        rebootExited = true;
        return status;
      });
      // Bounded wait until the sensor listens on the config's port; the listener is its pid.
      let pids: number[] = [];
      const deadline = Date.now() + 15_000;
      while ((pids = await listeningPids(sensor, config.port)).length === 0) {
        if (rebootExited || Date.now() > deadline) {
          const [out, err] = await within(2_000, "read the shell", output);
          const log = await Deno.readTextFile(errors).catch(() => "");
          throw new Error(`Cannot start the sensor by @reboot: ${out}${err}${log}`);
        }
        await sleep(50);
      }
      assertEquals(pids.length, 1);
      const sensorPid = pids[0] ?? 0;
      assertEquals(
        (await Deno.readTextFile(errors)).split("\n")[0],
        `spip firewall: applied (redirect, iptables) to port ${config.port}`,
      );

      // Step 3: connections from the client to arbitrary ports, IPv4 and IPv6.
      const tag = crypto.randomUUID();
      const v4 = new Map([21, 80, 443, 3306, 8080, 49152].map((p) => [p, `v4-${p}-${tag}`]));
      const v6 = new Map([23, 445, 6379, 50000].map((p) => [p, `v6-${p}-${tag}`]));
      await send(client, SENSOR_V4, v4);
      await send(client, SENSOR_V6, v6);
      const seen = await waitForPayloads(records, [...v4.values(), ...v6.values()]);
      for (
        const [ports, sensorIp, clientIp] of [[v4, SENSOR_V4, CLIENT_V4], [
          v6,
          SENSOR_V6,
          CLIENT_V6,
        ]] as const
      ) {
        for (const [port, payload] of ports) {
          const record = seen.find((r) => r.payload === payload);
          if (record === undefined) throw new Error(`Cannot find the record of ${payload}`);
          assertEquals(
            [record.destination_port, record.destination_ip, record.source_ip],
            [port, sensorIp, clientIp],
            payload,
          );
          // No `name` in the shipped config: the host name.
          assertEquals(record["sensor_name"], Deno.hostname());
        }
      }
      // The SSH port is not captured: sshd's listener answers, over both families.
      assertEquals(
        await connect(client, SENSOR_V4, config.sshPort),
        `ssh ${SENSOR_V4} ${config.sshPort}`,
      );
      assertEquals(
        await connect(client, SENSOR_V6, config.sshPort),
        `ssh ${SENSOR_V6} ${config.sshPort}`,
      );

      // Step 4, the */5 line while the sensor runs: exit code 3 at once, the first untouched.
      const started = performance.now();
      const periodic = await within(
        10_000,
        "run the */5 line",
        inSensor([shell, "-c", periodicCommand]).output(),
      );
      assertEquals(periodic.code, 3, decoder.decode(periodic.stderr));
      assert(performance.now() - started < 10_000);
      assertEquals(decoder.decode(periodic.stdout) + decoder.decode(periodic.stderr), "");
      const inUse = `Cannot listen on ${config.ip} port ${config.port}: port in use`;
      assertEquals(
        (await Deno.readTextFile(errors)).split("\n").filter((line) => line === inUse).length,
        1,
      );
      assertEquals(rebootExited, false);
      assertEquals(await listeningPids(sensor, config.port), [sensorPid]);
      const later = new Map([[8443, `after-cron-${tag}`]]);
      await send(client, SENSOR_V4, later);
      await waitForPayloads(records, [...later.values()]);

      // Step 5: SIGTERM; the sensor flushes, prints its stats and exits 0 (cron's shell
      // returns its exit code).
      Deno.kill(sensorPid, "SIGTERM");
      const status = await within(10_000, "stop the sensor", rebootStatus);
      const [out, err] = await within(2_000, "read the shell", output);
      assertEquals(out + err, "");
      assertEquals(status.code, 0);
      const log = (await Deno.readTextFile(errors)).trimEnd().split("\n");
      // The sensor's stderr ends with its last stats line and its stop line.
      assertMatch(log.at(-2) ?? "", /^\{"type":"stats"/);
      assertMatch(
        log.at(-1) ?? "",
        /^\{"type":"stop","sensor_name":"[^"]+","timestamp_ms":\d+,"signal":"SIGTERM","flushed":true,"exit_code":0\}$/,
      );
      const final = await readRecords(records);
      assertEquals(final.filter((r) => r.destination_port === config.sshPort), []);
      assertEquals(final.filter((r) => r.payload.endsWith(tag)).length, v4.size + v6.size + 1);

      // ... and take the firewall out, as docs/firewall.md says.
      const removed = await within(
        10_000,
        "run firewall remove",
        inSensor([binary, "firewall", "remove", "--config", configFile]).output(),
      );
      assertEquals(decoder.decode(removed.stderr), "spip firewall: removed\n");
      assertEquals(removed.code, 0);
      assertEquals(await connect(client, SENSOR_V4, 4444), "refused");
      // Not exactly as before on a fresh host: docs/firewall.md says that with
      // iptables-nft the PREROUTING base chain stays, empty with policy ACCEPT, so iptables-save
      // lists an empty nat table. iptables-legacy lists the (empty) tables it looked into.
      const after = await rulesets(sensor);
      const nft = (await inNs(sensor, "iptables", "-V")).includes("nf_tables");
      assertEquals(after, {
        iptables: nft ? EMPTY_NAT : `${EMPTY_MANGLE}\n${EMPTY_NAT}`,
        ip6tables: nft ? EMPTY_NAT : `${EMPTY_MANGLE}\n${EMPTY_NAT}`,
        nft: nft ? NFT_LEFTOVER : before.nft,
      });
      assertStringIncludes(
        FIREWALL.replace(/\s+/g, " "),
        "With the iptables-nft backend, a `PREROUTING` base chain that did not exist before stays",
      );
    });
  } finally {
    await killLeftovers(root);
    if (reboot !== undefined) {
      try {
        reboot.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await within(5_000, "reap the @reboot shell", reboot.status).catch(() => {});
      await within(5_000, "read the @reboot shell", rebootOutput ?? Promise.resolve())
        .catch(() => {});
    }
    await listener?.stop();
    await Deno.remove(root, { recursive: true });
  }
});

/**
 * `deno task demo`: try Spip on one machine. The firewall rules capture only traffic from
 * outside, so curling localhost on a host records nothing; this builds a throw-away network
 * namespace whose loopback traffic to every TCP port is REDIRECTed to the sensor, starts the
 * sensor inside it with the shipped `config.toml` (records on stdout), sends a few real clients
 * (curl to :80 and :8080, `openssl s_client` to :443, a silent connect to :23), prints what the
 * sensor recorded, stops it and deletes the namespace. Needs root, `ip` and `iptables`.
 *
 * @module
 */
import { loadConfig } from "../src/config/config.ts";
import { RedirectNamespace } from "./namespace.ts";
import { ROOT, startArgv } from "./start_task.ts";
import { TextLineStream } from "./std.ts";

/** The shipped configuration the demo's sensor runs with. */
export const DEMO_CONFIG: string = `${ROOT}config.toml`;
/** The name the TLS client asks for. */
export const DEMO_SNI = "demo.example";
/** The ports the demo's clients dial, and what dials them. */
export const DEMO_PORTS = { http: 80, httpAlt: 8080, tls: 443, silent: 23 } as const;

/** How long the sensor may take to listen. */
const SENSOR_START_TIMEOUT_MS = 20_000;
/** How long a client may run. */
const CLIENT_TIMEOUT_MS = 10_000;
/** How long to wait for the records once the clients are done. */
const RECORDS_TIMEOUT_MS = 5_000;
/** How often to look meanwhile. */
const POLL_MS = 50;
/** The programs the demo runs. */
const REQUIRED_PROGRAMS = ["ip", "iptables", "ip6tables", "curl", "openssl", "bash", "ss"];

/** A record as the sensor prints it (the fields the demo shows). */
export type DemoRecord = Record<string, unknown> & {
  source_ip: string;
  source_port: number;
  destination_ip: string;
  destination_port: number;
  payload: string;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function say(line: string): void {
  // deno-lint-ignore no-console
  console.log(line);
}

function onPath(program: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    try {
      if (Deno.statSync(`${dir}/${program}`).isFile) return true;
    } catch {
      // Not here.
    }
  }
  return false;
}

/**
 * Why the demo cannot run here, or `null` when it can.
 *
 * @returns One line naming what is missing.
 */
export function missingPrerequisite(): string | null {
  if (Deno.uid() !== 0) {
    return "the demo needs root (it creates a network namespace): run it with sudo";
  }
  const missing = REQUIRED_PROGRAMS.filter((program) => !onPath(program));
  if (missing.length > 0) {
    return `the demo needs ${missing.join(", ")} on PATH (Debian: apt-get install iproute2 ` +
      "iptables curl openssl bash)";
  }
  return null;
}

/**
 * One line that says what a record is: where it went, from where, and what it holds.
 *
 * @param record The record.
 * @returns The summary.
 */
export function summarize(record: DemoRecord): string {
  const route = `${record.source_ip}:${record.source_port} -> ` +
    `${record.destination_ip}:${record.destination_port}`;
  let what: string;
  if (record["silent"] === true) {
    what = "silent (connected, sent nothing)";
  } else if (typeof record["ja4"] === "string") {
    what = `TLS ClientHello sni=${String(record["tls_sni"] ?? "-")} ja4=${record["ja4"]}`;
  } else {
    const firstLine = record.payload.split(/\r?\n/)[0] ?? "";
    what = `${record["tls"] === true ? "decrypted " : ""}${JSON.stringify(firstLine.slice(0, 60))}`;
  }
  return `:${record.destination_port}  ${route}  ${what}`;
}

function clients(port: typeof DEMO_PORTS): { label: string; argv: string[]; stdin?: string }[] {
  return [
    {
      label: `curl http://127.0.0.1:${port.http}/`,
      argv: ["curl", "-s", "-m", "2", `http://127.0.0.1:${port.http}/`],
    },
    {
      label: `curl http://127.0.0.1:${port.httpAlt}/admin`,
      argv: ["curl", "-s", "-m", "2", `http://127.0.0.1:${port.httpAlt}/admin`],
    },
    {
      label: `openssl s_client -connect 127.0.0.1:${port.tls} -servername ${DEMO_SNI}`,
      argv: ["openssl", "s_client", "-connect", `127.0.0.1:${port.tls}`, "-servername", DEMO_SNI],
      stdin: "",
    },
    {
      label: `bash: connect to 127.0.0.1:${port.silent} and close`,
      argv: ["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port.silent}; exec 3>&-`],
    },
  ];
}

async function waitListening(ns: RedirectNamespace, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + SENSOR_START_TIMEOUT_MS;
  while (Date.now() < deadline && !exited()) {
    const listening = await ns.run(["ss", "-Hltn", `sport = :${ns.port}`]);
    if (listening.stdout.includes(`:${ns.port}`)) return;
    await sleep(POLL_MS);
  }
  throw new Error(`the sensor did not listen on port ${ns.port}`);
}

async function runInNamespace(ns: RedirectNamespace): Promise<DemoRecord[]> {
  say(`Sensor: ${startArgv(["--config", DEMO_CONFIG]).join(" ")}`);
  const child = ns.spawn(startArgv(["--config", DEMO_CONFIG]));
  const stderr = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const records: DemoRecord[] = [];
  const reading = (async () => {
    const lines = child.stdout.pipeThrough(new TextDecoderStream())
      .pipeThrough(new TextLineStream());
    for await (const line of lines) {
      if (line.startsWith("{")) records.push(JSON.parse(line) as DemoRecord);
    }
  })();
  try {
    await waitListening(ns, () => exited);
    say("Clients:");
    const plan = clients(DEMO_PORTS);
    for (const client of plan) say(`  ${client.label}`);
    await Promise.all(plan.map((client) => {
      const options = client.stdin === undefined ? {} : { stdin: client.stdin };
      return ns.run(client.argv, { ...options, timeoutMs: CLIENT_TIMEOUT_MS });
    }));
    const wanted = Object.values(DEMO_PORTS);
    const deadline = Date.now() + RECORDS_TIMEOUT_MS;
    while (Date.now() < deadline && !exited) {
      const seen = new Set(records.map((record) => record.destination_port));
      if (wanted.every((port) => seen.has(port))) break;
      await sleep(POLL_MS);
    }
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await status;
    throw new Error(`${detail}; sensor stderr: ${(await stderr).trim()}`);
  }
  if (!exited) child.kill("SIGTERM");
  await status;
  await reading;
  await stderr;
  return records;
}

/**
 * Runs the demo: namespace, sensor, clients, records, cleanup.
 *
 * @returns The exit code: 0, or 1 with one line on stderr.
 */
export async function runDemo(): Promise<number> {
  const missing = missingPrerequisite();
  if (missing !== null) {
    Deno.stderr.writeSync(new TextEncoder().encode(`Cannot run the demo: ${missing}\n`));
    return 1;
  }
  const port = loadConfig(DEMO_CONFIG).port;
  let ns: RedirectNamespace | undefined;
  try {
    ns = await RedirectNamespace.create("demo", port);
    say(`Namespace ${ns.name}: nat OUTPUT REDIRECT of every TCP port on loopback to ${port}`);
    const records = await runInNamespace(ns);
    say(`Records (${records.length}):`);
    for (const record of records) {
      say(summarize(record));
      say(JSON.stringify(record));
    }
    return 0;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    Deno.stderr.writeSync(new TextEncoder().encode(`Cannot run the demo: ${detail}\n`));
    return 1;
  } finally {
    if (ns !== undefined) {
      await ns.delete();
      say(`Namespace ${ns.name} deleted.`);
    }
  }
}

if (import.meta.main) Deno.exitCode = await runDemo();

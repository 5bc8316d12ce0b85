/**
 * `deno task demo` run as a newcomer runs it: the records it prints are the real clients' (curl's
 * request lines, openssl's ClientHello, a silent connect), and its namespace is gone afterwards.
 */
import { assert, assertEquals, assertMatch } from "../../testing/std.ts";
import { run } from "../../testing/command.ts";
import { ROOT } from "../../testing/start_task.ts";
import { DEMO_PORTS, DEMO_SNI } from "../../testing/demo.ts";
import { validateRecord } from "../_schema.ts";

const DEMO_TIMEOUT_MS = 60_000;

Deno.test("deno task demo prints the records of curl, openssl and a silent connect, then cleans up", async () => {
  const result = await run(["env", "NO_COLOR=1", Deno.execPath(), "task", "--cwd", ROOT, "demo"], {
    timeoutMs: DEMO_TIMEOUT_MS,
  });
  assertEquals(result.code, 0, result.stderr);
  const lines = result.stdout.split("\n");
  const records = lines.filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const record of records) assertEquals(validateRecord(record), []);
  const on = (port: number): Record<string, unknown>[] =>
    records.filter((record) => record["destination_port"] === port);

  const http = on(DEMO_PORTS.http);
  assertEquals(http.length, 1);
  assertMatch(String(http[0]?.["payload"]), /^GET \/ HTTP\/1\.1\r\nHost: 127\.0\.0\.1\r\n/);
  assertMatch(String(http[0]?.["payload"]), /\r\nUser-Agent: curl\//);
  const alt = on(DEMO_PORTS.httpAlt);
  assertEquals(alt.length, 1);
  assertMatch(
    String(alt[0]?.["payload"]),
    /^GET \/admin HTTP\/1\.1\r\nHost: 127\.0\.0\.1:8080\r\n/,
  );

  const hello = on(DEMO_PORTS.tls).find((record) => "ja4" in record);
  assert(hello !== undefined, `no ClientHello record on :443 in\n${result.stdout}`);
  assertEquals(hello["tls_sni"], DEMO_SNI);
  assertMatch(String(hello["ja4"]), /^t1[23]d\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/);
  assertMatch(String(hello["payload_hex"]), /^16030[0-4]/);

  const silent = on(DEMO_PORTS.silent);
  assertEquals(silent.length, 1);
  assertEquals(silent[0]?.["silent"], true);
  assertEquals(silent[0]?.["payload"], "");

  // One summary line per record, before its JSON.
  for (const [index, line] of lines.entries()) {
    if (!line.startsWith("{")) continue;
    const record = JSON.parse(line) as Record<string, unknown>;
    assert(
      lines[index - 1]?.startsWith(`:${record["destination_port"]}  127.0.0.1:`),
      `no summary before ${line}`,
    );
  }
  assertMatch(result.stdout, /:80 {2}127\.0\.0\.1:\d+ -> 127\.0\.0\.1:80 {2}"GET \/ HTTP\/1\.1"\n/);
  assertMatch(result.stdout, /:23 {2}127\.0\.0\.1:\d+ -> 127\.0\.0\.1:23 {2}silent/);
  assertMatch(result.stdout, new RegExp(`:443 .* TLS ClientHello sni=${DEMO_SNI} ja4=t1`));

  const deleted = result.stdout.match(/^Namespace (\S+) deleted\.$/m)?.[1];
  assert(deleted !== undefined, "the demo did not say it deleted its namespace");
  const namespaces = (await run(["ip", "netns", "list"])).stdout.split("\n");
  assert(!namespaces.some((line) => line.split(" ")[0] === deleted), `${deleted} is still there`);
});

Deno.test("deno task demo says in one line what is missing and exits 1", async () => {
  const emptyPath = await Deno.makeTempDir({ prefix: "spip-demo-path-" });
  try {
    const result = await run([
      "env",
      `PATH=${emptyPath}`,
      "NO_COLOR=1",
      Deno.execPath(),
      "run",
      "--allow-all",
      `${ROOT}testing/demo.ts`,
    ]);
    assertEquals(result.code, 1);
    assertEquals(result.stdout, "");
    assertMatch(
      result.stderr,
      /^Cannot run the demo: the demo needs ip, iptables, ip6tables, curl, openssl, bash, ss on PATH \(Debian: [^\n]+\)\n$/,
    );
  } finally {
    await Deno.remove(emptyPath);
  }
});

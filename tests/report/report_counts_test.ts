import { assert, assertEquals, assertGreater, assertStringIncludes } from "../../testing/std.ts";
import { parseReportArgs, summarise } from "../../src/report/command.ts";
import { aggregateInWorkers } from "../../src/report/worker_pool.ts";
import { writeRecordsFile } from "../../testing/report_records.ts";
import { independentCounts } from "./_independent_counts.ts";
import { assertSameCounts } from "./_compare.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TOP = 1000;

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spip-report-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `main.ts report` as a user would; stdin text optional. */
async function runCli(
  args: string[],
  stdin?: Uint8Array,
): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", `${ROOT}main.ts`, "report", ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined && child.stdin !== null) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    out: decoder.decode(output.stdout),
    err: decoder.decode(output.stderr),
  };
}

const MALFORMED = [
  "not json at all",
  '{"timestamp": 1796083300, "payload": "cut in the mid',
  "[1, 2, 3]",
  '{"timestamp": "yesterday", "source_ip": "198.51.100.1", "destination_port": 80}',
  '{"timestamp": 1796083300, "source_ip": "198.51.100.1", "destination_port": 70000}',
  '{"timestamp": 1796083300, "destination_port": 80}',
  "\u0000\u0001\u0002",
  "{}",
];

Deno.test("report: every count equals Python's on a generated file with malformed lines mixed in", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/records.jsonl`;
    await writeRecordsFile(path, { bytes: 400_000, seed: 7 });
    const good = (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
    // Malformed lines between the good ones, and a last line without its newline.
    const mixed = good.flatMap((line, i) =>
      i % 97 === 0 ? [MALFORMED[i % MALFORMED.length] ?? "", line] : [line]
    );
    await Deno.writeTextFile(path, `${mixed.join("\n")}\n${MALFORMED[0]}`);
    const summary = await summarise(parseReportArgs([path, "--top", String(TOP)]));
    const counts = await independentCounts(path);
    assertGreater(counts.bad, 5);
    assertGreater(counts.udp.sessions, 10);
    assertGreater(Object.keys(counts.hassh).length, 0);
    assertSameCounts(summary, counts, TOP);
    // A file this small is counted on the main thread; workers count the same.
    const { aggregate, tooLong } = await aggregateInWorkers([{ path }], {}, { workers: 2 });
    assertSameCounts(aggregate.summary(TOP, { names: [path], tooLong }), counts, TOP);
  });
});

Deno.test("report: a gzip file, stdin and gzip on stdin give the same counts as the plain file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/records.jsonl`;
    await writeRecordsFile(path, { bytes: 100_000, seed: 3 });
    const plain = await Deno.readFile(path);
    const zipped = new Uint8Array(
      await new Response(new Blob([plain]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
    await Deno.writeFile(`${dir}/records.jsonl.1.gz`, zipped);
    const fromFile = await runCli([path]);
    const fromGzip = await runCli([`${dir}/records.jsonl.1.gz`]);
    const fromStdin = await runCli([], plain);
    const fromGzipStdin = await runCli(["-"], zipped);
    for (const run of [fromFile, fromGzip, fromStdin, fromGzipStdin]) {
      assertEquals(run.code, 0, run.err);
    }
    const body = (out: string): string => out.split("\n").slice(1).join("\n");
    assertEquals(body(fromGzip.out), body(fromFile.out));
    assertEquals(body(fromStdin.out), body(fromFile.out));
    assertEquals(body(fromGzipStdin.out), body(fromFile.out));
    const counts = await independentCounts(`${dir}/records.jsonl.1.gz`);
    assertStringIncludes(
      fromGzip.out,
      `Records ${counts.records.toLocaleString("en-US")}, sessions ${
        counts.sessions.toLocaleString("en-US")
      }`,
    );
    for (const line of fromFile.out.split("\n")) assert(line.length <= 100, `too wide: ${line}`);
  });
});

Deno.test("report: an empty file, a file of bad lines, and a missing file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/empty.jsonl`, "");
    const empty = await runCli([`${dir}/empty.jsonl`]);
    assertEquals(empty.code, 0, empty.err);
    assertStringIncludes(empty.out, "0 lines, 0 bad lines skipped");
    assertStringIncludes(empty.out, "No records.");
    await Deno.writeTextFile(`${dir}/bad.jsonl`, `${MALFORMED.join("\n")}\n`);
    const bad = await runCli([`${dir}/bad.jsonl`, "--html", `${dir}/bad.html`]);
    assertEquals(bad.code, 0, bad.err);
    assertStringIncludes(
      bad.out,
      `${MALFORMED.length} lines, ${MALFORMED.length} bad lines skipped`,
    );
    assertStringIncludes(await Deno.readTextFile(`${dir}/bad.html`), "no records");
    const missing = await runCli([`${dir}/nothing.jsonl`]);
    assertEquals(missing.code, 1);
    assertEquals(missing.err.trim().split("\n").length, 1, missing.err);
    assertStringIncludes(missing.err, `Cannot read ${dir}/nothing.jsonl`);
    const usage = await runCli(["--top", "0"]);
    assertEquals(usage.code, 2);
    assertStringIncludes(usage.err, "Cannot parse arguments: --top 0");
  });
});

Deno.test("report: --since and --until skip records outside the window", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/records.jsonl`;
    const start = 1_796_083_200;
    await writeRecordsFile(path, { bytes: 100_000, seed: 5, startSeconds: start, stepSeconds: 10 });
    const all = await summarise(parseReportArgs([path]));
    const since = start + 600;
    const until = start + 1200;
    const window = await summarise(
      parseReportArgs([
        path,
        "--since",
        String(since),
        "--until",
        new Date(until * 1000).toISOString(),
      ]),
    );
    assert(window.first !== null && window.first >= since);
    assert(window.last !== null && window.last <= until);
    assertGreater(window.records, 0);
    assertEquals(window.records + window.outside, all.records);
  });
});

/**
 * Counting in workers: the same counts as one thread, whatever the number of workers and however
 * the lines fall across chunks; a bound on chunks in flight; a failing worker or input becomes
 * one "Cannot ..." error, never a hang.
 */
import { assert, assertEquals, assertRejects } from "../../testing/std.ts";
import { writeRecordsFile } from "../../testing/report_records.ts";
import { ReportAggregate } from "../../src/report/aggregate.ts";
import { MAX_LINE_CHARS, READ_CHUNK_BYTES, readLineBytes } from "../../src/report/line_reader.ts";
import {
  aggregateInWorkers,
  CHUNKS_IN_FLIGHT_PER_WORKER,
  REPORT_WORKERS_MAX,
  reportWorkerCount,
  WorkersUnavailableError,
} from "../../src/report/worker_pool.ts";
import { ONE_THREAD_INPUT_BYTES_MAX, summarise } from "../../src/report/command.ts";
import type { ReportSummary } from "../../src/report/summary.ts";

const TOP = 30;
/** A hang fails the test instead of the suite. */
const TEST_TIMEOUT_MS = 20_000;

async function withinTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timed out: the pool hung")), TEST_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function oneThread(path: string): Promise<ReportSummary> {
  const aggregate = new ReportAggregate();
  const counts = await readLineBytes(
    { path },
    (bytes, start, end) => aggregate.addLineBytes(bytes, start, end),
  );
  return aggregate.summary(TOP, { names: [path], tooLong: counts.tooLong });
}

/** A records file with every kind of awkward line, spread over several chunks. */
async function awkwardFile(): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "spip-pool-", suffix: ".jsonl" });
  await writeRecordsFile(path, { bytes: 3 * READ_CHUNK_BYTES, seed: 11 });
  const records = (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
  const crlf = records.slice(0, 50).map((l) => `${l}\r`);
  const long = JSON.stringify({
    timestamp: 1_796_083_200,
    source_ip: "192.0.2.9",
    destination_port: 9,
    payload: "p".repeat(2 * READ_CHUNK_BYTES),
  });
  const lines = [
    ...crlf,
    "",
    "\r",
    "not json",
    "[1,2,3]",
    '{"timestamp":"x","source_ip":"a","destination_port":1}',
    long,
    "x".repeat(MAX_LINE_CHARS + 5),
    ...records.slice(50),
    '{"truncated":',
  ];
  await Deno.writeTextFile(path, `\ufeff${lines.join("\n")}`);
  return path;
}

Deno.test("aggregateInWorkers: 1, 2 and 3 workers count exactly what one thread counts", async () => {
  const path = await awkwardFile();
  try {
    const expected = await oneThread(path);
    assertEquals(expected.badLines, 4);
    assertEquals(expected.tooLong, 1);
    assert(expected.records > 4000);
    for (const workers of [1, 2, 3]) {
      const { aggregate, tooLong } = await aggregateInWorkers([{ path }], {}, { workers });
      const summary = aggregate.summary(TOP, { names: [path], tooLong });
      assertEquals(summary, expected, `${workers} workers`);
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("aggregateInWorkers: chunks the main thread reads while the workers are full are counted in their turn", async () => {
  const path = await Deno.makeTempFile({ prefix: "spip-pool-", suffix: ".jsonl" });
  try {
    await writeRecordsFile(path, { bytes: 12 * READ_CHUNK_BYTES, seed: 12 });
    const expected = await oneThread(path);
    const workerUrl = new URL("./_slow_worker.ts", import.meta.url);
    for (const workers of [1, 2]) {
      const result = await withinTimeout(
        aggregateInWorkers([{ path }], {}, { workers, workerUrl }),
      );
      const summary = result.aggregate.summary(TOP, { names: [path], tooLong: result.tooLong });
      assertEquals(summary, expected, `${workers} workers`);
      assert(result.chunks >= 12, `${result.chunks} chunks`);
      // Never two in a row: at most every other chunk is read on the main thread.
      assert(
        result.chunksOnMain > 0 && result.chunksOnMain <= Math.ceil(result.chunks / 2),
        `${workers} workers: ${result.chunksOnMain} of ${result.chunks} chunks on the main thread`,
      );
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("aggregateInWorkers: several inputs and a time window", async () => {
  const a = await Deno.makeTempFile({ prefix: "spip-pool-" });
  const b = await Deno.makeTempFile({ prefix: "spip-pool-" });
  try {
    await writeRecordsFile(a, { bytes: 400_000, seed: 1 });
    await writeRecordsFile(b, { bytes: 400_000, seed: 2, startSeconds: 1_796_200_000 });
    const window = { since: 1_796_084_000, until: 1_796_201_000 };
    const one = new ReportAggregate(window);
    for (const path of [a, b]) {
      await readLineBytes({ path }, (bytes, start, end) => one.addLineBytes(bytes, start, end));
    }
    const { aggregate } = await aggregateInWorkers([{ path: a }, { path: b }], window, {
      workers: 2,
    });
    const names = ["a", "b"];
    assertEquals(
      aggregate.summary(TOP, { names, tooLong: 0 }),
      one.summary(TOP, { names, tooLong: 0 }),
    );
    assert(aggregate.outside > 0 && aggregate.records > 0);
  } finally {
    await Deno.remove(a);
    await Deno.remove(b);
  }
});

Deno.test("aggregateInWorkers: a worker holds at most CHUNKS_IN_FLIGHT_PER_WORKER chunks", async () => {
  const path = await Deno.makeTempFile({ prefix: "spip-pool-" });
  try {
    // Forty chunks' worth of lines, for one worker that is slow to give chunks back.
    const line = `${"x".repeat(1023)}\n`;
    await Deno.writeTextFile(path, line.repeat(40 * 1024));
    const { aggregate, chunksOnMain } = await withinTimeout(
      aggregateInWorkers([{ path }], {}, {
        workers: 1,
        workerUrl: new URL("./_holding_worker.ts", import.meta.url),
      }),
    );
    // The holding worker reports the most chunks it held at once as its line count; the main
    // thread read the chunks it could not take, whose lines are not records.
    assertEquals(aggregate.lines - aggregate.badLines, CHUNKS_IN_FLIGHT_PER_WORKER);
    assertEquals(chunksOnMain, aggregate.badLines / (READ_CHUNK_BYTES / line.length));
    assert(chunksOnMain > 0);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("aggregateInWorkers: a worker that crashes, reports an error, exits or hangs fails the run with one line, no hang", async () => {
  const path = await Deno.makeTempFile({ prefix: "spip-pool-" });
  try {
    const workerUrl = new URL("./_failing_worker.ts", import.meta.url);
    const cases = [
      ["crash", "a worker failed: ", "test crash"],
      ["report", "a worker failed: ", "test failure"],
      // Deno's Worker tells its owner nothing when the worker closes itself: it falls silent.
      ["close", "a worker stopped answering ", "200 ms"],
      ["hang", "a worker stopped answering ", "200 ms"],
    ] as const;
    for (const [head, start, detail] of cases) {
      await Deno.writeTextFile(path, `${head}\n`.repeat(300_000));
      for (const workers of [1, 2]) {
        const error = await withinTimeout(
          aggregateInWorkers([{ path }], {}, { workers, workerUrl, silenceMs: 200 }),
        ).catch((e: Error) => e);
        assert(error instanceof Error, `${head}, ${workers} workers: no error`);
        assert(
          error.message.startsWith(`Cannot summarise records: ${start}`),
          `${head}, ${workers} workers: ${error.message}`,
        );
        assert(error.message.includes(detail), `${head}, ${workers} workers: ${error.message}`);
        assert(!error.message.includes("\n"), "one line");
      }
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("aggregateInWorkers: an input that cannot be read is one error; the workers end", async () => {
  await assertRejects(
    () => withinTimeout(aggregateInWorkers([{ path: "/nonexistent/records.jsonl" }], {})),
    Error,
    "Cannot read /nonexistent/records.jsonl: ",
  );
});

Deno.test("reportWorkerCount: one per core but the main thread's, at least 1, at most REPORT_WORKERS_MAX", () => {
  const count = reportWorkerCount();
  assert(count >= 1 && count <= REPORT_WORKERS_MAX);
  assertEquals(
    count,
    Math.min(Math.max(1, navigator.hardwareConcurrency - 1), REPORT_WORKERS_MAX),
  );
});

Deno.test("aggregateInWorkers: workers that cannot be made, cannot load or never say so fail before any input is read", async () => {
  // The input does not exist: reading it first would be a "Cannot read" error instead.
  const inputs = [{ path: "/nonexistent/spip-records.jsonl" }];
  const missing = new URL("./_no_such_worker.ts", import.meta.url);
  const silent = new URL("./_silent_worker.ts", import.meta.url);
  // A scheme Deno's Worker refuses at once: the Worker constructor throws.
  const refused = new URL("ftp://example.invalid/worker.ts");
  const cases: [URL, string][] = [
    [missing, "Cannot start"],
    [silent, "not loaded after"],
    [refused, "scheme"],
  ];
  for (const [workerUrl, said] of cases) {
    const error = await assertRejects(
      () => withinTimeout(aggregateInWorkers(inputs, {}, { workers: 2, workerUrl, startMs: 3000 })),
      WorkersUnavailableError,
    );
    assert(error.message.includes(said), error.message);
  }
});

Deno.test("aggregateInWorkers: a worker made after reading began that never loads fails the run, no hang", async () => {
  const path = await Deno.makeTempFile({ prefix: "spip-pool-" });
  try {
    // Enough chunks that the second worker, made once the first holds its share, is given some.
    await writeRecordsFile(path, { bytes: 8 * READ_CHUNK_BYTES, seed: 4 });
    const workerUrl = new URL("./_first_only_worker.ts", import.meta.url);
    await assertRejects(
      () =>
        withinTimeout(aggregateInWorkers([{ path }], {}, { workers: 2, workerUrl, startMs: 3000 })),
      Error,
      "Cannot summarise records: a worker was not loaded after 3000 ms",
    );
  } finally {
    Deno.env.delete("SPIP_TEST_FIRST_WORKER_LOADED");
    await Deno.remove(path);
  }
});

Deno.test("summarise: when the workers cannot start, one thread reads everything and says so once", async () => {
  const path = await Deno.makeTempFile({ prefix: "spip-fallback-", suffix: ".jsonl" });
  try {
    await writeRecordsFile(path, { bytes: ONE_THREAD_INPUT_BYTES_MAX + READ_CHUNK_BYTES, seed: 5 });
    const command = { inputs: [{ path }], window: {}, top: TOP, help: false };
    const warnings: string[] = [];
    const workerUrl = new URL("./_no_such_worker.ts", import.meta.url);
    const summary = await withinTimeout(
      summarise(command, { workers: { workerUrl }, warn: (line) => warnings.push(line) }),
    );
    assertEquals(summary, await oneThread(path));
    assertEquals(warnings.length, 1);
    assert(warnings[0]?.endsWith("; reading on one thread"), warnings[0]);
    assert(warnings[0]?.startsWith("Cannot start the report's workers: "), warnings[0]);
  } finally {
    await Deno.remove(path);
  }
});

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../../testing/std.ts";
import { FileSink } from "../../src/output/file_sink.ts";
import { RecordWriter } from "../../src/output/record_writer.ts";
import { Stats } from "../../src/output/stats.ts";

const encoder = new TextEncoder();

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spip-file-sink-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function writeAll(sink: FileSink, text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += await sink.write(bytes.subarray(written));
}

Deno.test("FileSink appends to an existing file and creates a new one with mode 0640", async () => {
  await withDir(async (dir) => {
    const kept = `${dir}/kept.jsonl`;
    await Deno.writeTextFile(kept, "old\n");
    const sink = FileSink.open(kept);
    await writeAll(sink, "new\n");
    sink.close();
    assertEquals(await Deno.readTextFile(kept), "old\nnew\n");

    const created = `${dir}/created.jsonl`;
    const fresh = FileSink.open(created);
    await writeAll(fresh, "a\n");
    fresh.close();
    assertEquals(((await Deno.stat(created)).mode ?? 0) & 0o777, 0o640 & ~Deno.umask());
  });
});

Deno.test("FileSink.open() reports a file it cannot open in one line naming it", () => {
  const error = assertThrows(() => FileSink.open("/nonexistent-dir/spip.jsonl"), Error);
  assertStringIncludes(error.message, "Cannot open output /nonexistent-dir/spip.jsonl: ");
  assert(!error.message.includes("\n"));
});

Deno.test("FileSink.reopen() moves to a new file at the next write, never mid-line", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/spip.jsonl`;
    const sink = FileSink.open(path);
    await writeAll(sink, "one\ntw");
    await Deno.rename(path, `${path}.1`);
    sink.reopen();
    // The line is not finished: its end still goes to the old file.
    await writeAll(sink, "o\n");
    await writeAll(sink, "three\n");
    sink.close();
    assertEquals(await Deno.readTextFile(`${path}.1`), "one\ntwo\n");
    assertEquals(await Deno.readTextFile(path), "three\n");
  });
});

Deno.test("FileSink survives a full disk, retries at a bounded rate, and resumes", async () => {
  await withDir(async (dir) => {
    // The path is a symbolic link: first to /dev/full (every write fails with ENOSPC), then
    // to a regular file, as when space returns.
    const path = `${dir}/spip.jsonl`;
    const real = `${dir}/real.jsonl`;
    await Deno.symlink("/dev/full", path);
    let now = 1_000_000;
    const sink = FileSink.open(path, 1000, () => now);
    await assertRejects(() => sink.write(encoder.encode("lost\n")));
    assertEquals(sink.isOpen, false);
    await Deno.remove(path);
    await Deno.symlink(real, path);
    // Within the retry interval the file is not even opened.
    now += 999;
    const early = await assertRejects(() => sink.write(encoder.encode("lost\n")), Error);
    assertStringIncludes(early.message, "retrying");
    assertEquals(sink.isOpen, false);
    now += 1;
    await writeAll(sink, "kept\n");
    assertEquals(sink.isOpen, true);
    sink.close();
    assertEquals(await Deno.readTextFile(real), "kept\n");
  });
});

Deno.test("RecordWriter over a FileSink counts output errors and shed records on ENOSPC", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/spip.jsonl`;
    await Deno.symlink("/dev/full", path);
    const stats = new Stats();
    const sink = FileSink.open(path, 60_000);
    const writer = new RecordWriter(sink, 1 << 20, stats);
    for (let i = 0; i < 3; i++) {
      writer.push(`{"n":${i}}`);
      await writer.flush();
    }
    sink.close();
    assertEquals(stats.outputErrors, 3);
    assertEquals(stats.recordsShed, 3);
    assertEquals(stats.recordsWritten, 0);
  });
});

import { assertEquals, assertGreater } from "../../testing/std.ts";
import {
  MAX_LINE_CHARS,
  READ_CHUNK_BYTES,
  readLineBytes,
  readLines,
} from "../../src/report/line_reader.ts";

Deno.test("readLines: CRLF and a last line without newline; an overlong line is counted and skipped", async () => {
  const path = await Deno.makeTempFile({ prefix: "spip-lines-" });
  try {
    const long = "x".repeat(MAX_LINE_CHARS + 10);
    const longer = "y".repeat(3 * MAX_LINE_CHARS);
    await Deno.writeTextFile(path, `one\r\n\ntwo\n${long}\nthree\n${longer}\nfour`);
    const lines: string[] = [];
    const counts = await readLines({ path }, (line) => lines.push(line));
    // Compare short texts only: a failing diff of a 16 MiB line is unreadable.
    assertEquals(lines.map((l) => l.replace(/\r$/, "").slice(0, 10)), [
      "one",
      "two",
      "three",
      "four",
    ]);
    assertEquals(counts, { lines: 4, tooLong: 2, gzip: false });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("readLines: lines longer than one read arrive whole; a BOM is dropped at the start only", async () => {
  const path = await Deno.makeTempFile({ prefix: "spip-lines-" });
  try {
    const long = "a".repeat(3 * READ_CHUNK_BYTES + 5);
    await Deno.writeTextFile(path, `\ufeffone\n${long}\n\ufefftwo\n\r\nthree\r\n`);
    const lines: string[] = [];
    const counts = await readLines({ path }, (line) => lines.push(line));
    assertEquals(lines.length, 4);
    assertEquals(lines[0], "one");
    assertEquals(lines[1] === long, true);
    assertEquals(lines[2], "\ufefftwo");
    assertEquals(lines[3], "three\r");
    assertEquals(counts, { lines: 4, tooLong: 0, gzip: false });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("readLines: the limit counts characters, not bytes (a line of 2-byte characters over MAX_LINE_CHARS bytes is kept)", async () => {
  const path = await Deno.makeTempFile({ prefix: "spip-lines-" });
  try {
    const wide = "\u00e9".repeat(MAX_LINE_CHARS / 2 + 10); // more than MAX_LINE_CHARS bytes
    const tooWide = "\u00e9".repeat(MAX_LINE_CHARS + 1);
    await Deno.writeTextFile(path, `${wide}\n${tooWide}\nend`);
    const lengths: number[] = [];
    const counts = await readLines({ path }, (line) => lengths.push(line.length));
    assertEquals(lengths, [wide.length, 3]);
    assertEquals(counts, { lines: 2, tooLong: 1, gzip: false });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("readLineBytes: gzip input split over many decompressed chunks gives the same lines", async () => {
  const path = await Deno.makeTempFile({ prefix: "spip-lines-", suffix: ".gz" });
  try {
    const lines = Array.from(
      { length: 50_000 },
      (_, i) => `{"n":${i},"pad":"${"x".repeat(i % 97)}"}`,
    );
    const plain = new TextEncoder().encode(`${lines.join("\n")}\n`);
    const zipped = new Uint8Array(
      await new Response(new Blob([plain]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
    await Deno.writeFile(path, zipped);
    const seen: string[] = [];
    const decoder = new TextDecoder();
    const counts = await readLineBytes(
      { path },
      (bytes, start, end) => seen.push(decoder.decode(bytes.subarray(start, end))),
    );
    assertEquals(counts, { lines: lines.length, tooLong: 0, gzip: true });
    assertEquals(seen, lines);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("readLines: a FIFO is read without blocking the thread while its writer pauses", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spip-fifo-" });
  const path = `${dir}/records`;
  try {
    const made = await new Deno.Command("mkfifo", { args: [path] }).output();
    assertEquals(made.code, 0, new TextDecoder().decode(made.stderr));
    // The writer opens the FIFO, writes a line and a half, pauses, then writes the rest.
    const slow = new Deno.Command("sh", {
      args: [
        "-c",
        `exec 3>"$1"; printf 'one\\ntw' >&3; sleep 0.3; printf 'o\\nthree\\n' >&3`,
        "sh",
        path,
      ],
    }).spawn();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const lines: string[] = [];
    const counts = await readLines({ path }, (line) => lines.push(line));
    clearInterval(ticker);
    assertEquals((await slow.status).code, 0);
    assertEquals(lines, ["one", "two", "three"]);
    assertEquals(counts, { lines: 3, tooLong: 0, gzip: false });
    // Timers ran during the writer's pause: the read did not hold the thread.
    assertGreater(ticks, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

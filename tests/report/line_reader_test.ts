import { assertEquals } from "../../testing/std.ts";
import { MAX_LINE_CHARS, readLines } from "../../src/report/line_reader.ts";

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

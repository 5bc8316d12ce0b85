import { assertEquals } from "../../testing/std.ts";
import { CappedRecords } from "../../src/session/capped_records.ts";
import type { RecordWriter } from "../../src/output/record_writer.ts";
import { Stats } from "../../src/output/stats.ts";
import { createFlow } from "../../src/record/record.ts";

const FLOW = createFlow(
  "tcp",
  { ip: "192.0.2.7", port: 40000 },
  { ip: "198.51.100.1", port: 80 },
  "t",
);
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

interface Harness {
  capped: CappedRecords;
  lines: Record<string, unknown>[];
  stats: Stats;
}

function records(
  maxBytes: number,
  quiet = false,
  firstFields?: Record<string, unknown>,
): Harness {
  const lines: Record<string, unknown>[] = [];
  const writer = {
    push: (line: string) => (lines.push(JSON.parse(line)), true),
  } as unknown as RecordWriter;
  const stats = new Stats();
  const capped = new CappedRecords({ flow: FLOW, maxBytes, writer, stats, quiet, firstFields });
  return { capped, lines, stats };
}

Deno.test("CappedRecords writes one record per read, numbered from 1", () => {
  const { capped, lines, stats } = records(100);
  capped.take(bytes("GET"), 1000);
  capped.take(bytes(" /"), 2000);
  assertEquals(lines.map((r) => [r["payload"], r["seq"], r["timestamp"]]), [
    ["GET", 1, 1],
    [" /", 2, 2],
  ]);
  assertEquals(lines.map((r) => r["truncated"]), [false, false]);
  assertEquals([stats.bytesLogged, stats.bytesOverCap, capped.count], [5, 0, 2]);
});

Deno.test("CappedRecords cuts the read that crosses the cap and counts the rest", () => {
  const { capped, lines, stats } = records(4);
  capped.take(bytes("abc"), 0);
  capped.take(bytes("defg"), 0);
  capped.take(bytes("hij"), 0);
  assertEquals(lines.map((r) => r["payload"]), ["abc", "d"]);
  assertEquals(lines[1]?.["truncated"], true);
  assertEquals([stats.bytesLogged, stats.bytesOverCap], [4, 6]);
});

Deno.test("CappedRecords holds a read that fills the cap exactly until it knows more came", () => {
  const exact = records(3);
  exact.capped.take(bytes("abc"), 0);
  assertEquals(exact.lines.length, 0);
  exact.capped.flush();
  assertEquals(exact.lines.map((r) => [r["payload"], r["truncated"]]), [["abc", false]]);

  const more = records(3);
  more.capped.take(bytes("abc"), 0);
  more.capped.take(bytes("d"), 0);
  more.capped.flush();
  assertEquals(more.lines.map((r) => [r["payload"], r["truncated"]]), [["abc", true]]);
  assertEquals(more.stats.bytesOverCap, 1);
});

Deno.test("CappedRecords.emit writes outside the cap: a silent record is marked silent", () => {
  const { capped, lines } = records(1);
  capped.emit(new Uint8Array(0), 5000, undefined, true);
  assertEquals(lines.map((r) => [r["payload"], r["silent"], r["seq"]]), [["", true, 1]]);
});

Deno.test("CappedRecords writes nothing when quiet", () => {
  const { capped, lines, stats } = records(100, true);
  capped.take(bytes("abc"), 0);
  capped.emit(new Uint8Array(0), 0, undefined, true);
  capped.flush();
  assertEquals([lines.length, stats.bytesLogged, capped.count], [0, 0, 0]);
});

Deno.test("CappedRecords puts the first-record fields on seq 1 only, before its own extra fields", () => {
  const syn = { syn_ttl: 64, rtt_us: 30 };
  const { capped, lines } = records(100, false, syn);
  capped.take(bytes("a"), 0, { tls_sni: "x" });
  capped.take(bytes("b"), 0);
  const first = lines[0] ?? {};
  assertEquals(Object.keys(first).slice(-3), ["syn_ttl", "rtt_us", "tls_sni"]);
  assertEquals([first["syn_ttl"], first["rtt_us"], first["tls_sni"]], [64, 30, "x"]);
  assertEquals(lines[1]?.["syn_ttl"], undefined);
  const silent = records(100, false, syn);
  silent.capped.emit(new Uint8Array(0), 0, undefined, true);
  assertEquals([silent.lines[0]?.["silent"], silent.lines[0]?.["syn_ttl"]], [true, 64]);
});

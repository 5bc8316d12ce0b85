import { assertEquals } from "../testing/std.ts";
import { RecordChecker } from "./record_check.ts";
import { makePayload, parseToken, portFor } from "./payload.ts";

const plan = {
  runId: "abcd0123",
  count: 3,
  size: 100,
  portMin: 1,
  portMax: 2,
  maxBytes: 60,
  checkPort: true,
  fullPayload: true,
};

function line(
  session: string,
  seq: number,
  bytes: Uint8Array,
  port: number,
  truncated = false,
): string {
  return JSON.stringify({
    session_id: session,
    seq,
    payload_hex: bytes.toHex(),
    destination_port: port,
    truncated,
  });
}

Deno.test("makePayload carries a token that parseToken reads back", () => {
  const bytes = makePayload("ff00", 42, 64);
  assertEquals(bytes.length, 64);
  assertEquals(parseToken(bytes), { runId: "ff00", index: 42 });
  assertEquals(parseToken(new Uint8Array([1, 2, 3])), null);
});

Deno.test("RecordChecker accepts split records up to the cap and counts each fault", () => {
  const checker = new RecordChecker(plan);
  const p0 = makePayload(plan.runId, 0, plan.size);
  checker.feed(line("a", 1, p0.subarray(0, 40), portFor(0, 1, 2)));
  checker.feed(line("a", 2, p0.subarray(40, 60), portFor(0, 1, 2), true));
  const p1 = makePayload(plan.runId, 1, plan.size);
  checker.feed(line("b", 1, p1.subarray(0, 60), 999, true));
  checker.feed(line("c", 1, new Uint8Array(0), 1));
  checker.feed("not json");
  const result = checker.result(() => true);
  assertEquals(result.records, 5);
  assertEquals(result.malformed, 1);
  assertEquals(result.untokened, 1);
  assertEquals(result.lost, 1);
  assertEquals(result.wrongPort, 1);
  assertEquals(result.wrongBytes, 0);
  assertEquals(result.wrongFlags, 0);
});

Deno.test("RecordChecker flags changed bytes, short sessions and missing truncation", () => {
  const checker = new RecordChecker(plan);
  const p0 = makePayload(plan.runId, 0, plan.size).slice(0, 60);
  p0[50] = (p0[50] ?? 0) ^ 1;
  checker.feed(line("a", 1, p0, portFor(0, 1, 2), true));
  const p1 = makePayload(plan.runId, 1, plan.size);
  checker.feed(line("b", 1, p1.subarray(0, 30), portFor(1, 1, 2)));
  const result = checker.result((i) => i < 2);
  assertEquals(result.wrongBytes, 2);
  assertEquals(result.wrongFlags, 1);
  assertEquals(result.lost, 0);
});

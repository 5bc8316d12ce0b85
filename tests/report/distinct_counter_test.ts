import { assert, assertEquals } from "../../src/std.ts";
import { DISTINCT_RELATIVE_ERROR, DistinctCounter } from "../../src/report/distinct_counter.ts";

Deno.test("DistinctCounter: exact below its limit, then within 4 standard errors", () => {
  const counter = new DistinctCounter(1000);
  for (let i = 0; i < 1000; i++) counter.add(`10.0.${i >> 8}.${i & 255}`);
  for (let i = 0; i < 1000; i++) counter.add(`10.0.${i >> 8}.${i & 255}`);
  assertEquals(counter.count(), { count: 1000, exact: true });
  for (let i = 0; i < 200_000; i++) counter.add(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
  const { count, exact } = counter.count();
  assertEquals(exact, false);
  assert(Math.abs(count - 200_000) / 200_000 < 4 * DISTINCT_RELATIVE_ERROR, `estimate ${count}`);
});

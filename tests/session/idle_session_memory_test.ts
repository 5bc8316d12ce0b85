import { assert, assertEquals, assertLess } from "../../testing/std.ts";
import type { IdleSessionMemory } from "./_idle_session_memory.ts";

/** Sessions per round: enough that a few bytes per session stand out of the heap's noise. */
const SESSIONS = 3000;
const ROUNDS = 3;
/** Less than any object a session could hold for greeting (an empty object is about 28 B). */
const MAX_GREETING_BYTES_PER_IDLE_SESSION = 24;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

Deno.test("an idle session holds no more heap with greetings on than off, until it is greeted", async () => {
  const script = new URL("./_idle_session_memory.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", script, String(SESSIONS), String(ROUNDS)],
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const result: IdleSessionMemory = JSON.parse(new TextDecoder().decode(out.stdout));
  const off = median(result.off), on = median(result.on), greeted = median(result.greeted);
  const figures = JSON.stringify(result);
  // The measure sees what a session holds: the session itself, and a greeter once greeted.
  assert(off > 200, figures);
  assert(greeted > 100, figures);
  assertLess(on - off, MAX_GREETING_BYTES_PER_IDLE_SESSION, figures);
});

import { assert, assertEquals } from "../testing/std.ts";
import { CLOCK_TICKS, cpuMicros, threadCpuMicros } from "./process_stats.ts";

/** How long the child keeps its main thread busy, ms. */
const BUSY_MS = 300;

Deno.test("threadCpuMicros() counts a deno run program's work on its main thread, and adds up", async () => {
  // deno test runs tests off the process's main thread, so the work runs in a child, as the
  // sensor runs under the bench: busy first, then asleep while it is measured.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `let x = 0; const end = performance.now() + ${BUSY_MS};
       while (performance.now() < end) x += Math.sqrt(x + 1);
       console.log(x > 0); await new Promise((r) => setTimeout(r, 5000));`,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = child.stdout.getReader();
    await reader.read(); // The busy part is over.
    reader.releaseLock();
    const split = threadCpuMicros(child.pid);
    const total = cpuMicros(child.pid);
    assert(split !== null);
    assert(split.mainUser >= BUSY_MS * 1000 / 2, `main thread user ${split.mainUser} us`);
    const threads = (await Array.fromAsync(Deno.readDir(`/proc/${child.pid}/task`))).length;
    const sum = split.mainUser + split.mainSystem + split.others;
    const tick = 1_000_000 / CLOCK_TICKS;
    assert(Math.abs(total - sum) <= 2 * tick * threads, `${sum} against ${total}`);
  } finally {
    child.kill();
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
});

Deno.test("threadCpuMicros() is null for a process that is gone", () => {
  assertEquals(threadCpuMicros(2 ** 22 + 1), null);
});

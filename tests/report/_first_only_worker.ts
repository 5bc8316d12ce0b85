/**
 * A test worker for the report's worker pool: the first one made in the process is the real
 * report worker; any later one loads but never says it is ready, as a worker made after reading
 * began and stuck while loading would. The first marks itself in an environment variable, which
 * workers of one process share.
 */
const MARK = "SPIP_TEST_FIRST_WORKER_LOADED";

if (Deno.env.get(MARK) === undefined) {
  Deno.env.set(MARK, "1");
  await import("../../src/report/report_worker.ts");
} else {
  globalThis.addEventListener("message", () => {});
}

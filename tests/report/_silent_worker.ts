/**
 * A test worker for the report's worker pool that loads but never says it is ready, and never
 * answers: the pool must give up on starting it.
 */
globalThis.addEventListener("message", () => {});

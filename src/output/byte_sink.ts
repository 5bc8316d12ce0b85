/**
 * Where record bytes go: the interface the record writer writes to and the sinks implement.
 *
 * @module
 */

/** Where record bytes go: stdout, or a file. */
export interface ByteSink {
  /** Writes some of the bytes and resolves with how many. */
  write(bytes: Uint8Array): Promise<number>;
  /**
   * Writes some of the bytes at once and returns how many. Present only where a write cannot
   * block for long, such as a regular file; the writer then uses it instead of `write`.
   */
  writeSync?: (bytes: Uint8Array) => number;
}

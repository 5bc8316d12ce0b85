/**
 * Records appended to a file, reopened on request (SIGHUP) for log rotation, surviving a full
 * disk.
 *
 * @module
 */
import type { ByteSink } from "./byte_sink.ts";

/** The least time between two attempts to open the file again after a failure, ms. */
export const REOPEN_RETRY_MS = 1000;

const NEWLINE = 10;
const OPEN_OPTIONS: Deno.OpenOptions = { append: true, create: true, mode: 0o640 };

function detail(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A {@linkcode ByteSink} that appends to a file (`O_APPEND`, created with mode 0640).
 *
 * {@linkcode FileSink.reopen} asks for the file to be opened again by path, as logrotate's
 * `create` mode needs after it renamed the file. The switch happens inside the next `write`,
 * before its bytes go anywhere, and only at a line boundary: the writer calls `write` one at a
 * time, so no write is in flight on the old fd when it is closed, and no line is split between
 * the old file and the new one.
 *
 * A failed write (ENOSPC, EIO, the file made unwritable) closes the fd and rethrows, so the
 * writer counts it and sheds its records. The next write opens the file again, but at most once
 * per {@linkcode REOPEN_RETRY_MS}; before that it fails at once without a system call. Writing
 * thus resumes by itself when space returns, and a full disk never makes the sensor spin.
 */
export class FileSink implements ByteSink {
  /** The file's path. */
  readonly path: string;
  readonly #retryMs: number;
  readonly #now: () => number;
  #file: Deno.FsFile | null;
  #reopenWanted = false;
  #atLineStart = true;
  #lastFailureMs = -Infinity;
  #lastFailure = "";
  #closed = false;

  private constructor(path: string, file: Deno.FsFile, retryMs: number, now: () => number) {
    this.path = path;
    this.#file = file;
    this.#retryMs = retryMs;
    this.#now = now;
  }

  /**
   * Opens the file for appending, creating it with mode 0640 when absent.
   *
   * @param path The file's path.
   * @param retryMs The least time between two attempts to open it again after a failure.
   * @param now The clock, for tests.
   * @returns The sink.
   * @throws {Error} "Cannot open output PATH: ..." when the file cannot be opened.
   */
  static open(
    path: string,
    retryMs: number = REOPEN_RETRY_MS,
    now: () => number = Date.now,
  ): FileSink {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, OPEN_OPTIONS);
    } catch (error) {
      throw new Error(`Cannot open output ${path}: ${detail(error)}`);
    }
    return new FileSink(path, file, retryMs, now);
  }

  /** Whether the file is open now (false after a failure, until the next successful open). */
  get isOpen(): boolean {
    return this.#file !== null;
  }

  /**
   * Asks for the file to be opened again by path before the next line is written: after
   * logrotate renamed it, records go to the new file. The old fd is closed then, never during
   * a write.
   */
  reopen(): void {
    this.#reopenWanted = true;
  }

  #dropFile(): void {
    const file = this.#file;
    this.#file = null;
    try {
      file?.close();
    } catch {
      // Already closed.
    }
  }

  /**
   * Writes some of the bytes at the end of the file.
   *
   * @param bytes The bytes.
   * @returns How many were written.
   * @throws {Error} When the write or the reopening fails.
   */
  async write(bytes: Uint8Array): Promise<number> {
    if (this.#closed) throw new Error(`Cannot write to ${this.path}: the sink is closed`);
    if (this.#reopenWanted && this.#atLineStart) {
      this.#reopenWanted = false;
      this.#dropFile();
      this.#lastFailureMs = -Infinity;
    }
    let file = this.#file;
    if (file === null) {
      const now = this.#now();
      if (now - this.#lastFailureMs < this.#retryMs) {
        throw new Error(`output ${this.path} unavailable (${this.#lastFailure}); retrying soon`);
      }
      try {
        file = await Deno.open(this.path, OPEN_OPTIONS);
      } catch (error) {
        this.#lastFailureMs = now;
        this.#lastFailure = detail(error);
        throw new Error(`cannot reopen ${this.path}: ${this.#lastFailure}`);
      }
      if (this.#closed) {
        file.close();
        throw new Error(`Cannot write to ${this.path}: the sink is closed`);
      }
      this.#file = file;
    }
    let written: number;
    try {
      written = await file.write(bytes);
    } catch (error) {
      this.#lastFailureMs = this.#now();
      this.#lastFailure = detail(error);
      if (this.#file === file) this.#dropFile();
      throw error;
    }
    if (written > 0) this.#atLineStart = bytes[written - 1] === NEWLINE;
    return written;
  }

  /** Closes the file. Later writes fail. */
  close(): void {
    this.#closed = true;
    this.#dropFile();
  }
}

/**
 * Reads the lines of a records file, a gzip-compressed (rotated) one, or stdin, in bounded
 * memory. Gzip is recognised by its magic bytes, not by the file name.
 *
 * Reading is cut in two steps so that lines can be counted on other threads with the same rules:
 * {@linkcode readChunks} fills buffers of {@linkcode READ_CHUNK_BYTES} and hands each one on cut
 * after its last line end (the input's byte order mark dropped, lines too long to hold dropped
 * and counted); {@linkcode splitChunk} splits a chunk into lines. {@linkcode readLineBytes} does
 * both on one thread, handing lines on as byte spans, so no line becomes a string unless the
 * caller decodes it ({@linkcode readLines} does).
 *
 * @module
 */

/** Bytes asked for per read, and each chunk buffer's size. */
export const READ_CHUNK_BYTES = 2 << 20;
/**
 * The longest line kept, in characters (UTF-16 code units, as the line decodes). A record of a
 * session at the sensor's default cap (1 MiB per read) is at most about 8 Mi characters (escaped
 * payload plus hex); a longer line is counted in `tooLong` and skipped.
 */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;
/**
 * The most bytes of one line held. A UTF-8 line has at least one byte and at most three per
 * character, so a line of more than this many bytes is too long whatever it holds, and one of at
 * most {@linkcode MAX_LINE_CHARS} bytes never is; between the two its characters are counted.
 */
export const MAX_LINE_BYTES_HELD = 3 * MAX_LINE_CHARS;

/** Where records come from. */
export type ReportInput = { readonly path: string } | { readonly stdin: true };

/** Lines counted while splitting. */
export interface LineCounts {
  /** Lines handed on (empty lines are not counted). */
  lines: number;
  /** Lines longer than {@linkcode MAX_LINE_CHARS}, skipped. */
  tooLong: number;
}

/** What reading one input found, besides the lines handed on. */
export interface ReadCounts extends LineCounts {
  /** Whether the input was gzip-compressed. */
  gzip: boolean;
}

/**
 * Receives one chunk of whole lines (the input's last chunk may end without a line ending). The
 * chunk and its buffer belong to the receiver from then on; it may give the buffer back to the
 * reader's {@linkcode ChunkPool} once done with it.
 */
export type ChunkHandler = (chunk: Uint8Array<ArrayBuffer>) => void | Promise<void>;

/** Spare chunk buffers kept for reuse. */
export const CHUNK_POOL_BUFFERS = 16;

/** Buffers of {@linkcode READ_CHUNK_BYTES} for chunks, reused once given back. */
export class ChunkPool {
  readonly #spare: ArrayBuffer[] = [];

  /** A buffer of {@linkcode READ_CHUNK_BYTES}: a spare one, or a new one. */
  take(): ArrayBuffer {
    return this.#spare.pop() ?? new ArrayBuffer(READ_CHUNK_BYTES);
  }

  /**
   * Keeps a buffer for reuse (only one of {@linkcode READ_CHUNK_BYTES}, and at most
   * {@linkcode CHUNK_POOL_BUFFERS} of them; the others are left to the garbage collector).
   *
   * @param buffer The buffer, no longer used by the giver.
   */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === READ_CHUNK_BYTES && this.#spare.length < CHUNK_POOL_BUFFERS) {
      this.#spare.push(buffer);
    }
  }
}

/**
 * Receives one line: `bytes[start..end)`, without its line ending. The bytes are valid only
 * during the call (the buffer is reused).
 */
export type LineBytesHandler = (bytes: Uint8Array, start: number, end: number) => void;

/** The name of an input in messages. */
export function inputName(input: ReportInput): string {
  return "path" in input ? input.path : "stdin";
}

/** Something read from: a file, or stdin. */
interface ByteSource {
  read(buffer: Uint8Array): Promise<number | null>;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** Decodes single lines: a BOM is dropped by the reader at the input's start only. */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
/** A chunk's buffer grows up to one held line plus one read. */
const BUFFER_MAX_BYTES = MAX_LINE_BYTES_HELD + READ_CHUNK_BYTES;

/** Fills a buffer from the decompressed bytes of a gzip source, chunk by chunk. */
class GunzipSource implements ByteSource {
  readonly #chunks: AsyncIterator<Uint8Array>;
  #pending: Uint8Array = new Uint8Array(0);

  constructor(first: Uint8Array<ArrayBuffer>, rest: ByteSource) {
    // The first bytes are read again through the decompressor: they must be a copy.
    const raw = ReadableStream.from((async function* (): AsyncGenerator<BufferSource> {
      yield first;
      for (;;) {
        const buffer = new Uint8Array(READ_CHUNK_BYTES);
        const n = await rest.read(buffer);
        if (n === null) return;
        if (n > 0) yield buffer.subarray(0, n);
      }
    })());
    this.#chunks = raw.pipeThrough(new DecompressionStream("gzip"))[Symbol.asyncIterator]();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#pending.length === 0) {
      const next = await this.#chunks.next();
      if (next.done === true) return null;
      this.#pending = next.value;
    }
    const n = Math.min(buffer.length, this.#pending.length);
    buffer.set(this.#pending.subarray(0, n));
    this.#pending = this.#pending.subarray(n);
    return n;
  }
}

/**
 * Reads an input in chunks of whole lines.
 *
 * @param input A file path, or stdin.
 * @param onChunk Called with each chunk, awaited before the next read (so a slow receiver holds
 *   the reading back).
 * @param pool Where chunk buffers come from.
 * @returns The counts: `tooLong` counts the lines dropped for not fitting in
 *   {@linkcode MAX_LINE_BYTES_HELD} bytes; `lines` is 0 (lines are counted by
 *   {@linkcode splitChunk}).
 * @throws {Error} "Cannot read PATH: ..." when the file cannot be opened or read, or its gzip
 *   data is corrupt; what `onChunk` throws is passed on as it is.
 */
export async function readChunks(
  input: ReportInput,
  onChunk: ChunkHandler,
  pool: ChunkPool = new ChunkPool(),
): Promise<ReadCounts> {
  const counts: ReadCounts = { lines: 0, tooLong: 0, gzip: false };
  const name = inputName(input);
  let file: Deno.FsFile | undefined;
  try {
    file = "path" in input
      ? await Deno.open(input.path, { read: true }).catch((error) => {
        throw readError(name, error);
      })
      : undefined;
    const raw: ByteSource = file === undefined ? Deno.stdin : fileSource(file);
    const buffer = new Uint8Array(pool.take());
    const n = await raw.read(buffer).catch((error) => {
      throw readError(name, error);
    });
    if (n === null) return counts;
    counts.gzip = n >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
    const source = counts.gzip ? new GunzipSource(buffer.slice(0, n), raw) : raw;
    await cutChunks(name, source, buffer, counts.gzip ? 0 : n, onChunk, pool, counts);
  } finally {
    file?.close();
  }
  return counts;
}

/**
 * A file as a source. A regular file is read with `readSync`: its bytes are in the page cache or
 * on a local disk, so the call does not wait on a writer, and it saves the hop to Deno's blocking
 * thread pool that `read` makes for each buffer. Anything else (a FIFO, `/dev/stdin`, a process
 * substitution's pipe) is read with `read`, so the main thread never blocks on a slow writer.
 */
function fileSource(file: Deno.FsFile): ByteSource {
  if (!file.statSync().isFile) return file;
  return {
    read: (buffer) => {
      try {
        return Promise.resolve(file.readSync(buffer));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}

function readError(name: string, error: unknown): Error {
  const detail = error instanceof Error ? error.message : String(error);
  return new Error(`Cannot read ${name}: ${detail}`);
}

/**
 * Splits a chunk into lines: each non-empty line is handed on without its line ending (a lone
 * `\r` is empty); a line longer than {@linkcode MAX_LINE_CHARS} characters is counted in
 * `tooLong` and skipped.
 *
 * @param chunk Whole lines (the last one may lack its line ending).
 * @param onLine Called with each line, as a span of `chunk`.
 * @param counts Counts lines handed on and lines skipped.
 */
export function splitChunk(chunk: Uint8Array, onLine: LineBytesHandler, counts: LineCounts): void {
  const end = chunk.length;
  let start = 0;
  while (start < end) {
    let stop = chunk.indexOf(NEWLINE, start);
    if (stop < 0) stop = end;
    const length = stop - start;
    if (length > 1 || (length === 1 && chunk[start] !== CARRIAGE_RETURN)) {
      if (
        length > MAX_LINE_CHARS && utf8.decode(chunk.subarray(start, stop)).length > MAX_LINE_CHARS
      ) {
        counts.tooLong++;
      } else {
        counts.lines++;
        onLine(chunk, start, stop);
      }
    }
    start = stop + 1;
  }
}

/**
 * Reads an input line by line, as byte spans of reused buffers.
 *
 * @param input A file path, or stdin.
 * @param onLine Called with each non-empty line, without its line ending (a lone `\r` is empty).
 * @returns The counts.
 * @throws {Error} "Cannot read PATH: ..." when the file cannot be opened or read, or its gzip
 *   data is corrupt.
 */
export async function readLineBytes(
  input: ReportInput,
  onLine: LineBytesHandler,
): Promise<ReadCounts> {
  const pool = new ChunkPool();
  const lines: LineCounts = { lines: 0, tooLong: 0 };
  const counts = await readChunks(input, (chunk) => {
    splitChunk(chunk, onLine, lines);
    pool.give(chunk.buffer);
  }, pool);
  return { lines: lines.lines, tooLong: counts.tooLong + lines.tooLong, gzip: counts.gzip };
}

/**
 * Reads an input line by line, as strings (lossy UTF-8; a leading byte order mark is dropped).
 *
 * @param input A file path, or stdin.
 * @param onLine Called with each non-empty line, without its line ending.
 * @returns The counts.
 * @throws {Error} "Cannot read PATH: ..." as {@linkcode readLineBytes}.
 */
export function readLines(
  input: ReportInput,
  onLine: (line: string) => void,
): Promise<ReadCounts> {
  return readLineBytes(
    input,
    (bytes, start, end) => onLine(utf8.decode(bytes.subarray(start, end))),
  );
}

/**
 * Fills buffers from a source and hands each on cut after its last line end; the unfinished line
 * moves to the next buffer. A line that fills a buffer grows it, up to
 * {@linkcode BUFFER_MAX_BYTES}; one that fills even that is dropped and counted in `tooLong`.
 */
async function cutChunks(
  name: string,
  source: ByteSource,
  first: Uint8Array<ArrayBuffer>,
  firstFilled: number,
  onChunk: ChunkHandler,
  pool: ChunkPool,
  counts: ReadCounts,
): Promise<void> {
  let buffer = first;
  let filled = firstFilled;
  let eof = false;
  let bomChecked = false;
  /** Inside a line that was too long: drop bytes until its newline. */
  let skipping = false;
  for (;;) {
    while (!eof && filled < buffer.length) {
      const n = await source.read(buffer.subarray(filled)).catch((error) => {
        throw readError(name, error);
      });
      if (n === null) eof = true;
      else filled += n;
    }
    if (!bomChecked) {
      bomChecked = true;
      if (filled >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) {
        buffer.copyWithin(0, 3, filled);
        filled -= 3;
      }
    }
    if (skipping) {
      const end = buffer.subarray(0, filled).indexOf(NEWLINE);
      if (end < 0) {
        if (eof) return;
        filled = 0;
        continue;
      }
      buffer.copyWithin(0, end + 1, filled);
      filled -= end + 1;
      skipping = false;
    }
    if (eof) {
      if (filled > 0) await onChunk(buffer.subarray(0, filled));
      else pool.give(buffer.buffer);
      return;
    }
    const cut = buffer.subarray(0, filled).lastIndexOf(NEWLINE);
    if (cut < 0) {
      // The buffer is full of one unfinished line.
      if (buffer.length < BUFFER_MAX_BYTES) {
        const grown = new Uint8Array(Math.min(buffer.length * 2, BUFFER_MAX_BYTES));
        grown.set(buffer.subarray(0, filled));
        pool.give(buffer.buffer);
        buffer = grown;
      } else {
        // Drop the line's start at once so memory stays bounded; its end is skipped when it comes.
        counts.tooLong++;
        skipping = true;
        filled = 0;
      }
      continue;
    }
    const rest = filled - (cut + 1);
    let size = READ_CHUNK_BYTES;
    while (size < 2 * rest && size < BUFFER_MAX_BYTES) size = Math.min(size * 2, BUFFER_MAX_BYTES);
    const next = new Uint8Array(size === READ_CHUNK_BYTES ? pool.take() : new ArrayBuffer(size));
    next.set(buffer.subarray(cut + 1, filled));
    await onChunk(buffer.subarray(0, cut + 1));
    buffer = next;
    filled = rest;
  }
}

/**
 * Reads the lines of a records file, a gzip-compressed (rotated) one, or stdin, in bounded
 * memory: one reused byte buffer holds the current read and at most one line. Gzip is recognised
 * by its magic bytes, not by the file name. Lines are handed on as byte spans of that buffer
 * ({@linkcode readLineBytes}), so no line becomes a string unless the caller decodes it
 * ({@linkcode readLines} does).
 *
 * @module
 */

/** Bytes asked for per read, and the buffer's starting size. */
export const READ_CHUNK_BYTES = 1 << 20;
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

/** What reading one input found, besides the lines handed on. */
export interface ReadCounts {
  /** Lines handed on (empty lines are not counted). */
  lines: number;
  /** Lines longer than {@linkcode MAX_LINE_CHARS}, skipped. */
  tooLong: number;
  /** Whether the input was gzip-compressed. */
  gzip: boolean;
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
/** The buffer grows up to one held line plus one read. */
const BUFFER_MAX_BYTES = MAX_LINE_BYTES_HELD + READ_CHUNK_BYTES;

/** Fills a buffer from the decompressed bytes of a gzip source, chunk by chunk. */
class GunzipSource implements ByteSource {
  readonly #chunks: AsyncIterator<Uint8Array>;
  #pending: Uint8Array = new Uint8Array(0);

  constructor(first: Uint8Array<ArrayBuffer>, rest: ByteSource) {
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
 * Reads an input line by line, as byte spans of one reused buffer.
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
  const counts: ReadCounts = { lines: 0, tooLong: 0, gzip: false };
  let file: Deno.FsFile | undefined;
  try {
    file = "path" in input ? await Deno.open(input.path, { read: true }) : undefined;
    const raw: ByteSource = file ?? Deno.stdin;
    const first = new Uint8Array(READ_CHUNK_BYTES);
    const n = await raw.read(first);
    if (n === null) return counts;
    counts.gzip = n >= 2 && first[0] === 0x1f && first[1] === 0x8b;
    await splitLines(
      counts.gzip ? new GunzipSource(first.subarray(0, n), raw) : raw,
      counts.gzip ? undefined : first.subarray(0, n),
      onLine,
      counts,
    );
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot read ${inputName(input)}: ${detail}`);
  } finally {
    file?.close();
  }
  return counts;
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

async function splitLines(
  source: ByteSource,
  head: Uint8Array | undefined,
  onLine: LineBytesHandler,
  counts: ReadCounts,
): Promise<void> {
  let buffer = new Uint8Array(READ_CHUNK_BYTES);
  let filled = 0;
  if (head !== undefined) {
    buffer.set(head);
    filled = head.length;
  }
  /** Bytes before this were searched for a newline already. */
  let searched = 0;
  /** Inside a line that was too long: drop bytes until its newline. */
  let skipping = false;
  let bomChecked = false;
  let eof = false;
  const emit = (start: number, end: number): void => {
    if (skipping) {
      skipping = false;
      return;
    }
    const length = end - start;
    if (length === 0 || (length === 1 && buffer[start] === CARRIAGE_RETURN)) return;
    if (
      length > MAX_LINE_CHARS && utf8.decode(buffer.subarray(start, end)).length > MAX_LINE_CHARS
    ) {
      counts.tooLong++;
      return;
    }
    counts.lines++;
    onLine(buffer, start, end);
  };
  const fill = async (): Promise<void> => {
    const n = await source.read(buffer.subarray(filled));
    if (n === null) eof = true;
    else filled += n;
  };
  if (head === undefined) await fill();
  for (;;) {
    let start = 0;
    if (!bomChecked) {
      if (filled < 3 && !eof) {
        await fill();
        continue;
      }
      bomChecked = true;
      if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) start = searched = 3;
    }
    for (;;) {
      const end = buffer.indexOf(NEWLINE, searched);
      if (end < 0 || end >= filled) break;
      emit(start, end);
      start = searched = end + 1;
    }
    if (eof) {
      if (start < filled) emit(start, filled);
      return;
    }
    // Keep the unfinished line at the buffer's start.
    if (start > 0) {
      buffer.copyWithin(0, start, filled);
      filled -= start;
    }
    searched = filled;
    if (filled === buffer.length) {
      if (buffer.length < BUFFER_MAX_BYTES) {
        const grown = new Uint8Array(Math.min(buffer.length * 2, BUFFER_MAX_BYTES));
        grown.set(buffer);
        buffer = grown;
      } else {
        // Drop the line's start at once so memory stays bounded; its end is skipped when it comes.
        if (!skipping) counts.tooLong++;
        skipping = true;
        filled = 0;
        searched = 0;
      }
    }
    await fill();
  }
}

/**
 * Reads the lines of a records file, a gzip-compressed (rotated) one, or stdin, in bounded
 * memory: one read buffer and at most one line of {@linkcode MAX_LINE_CHARS} characters are held
 * at a time. Gzip is recognised by its magic bytes, not by the file name.
 *
 * @module
 */

/** Bytes asked for per read. */
export const READ_CHUNK_BYTES = 1 << 20;
/**
 * The longest line kept, in characters. A record of a session at the sensor's default cap
 * (1 MiB per read) is at most about 8 Mi characters (escaped payload plus hex); a longer line is
 * counted in `tooLong` and skipped.
 */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

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

/** The name of an input in messages. */
export function inputName(input: ReportInput): string {
  return "path" in input ? input.path : "stdin";
}

/** Something read from: a file, or stdin. */
interface ByteSource {
  read(buffer: Uint8Array): Promise<number | null>;
}

async function* readChunks(reader: ByteSource): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  for (;;) {
    const buffer = new Uint8Array(READ_CHUNK_BYTES);
    const n = await reader.read(buffer);
    if (n === null) return;
    if (n > 0) yield buffer.subarray(0, n);
  }
}

async function* decompressed(
  first: Uint8Array<ArrayBuffer>,
  rest: AsyncGenerator<Uint8Array<ArrayBuffer>>,
): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  const raw = ReadableStream.from((async function* (): AsyncGenerator<BufferSource> {
    yield first;
    yield* rest;
  })());
  yield* raw.pipeThrough(new DecompressionStream("gzip"));
}

/**
 * Reads an input line by line.
 *
 * @param input A file path, or stdin.
 * @param onLine Called with each non-empty line, without its line ending.
 * @returns The counts.
 * @throws {Error} "Cannot read PATH: ..." when the file cannot be opened or read, or its gzip
 *   data is corrupt.
 */
export async function readLines(
  input: ReportInput,
  onLine: (line: string) => void,
): Promise<ReadCounts> {
  const counts: ReadCounts = { lines: 0, tooLong: 0, gzip: false };
  let file: Deno.FsFile | undefined;
  try {
    file = "path" in input ? await Deno.open(input.path, { read: true }) : undefined;
    const raw = readChunks(file ?? Deno.stdin);
    const first = await raw.next();
    if (first.done === true) return counts;
    const head = first.value;
    counts.gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    const chunks = counts.gzip ? decompressed(head, raw) : (async function* (): AsyncGenerator<
      Uint8Array<ArrayBuffer>
    > {
      yield head;
      yield* raw;
    })();
    await splitLines(chunks, onLine, counts);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot read ${inputName(input)}: ${detail}`);
  } finally {
    file?.close();
  }
  return counts;
}

async function splitLines(
  chunks: AsyncIterable<Uint8Array>,
  onLine: (line: string) => void,
  counts: ReadCounts,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  let skipping = false;
  const emit = (line: string): void => {
    if (skipping) {
      skipping = false;
      return;
    }
    if (line.length === 0 || line === "\r") return;
    if (line.length > MAX_LINE_CHARS) {
      counts.tooLong++;
      return;
    }
    counts.lines++;
    onLine(line);
  };
  for await (const chunk of chunks) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    let from = rest.length;
    for (;;) {
      const end = text.indexOf("\n", from);
      if (end < 0) break;
      emit(text.slice(start, end));
      start = end + 1;
      from = start;
    }
    rest = text.slice(start);
    if (rest.length > MAX_LINE_CHARS) {
      // Drop the line's start at once so memory stays bounded; its end is skipped when it comes.
      if (!skipping) counts.tooLong++;
      skipping = true;
      rest = "";
    }
  }
  emit(rest + decoder.decode());
}

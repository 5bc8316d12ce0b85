/**
 * Reads the records of a chunk of whole lines in one pass: the byte scanner finds each line's end
 * while it reads the line ({@linkcode RecordScanner.scanLine}), instead of {@linkcode splitChunk}
 * searching every line feed first and the scanner then going over the same bytes. The lines and
 * their answers are exactly {@linkcode splitChunk}'s followed by {@linkcode RecordScanner.scan}.
 *
 * @module
 */
import { type LineCounts, MAX_LINE_CHARS, splitChunk } from "./line_reader.ts";
import type { ReportRecord } from "./record_fields.ts";
import type { RecordScanner } from "./record_scanner.ts";

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Receives each line's record, or null for a line that is not one. The record is valid only
 * during the call.
 */
export type ScannedLineHandler = (record: ReportRecord | null) => void;

/**
 * Reads every line of a chunk as {@linkcode splitChunk} splits it: empty lines and a lone `\r` are
 * skipped (not counted), CR LF ends a line as LF does, and lines longer than
 * {@linkcode MAX_LINE_CHARS} characters are counted in `tooLong` (only a chunk longer than that can
 * hold one: such a chunk is split by {@linkcode splitChunk} first).
 *
 * @param chunk Whole lines (the last one may lack its line ending).
 * @param scanner Reads each line.
 * @param onRecord Called with each counted line's record, or null.
 * @param counts Counts lines handed on and lines skipped.
 */
export function scanChunk(
  chunk: Uint8Array,
  scanner: RecordScanner,
  onRecord: ScannedLineHandler,
  counts: LineCounts,
): void {
  if (chunk.length > MAX_LINE_CHARS) {
    splitChunk(chunk, (bytes, start, end) => onRecord(scanner.scan(bytes, start, end)), counts);
    return;
  }
  const end = chunk.length;
  let start = 0;
  let lines = 0;
  while (start < end) {
    const first = chunk[start];
    if (first === LINE_FEED) {
      start++;
      continue;
    }
    if (first === CARRIAGE_RETURN && (start + 1 === end || chunk[start + 1] === LINE_FEED)) {
      start += 2;
      continue;
    }
    lines++;
    onRecord(scanner.scanLine(chunk, start, end));
    start = scanner.lineEnd + 1;
  }
  counts.lines += lines;
}

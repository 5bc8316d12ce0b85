/**
 * Reads a chunk of whole lines into a {@linkcode ScannedBatch}: what each reading worker does with
 * every chunk it is given (`report_worker.ts`), and what the main thread does with a chunk it
 * reads itself (`worker_pool.ts`). Each thread has its own {@linkcode ChunkReader}: the byte
 * scanner's caches and the batch's string tables belong to that thread.
 *
 * @module
 */
import type { LineCounts } from "./line_reader.ts";
import { RecordScanner } from "./record_scanner.ts";
import { scanChunk, type ScannedLineHandler } from "./scan_chunk.ts";
import { BatchWriter, type ScannedBatch } from "./scanned_batch.ts";

/** A chunk's records and what was skipped. */
export interface ChunkRead {
  /** The records, written over the chunk's buffer when it holds them (it always does). */
  readonly batch: ScannedBatch;
  /** Lines handed on by the splitter (empty lines are not counted). */
  readonly lines: number;
  /** Lines that were not records. */
  readonly badLines: number;
  /** Lines skipped for being too long. */
  readonly tooLong: number;
}

/** One thread's byte scanner and batch writer. */
export class ChunkReader {
  readonly #scanner = new RecordScanner({ deferSourceV4: true, reuseRecord: true });
  readonly #writer = new BatchWriter();
  #badLines = 0;
  readonly #onRecord: ScannedLineHandler = (record) => {
    if (record === null) this.#badLines++;
    else this.#writer.push(record, this.#scanner);
  };

  /**
   * Reads the lines of `buffer[offset .. offset + length)`. The buffer's bytes are not needed
   * afterwards: the batch's columns are written over them.
   *
   * @param buffer The chunk's buffer.
   * @param offset Where the chunk starts in it.
   * @param length The chunk's bytes.
   * @returns The records and the counts.
   */
  read(buffer: ArrayBuffer, offset: number, length: number): ChunkRead {
    const counts: LineCounts = { lines: 0, tooLong: 0 };
    this.#badLines = 0;
    scanChunk(new Uint8Array(buffer, offset, length), this.#scanner, this.#onRecord, counts);
    return {
      batch: this.#writer.take(buffer),
      lines: counts.lines,
      badLines: this.#badLines,
      tooLong: counts.tooLong,
    };
  }
}

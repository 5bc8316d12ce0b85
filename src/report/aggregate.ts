/**
 * Per-record aggregation for `spip report`: every count the summary shows, kept in memory bounded
 * by named constants, whatever the input size. Ports are counted exactly (one slot per port and
 * transport); distinct sources, and sessions per source, exactly up to a limit, then by
 * HyperLogLog and Space-Saving; first lines and fingerprints in Space-Saving tables.
 *
 * @module
 */
import { DISTINCT_EXACT_KEYS, DistinctCounter } from "./distinct_counter.ts";
import { FirstSeen } from "./first_seen.ts";
import { firstInOrder, largestFirst } from "./first_in_order.ts";
import { readRecord, type ReportRecord } from "./record_fields.ts";
import { RecordScanner } from "./record_scanner.ts";
import type { BatchReader, ScannedBatch } from "./scanned_batch.ts";
import { SourceSessions } from "./source_sessions.ts";
import { SpaceSaving, topList } from "./space_saving.ts";
import { hashString } from "./string_hash.ts";
import { TimeBuckets } from "./time_buckets.ts";
import type {
  Fingerprint,
  NewSince,
  ReportSummary,
  TopEntry,
  TransportSummary,
} from "./summary.ts";
import { FINGERPRINTS, portLabel } from "./summary.ts";

/**
 * Keys per Space-Saving table of first lines, and of sources once there are more than
 * `DISTINCT_EXACT_KEYS` (until then sources are counted exactly).
 */
export const TOP_SOURCE_KEYS = 8192;
/** Keys per Space-Saving table of fingerprints and greetings. */
export const TOP_FINGERPRINT_KEYS = 4096;
/** Port slots: 65,536 TCP then 65,536 UDP. */
const PORT_KEYS = 2 * 65536;
const HOURS = 24;
/** Top ports shown in the timeline chart (the rest are stacked as "other"). */
export const TIMELINE_PORTS = 8;
/** Ports in the heat map. */
export const HEATMAP_PORTS = 20;

/** A time filter, epoch seconds (inclusive). */
export interface TimeWindow {
  /** Skip records before this. */
  readonly since?: number;
  /** Skip records after this. */
  readonly until?: number;
}

class TransportCounts {
  records = 0;
  sessions = 0;
  silent = 0;
  readonly firstLines = new SpaceSaving<string>(TOP_SOURCE_KEYS);
}

/** Heat map rows made room for at first; the rows double as ports with sessions come. */
const FIRST_HEAT_ROWS = 64;

/** Everything counted so far; feed it lines, then ask for the summary. */
export class ReportAggregate {
  readonly #window: TimeWindow;
  lines = 0;
  badLines = 0;
  outside = 0;
  records = 0;
  tlsRecords = 0;
  first = Infinity;
  last = -Infinity;
  /** Sessions per source, in group 0 (TCP) and 1 (UDP), by the sources' numbers below. */
  readonly #sourceSessions = new SourceSessions(2, TOP_SOURCE_KEYS, DISTINCT_EXACT_KEYS);
  /** Distinct sources, in group 0 (TCP) and 1 (UDP). */
  readonly #sources = new DistinctCounter(
    2,
    DISTINCT_EXACT_KEYS,
    (keys) => this.#sourceSessions.fold(keys),
  );
  readonly #transports = { tcp: new TransportCounts(), udp: new TransportCounts() };
  readonly #portSessions = new Float64Array(PORT_KEYS);
  /**
   * Sessions per port and hour of day: one row of 24 cells per port with sessions, in the order
   * the ports came (a port's row number plus 1 is in `#heatRow`), so only those ports take room.
   */
  #heat = new Uint32Array(FIRST_HEAT_ROWS * HOURS);
  #heatRows = 0;
  readonly #heatRow = new Int32Array(PORT_KEYS);
  readonly #portFirstSeen = new Float64Array(PORT_KEYS).fill(Infinity);
  /** Each fingerprint kind's counts and first sightings, by index in {@linkcode FINGERPRINTS}. */
  readonly #fingerprints = FINGERPRINTS.map(() => new SpaceSaving<string>(TOP_FINGERPRINT_KEYS));
  readonly #fingerprintFirstSeen = FINGERPRINTS.map(() => new FirstSeen<string>());
  readonly #timeline = new TimeBuckets();
  /** Made on the first line given as bytes, so an aggregate fed only strings holds no caches. */
  #scanner: RecordScanner | undefined = undefined;

  /**
   * Creates an empty aggregate.
   *
   * @param window Records outside it are counted in `outside` and otherwise ignored.
   */
  constructor(window: TimeWindow = {}) {
    this.#window = window;
  }

  /**
   * Counts one line: a record, or a bad line when it is not JSON or not a record.
   *
   * @param line The line.
   */
  addLine(line: string): void {
    this.lines++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.badLines++;
      return;
    }
    const record = readRecord(value);
    if (record === null) this.badLines++;
    else this.add(record);
  }

  /**
   * Counts one line given as bytes (UTF-8, without its line ending), exactly as
   * {@linkcode addLine} counts the line decoded lossily, without decoding or parsing all of it.
   *
   * @param bytes The buffer holding the line.
   * @param start The line's first byte.
   * @param end The byte after the line.
   */
  addLineBytes(bytes: Uint8Array, start: number, end: number): void {
    this.lines++;
    const record = (this.#scanner ??= new RecordScanner()).scan(bytes, start, end);
    if (record === null) this.badLines++;
    else this.add(record);
  }

  /**
   * Counts the records another thread read from some lines (see `worker_pool.ts`), in their
   * order: the same as {@linkcode ReportAggregate.addLineBytes} on each of those lines.
   *
   * @param reader The reader of the thread that sent the batch.
   * @param batch The records.
   * @param lines How many lines they were read from.
   * @param badLines How many of those lines were not records.
   * @throws {RangeError} When the batch is inconsistent.
   */
  addScanned(reader: BatchReader, batch: ScannedBatch, lines: number, badLines: number): void {
    this.lines += lines;
    this.badLines += badLines;
    reader.read(batch, (record, hashes) => this.#add(record, hashes, reader));
  }

  /**
   * Counts one record.
   *
   * @param record The record.
   */
  add(record: ReportRecord): void {
    this.#add(record, undefined, undefined);
  }

  /**
   * Counts one record whose strings' hashes may be known already.
   *
   * @param record The record.
   * @param hashes Its strings' {@linkcode hashString}s, by field in the order of
   *   a batch (source, first line, JA4, JA3, SYN, HASSH, greeting); undefined: computed here.
   * @param reader The batch reader it came from: a source it has seen in this group already is
   *   not looked up in the distinct-source set again (adding it would change nothing); its
   *   number there is the one the reader noted for it.
   */
  #add(
    record: ReportRecord,
    hashes: Int32Array | undefined,
    reader: BatchReader | undefined,
  ): void {
    const t = record.timestamp;
    if (
      (this.#window.since !== undefined && t < this.#window.since) ||
      (this.#window.until !== undefined && t > this.#window.until)
    ) {
      this.outside++;
      return;
    }
    this.records++;
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
    if (record.tls) this.tlsRecords++;
    const sourceHash = hashes?.[0] ?? hashString(record.sourceIp);
    const group = record.transport === "udp" ? 1 : 0;
    let source: number;
    if (reader === undefined) {
      source = this.#sources.add(record.sourceIp, group, sourceHash);
    } else if (reader.firstSight(1 << group)) {
      source = this.#sources.add(record.sourceIp, group, sourceHash);
      reader.sourceNote = source;
    } else {
      source = reader.sourceNote;
    }
    const counts = group === 1 ? this.#transports.udp : this.#transports.tcp;
    counts.records++;
    if (record.sessionStart) {
      counts.sessions++;
      if (record.silent) counts.silent++;
      this.#sourceSessions.add(group, source, record.sourceIp, sourceHash);
      const firstLine = record.firstLine;
      if (firstLine !== undefined) {
        counts.firstLines.offer(firstLine, 1, 0, hashes?.[1] ?? hashString(firstLine));
      }
      const port = record.destinationPort + (group === 1 ? 65536 : 0);
      this.#portSessions[port] = (this.#portSessions[port] ?? 0) + 1;
      const hour = Math.floor(t / 3600) % HOURS;
      const cell = this.#heatRowOf(port) * HOURS + hour;
      this.#heat[cell] = (this.#heat[cell] ?? 0) + 1;
      if (t < (this.#portFirstSeen[port] ?? Infinity)) this.#portFirstSeen[port] = t;
      this.#timeline.add(t, port);
    }
    // In the order of FINGERPRINTS, which the tables follow.
    this.#fingerprint(0, record.ja4, t, hashes?.[2]);
    this.#fingerprint(1, record.ja3, t, hashes?.[3]);
    this.#fingerprint(2, record.syn, t, hashes?.[4]);
    this.#fingerprint(3, record.hassh, t, hashes?.[5]);
    this.#fingerprint(4, record.greeting, t, hashes?.[6]);
  }

  /** The heat map row of a port, made when it has none. */
  #heatRowOf(port: number): number {
    const row = this.#heatRow[port] as number;
    if (row !== 0) return row - 1;
    if (this.#heatRows * HOURS === this.#heat.length) {
      const grown = new Uint32Array(2 * this.#heat.length);
      grown.set(this.#heat);
      this.#heat = grown;
    }
    this.#heatRow[port] = ++this.#heatRows;
    return this.#heatRows - 1;
  }

  /** Counts a fingerprint of the kind at `index` in {@linkcode FINGERPRINTS}. */
  #fingerprint(
    index: number,
    value: string | undefined,
    seconds: number,
    hash: number | undefined,
  ): void {
    if (value === undefined) return;
    this.#fingerprints[index]?.offer(value, 1, 0, hash ?? hashString(value));
    this.#fingerprintFirstSeen[index]?.note(value, seconds);
  }

  #topPorts(transport: "tcp" | "udp" | "both", n: number): TopEntry[] {
    const from = transport === "udp" ? 65536 : 0;
    const to = transport === "tcp" ? 65536 : PORT_KEYS;
    const sessions = this.#portSessions;
    return largestFirst(sessions, from, to, n).map((p) => ({
      label: portLabel(p),
      key: p,
      count: sessions[p] ?? 0,
      error: 0,
    }));
  }

  #transportSummary(transport: "tcp" | "udp", top: number): TransportSummary {
    const c = this.#transports[transport];
    const ports = this.#topPorts(transport, top);
    return {
      transport,
      records: c.records,
      sessions: c.sessions,
      silent: c.silent,
      sources: this.#sources.count(transport === "udp" ? 1 : 0),
      ports: { entries: ports, total: c.sessions, exact: true, capacity: 65536 },
      topSources: this.#sourceSessions.top(transport === "udp" ? 1 : 0, top, this.#sources.keys()),
      firstLines: topList(c.firstLines, top),
    };
  }

  #newSince(label: "hour" | "day", seconds: number, top: number): NewSince {
    const from = this.last - seconds;
    // Locals, and no `??` on typed arrays read in range: this runs twice a report, never
    // optimised. Only the first `top` of the new ports are sorted and labelled.
    const portFirstSeen = this.#portFirstSeen;
    const sessions = this.#portSessions;
    const newPorts: number[] = [];
    for (let p = 0; p < PORT_KEYS; p++) {
      const firstSeen = portFirstSeen[p] as number;
      if (firstSeen > from && firstSeen !== Infinity) newPorts.push(p);
    }
    const ports = firstInOrder(
      newPorts,
      top,
      (a, b) =>
        (sessions[b] as number) - (sessions[a] as number) ||
        (portFirstSeen[a] as number) - (portFirstSeen[b] as number),
    ).map((p) => ({
      label: portLabel(p),
      firstSeen: portFirstSeen[p] as number,
      count: sessions[p] as number,
    }));
    const fingerprints: { kind: Fingerprint; label: string; firstSeen: number; count: number }[] =
      [];
    let untracked = 0;
    for (const [index, { kind }] of FINGERPRINTS.entries()) {
      const seen = this.#fingerprintFirstSeen[index];
      const table = this.#fingerprints[index];
      if (seen === undefined || table === undefined) continue;
      untracked += seen.untracked;
      for (const { key, firstSeen } of seen.since(from + 1)) {
        fingerprints.push({ kind, label: key, firstSeen, count: table.get(key).count });
      }
    }
    fingerprints.sort((a, b) => b.count - a.count || a.firstSeen - b.firstSeen);
    return {
      label,
      windowSeconds: seconds,
      spansWindow: this.last - this.first >= seconds,
      portCount: newPorts.length,
      ports,
      fingerprintCount: fingerprints.length,
      fingerprints: fingerprints.slice(0, top),
      untracked,
    };
  }

  /**
   * The summary of everything counted.
   *
   * @param top How many entries each top list has.
   * @param input What was read: input names, and lines skipped for being too long.
   * @returns The summary, plain data for the renderers.
   */
  summary(top: number, input: { names: string[]; tooLong: number }): ReportSummary {
    const tcp = this.#transportSummary("tcp", top);
    const udp = this.#transportSummary("udp", top);
    const timelinePorts = this.#topPorts("both", TIMELINE_PORTS);
    const timeline = this.#timeline.buckets().flatMap((bucket) => {
      let shown = 0;
      const rows = timelinePorts.map((p) => {
        const count = bucket.port(p.key ?? 0);
        shown += count;
        return { start: bucket.start, port: p.label, count };
      });
      rows.push({ start: bucket.start, port: "other", count: bucket.total - shown });
      return rows;
    });
    const heatPorts = this.#topPorts("both", HEATMAP_PORTS);
    const heat = heatPorts.flatMap((p) =>
      Array.from({ length: HOURS }, (_, hour) => ({
        port: p.label,
        hour,
        count: this.#heat[((this.#heatRow[p.key ?? 0] ?? 0) - 1) * HOURS + hour] ?? 0,
      }))
    );
    return {
      inputs: input.names,
      lines: this.lines + input.tooLong,
      badLines: this.badLines,
      tooLong: input.tooLong,
      outside: this.outside,
      records: this.records,
      first: this.records === 0 ? null : this.first,
      last: this.records === 0 ? null : this.last,
      sessions: tcp.sessions + udp.sessions,
      sources: this.#sources.count(),
      tlsRecords: this.tlsRecords,
      tcp,
      udp,
      ports: {
        entries: this.#topPorts("both", top),
        total: tcp.sessions + udp.sessions,
        exact: true,
        capacity: PORT_KEYS,
      },
      fingerprints: FINGERPRINTS.map(({ kind, title }, index) => ({
        kind,
        title,
        list: topList(this.#fingerprints[index] ?? new SpaceSaving<string>(1), top),
      })),
      newSince: this.records === 0
        ? []
        : [this.#newSince("hour", 3600, top), this.#newSince("day", 86400, top)],
      timeline: {
        widthSeconds: this.#timeline.widthSeconds,
        ports: [...timelinePorts.map((p) => p.label), "other"],
        rows: timeline,
      },
      heat: { ports: heatPorts.map((p) => p.label), cells: heat },
    };
  }
}

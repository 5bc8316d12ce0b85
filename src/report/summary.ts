/**
 * The report's summary: plain data computed by the aggregate, drawn by the terminal and HTML
 * renderers.
 *
 * @module
 */
import type { DistinctCount } from "./distinct_counter.ts";

/** The fingerprint kinds counted, in the order shown. */
export const FINGERPRINTS = [
  { kind: "ja4", title: "JA4 (TLS ClientHello)" },
  { kind: "ja3", title: "JA3 hash (TLS ClientHello)" },
  { kind: "syn", title: "SYN fingerprint (syn_* fields)" },
  { kind: "hassh", title: "HASSH (SSH KEXINIT)" },
  { kind: "greeting", title: "Greetings (protocol sent, per session)" },
] as const;

/** A fingerprint kind. */
export type Fingerprint = (typeof FINGERPRINTS)[number]["kind"];

/**
 * The label of a port slot: 0-65535 TCP, 65536 and up UDP.
 *
 * @param key The slot.
 * @returns Such as `22/tcp` or `53/udp`.
 */
export function portLabel(key: number): string {
  return key >= 65536 ? `${key - 65536}/udp` : `${key}/tcp`;
}

/** One entry of a top list. */
export interface TopEntry {
  /** What is counted. */
  readonly label: string;
  /** The port slot, for port lists. */
  readonly key?: number;
  /** Its count (an upper bound when `error` > 0). */
  readonly count: number;
  /** The most of `count` that may belong to other keys (0: exact). */
  readonly error: number;
}

/** A top list. */
export interface TopList {
  /** The highest counts first. */
  readonly entries: TopEntry[];
  /** The sum of all counts, listed or not. */
  readonly total: number;
  /** Whether every count is exact (the table never evicted a key). */
  readonly exact: boolean;
  /** The table's capacity in keys. */
  readonly capacity: number;
}

/** One transport's figures. */
export interface TransportSummary {
  /** "tcp" or "udp". */
  readonly transport: "tcp" | "udp";
  /** Records. */
  readonly records: number;
  /** Sessions (UDP: flows), counted on their first record. */
  readonly sessions: number;
  /** Sessions that sent nothing. */
  readonly silent: number;
  /** Distinct source addresses. */
  readonly sources: DistinctCount;
  /** Top destination ports by sessions. */
  readonly ports: TopList;
  /** Top sources by sessions. */
  readonly topSources: TopList;
  /** Top first lines or protocol guesses, by sessions. */
  readonly firstLines: TopList;
}

/** Ports and fingerprints first seen in the last hour or day of the input. */
export interface NewSince {
  /** "hour" or "day". */
  readonly label: "hour" | "day";
  /** The window's length. */
  readonly windowSeconds: number;
  /** Whether the input is longer than the window (else everything is new). */
  readonly spansWindow: boolean;
  /** How many ports are new. */
  readonly portCount: number;
  /** The new ports with the most sessions. */
  readonly ports: { label: string; firstSeen: number; count: number }[];
  /** How many fingerprints are new. */
  readonly fingerprintCount: number;
  /** The new fingerprints with the most occurrences. */
  readonly fingerprints: { kind: Fingerprint; label: string; firstSeen: number; count: number }[];
  /** Fingerprint occurrences not tracked because a first-seen table was full. */
  readonly untracked: number;
}

/** Everything the report shows. */
export interface ReportSummary {
  /** The inputs read. */
  readonly inputs: string[];
  /** Non-empty lines read, bad ones included. */
  readonly lines: number;
  /** Lines that were not JSON records, skipped. */
  readonly badLines: number;
  /** Lines too long to keep, skipped. */
  readonly tooLong: number;
  /** Records outside --since/--until. */
  readonly outside: number;
  /** Records counted. */
  readonly records: number;
  /** The earliest record's time, epoch seconds. */
  readonly first: number | null;
  /** The latest record's time, epoch seconds. */
  readonly last: number | null;
  /** Sessions, TCP and UDP. */
  readonly sessions: number;
  /** Distinct sources. */
  readonly sources: DistinctCount;
  /** Records of bytes decrypted from TLS. */
  readonly tlsRecords: number;
  /** TCP figures. */
  readonly tcp: TransportSummary;
  /** UDP figures. */
  readonly udp: TransportSummary;
  /** Top ports, TCP and UDP together. */
  readonly ports: TopList;
  /** The fingerprint top lists. */
  readonly fingerprints: { kind: Fingerprint; title: string; list: TopList }[];
  /** What is new in the last hour and day. */
  readonly newSince: NewSince[];
  /** Sessions over time by the top ports ("other" for the rest). */
  readonly timeline: {
    widthSeconds: number;
    ports: string[];
    rows: { start: number; port: string; count: number }[];
  };
  /** Sessions by port and hour of day (UTC), for the top ports. */
  readonly heat: { ports: string[]; cells: { port: string; hour: number; count: number }[] };
}

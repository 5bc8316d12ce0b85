/**
 * Checks the sensor's records of the bench's TLS sessions: every session's token must appear in
 * its decrypted bytes (records with `tls: true`) with the port the client dialled, and the same
 * session must have a hello record with `ja4` and the `tls_sni` the client sent.
 *
 * @module
 */
import { findToken, portFor } from "./payload.ts";
import { type CheckResult, emptyCheckResult } from "./record_check.ts";

/** What the TLS check expects of a run. */
export interface TlsCheckPlan {
  /** The run's id, carried in every request. */
  readonly runId: string;
  /** Sessions in the run. */
  readonly count: number;
  /** The lowest port dialled. */
  readonly portMin: number;
  /** The highest port dialled. */
  readonly portMax: number;
  /** The server name every client sent. */
  readonly sni: string;
}

/** The TLS-specific counts (a type, not an interface, so that it is a `Record<string, number>`). */
export type TlsCheckDetail = {
  /** Hello records (with `ja4`). */
  hellos: number;
  /** Tokened sessions whose hello record is missing, lacks `ja4`, or has another `tls_sni`. */
  badHello: number;
  /** Records with `tls_error` (failed handshakes). */
  tlsErrors: number;
  /** Records with `tls: true` and a non-empty payload. */
  decrypted: number;
};

interface TlsSession {
  helloOk: boolean | null;
  text: string;
  index: number;
  port: number;
}

interface TlsRecordFields {
  session_id?: unknown;
  payload?: unknown;
  destination_port?: unknown;
  tls?: unknown;
  tls_error?: unknown;
  tls_sni?: unknown;
  ja4?: unknown;
}

/** Bytes of decrypted text kept per session while looking for its token. */
const KEEP = 1024;

/** Feeds on record lines one at a time; {@linkcode TlsRecordChecker.result} gives the verdict. */
export class TlsRecordChecker {
  readonly #plan: TlsCheckPlan;
  readonly #sessions = new Map<string, TlsSession>();
  #records = 0;
  #malformed = 0;
  readonly #detail: TlsCheckDetail = { hellos: 0, badHello: 0, tlsErrors: 0, decrypted: 0 };

  /** @param plan What the run sent. */
  constructor(plan: TlsCheckPlan) {
    this.#plan = plan;
  }

  /** Lines fed so far. */
  get records(): number {
    return this.#records;
  }

  /**
   * Checks one record line.
   *
   * @param line One JSON line, without its newline.
   */
  feed(line: string): void {
    if (line.length === 0) return;
    this.#records++;
    let fields: TlsRecordFields;
    try {
      fields = JSON.parse(line) as TlsRecordFields;
    } catch {
      this.#malformed++;
      return;
    }
    const { session_id: id, payload, destination_port: port } = fields;
    if (typeof id !== "string" || typeof payload !== "string" || typeof port !== "number") {
      this.#malformed++;
      return;
    }
    let session = this.#sessions.get(id);
    if (session === undefined) {
      session = { helloOk: null, text: "", index: -1, port };
      this.#sessions.set(id, session);
    }
    if (typeof fields.ja4 === "string") {
      this.#detail.hellos++;
      session.helloOk = fields.ja4.length > 0 && fields.tls_sni === this.#plan.sni;
    }
    if (fields.tls_error !== undefined) this.#detail.tlsErrors++;
    if (fields.tls === true && payload.length > 0) {
      this.#detail.decrypted++;
      if (session.index === -1 && session.text.length < KEEP) {
        session.text += payload;
        const token = findToken(session.text);
        if (token !== null) {
          session.index = token.runId === this.#plan.runId && token.index < this.#plan.count
            ? token.index
            : -2;
          session.port = port;
        }
      }
    }
  }

  /**
   * The verdict.
   *
   * @param completed Whether the client completed session `i`.
   * @returns The counts, in the shape of the TCP check, and the TLS detail.
   */
  result(completed: (index: number) => boolean): { check: CheckResult; detail: TlsCheckDetail } {
    const plan = this.#plan;
    const seen = new Uint8Array(plan.count);
    const check: CheckResult = {
      ...emptyCheckResult(),
      records: this.#records,
      malformed: this.#malformed,
    };
    const detail = { ...this.#detail };
    for (const session of this.#sessions.values()) {
      if (session.index === -1) {
        check.untokened++;
        continue;
      }
      if (session.index === -2) {
        check.foreign++;
        continue;
      }
      if (session.port !== portFor(session.index, plan.portMin, plan.portMax)) check.wrongPort++;
      if (session.helloOk !== true) detail.badHello++;
      if (seen[session.index] === 1) check.duplicates++;
      seen[session.index] = 1;
    }
    for (let i = 0; i < plan.count; i++) if (completed(i) && seen[i] === 0) check.lost++;
    return { check, detail };
  }
}

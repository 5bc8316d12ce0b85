/**
 * Gathering a session's first reads until they hold a whole TLS ClientHello, or are known not to.
 *
 * @module
 */
import {
  type ClientHello,
  clientHelloBytesNeeded,
  ClientHelloError,
  parseClientHello,
  sniffTls,
} from "../tls/client_hello.ts";

/** One read, kept to be recorded as it came. */
export interface HeldRead {
  /** The bytes (a copy). */
  readonly bytes: Uint8Array;
  /** When they were read, epoch ms. */
  readonly timeMs: number;
}

/** What the reads gathered so far turned out to be. */
export type HelloVerdict =
  | { readonly kind: "wait" }
  | { readonly kind: "plain"; readonly reads: readonly HeldRead[] }
  | {
    readonly kind: "tls";
    readonly reads: readonly HeldRead[];
    readonly all: Uint8Array;
    readonly hello: ClientHello;
  };

const WAIT: HelloVerdict = { kind: "wait" };

/**
 * Whether a session's first bytes may start a ClientHello, so that the session should collect.
 *
 * @param bytes The first read.
 * @returns True when the bytes look like the start of TLS.
 */
export function mayBeClientHello(bytes: Uint8Array): boolean {
  return sniffTls(bytes) !== "not-tls";
}

/**
 * Collects reads that may be a ClientHello. Each read is kept as it came, so that when the bytes
 * turn out not to be a hello every read becomes a record exactly as on the plain path.
 */
export class HelloCollector {
  readonly #reads: HeldRead[] = [];
  #all = new Uint8Array(0);

  /**
   * Adds a read and says what the reads are so far.
   *
   * @param bytes The read; copied.
   * @param timeMs When it was read, epoch ms.
   * @returns `wait` for more, `plain` when they are not a hello, or `tls` with the parsed hello.
   */
  push(bytes: Uint8Array, timeMs: number): HelloVerdict {
    const copy = bytes.slice();
    this.#reads.push({ bytes: copy, timeMs });
    const all = new Uint8Array(this.#all.length + copy.length);
    all.set(this.#all);
    all.set(copy, this.#all.length);
    this.#all = all;
    let hello: ClientHello | null = null;
    try {
      const kind = sniffTls(all);
      if (kind === "tls" && clientHelloBytesNeeded(all) === 0) hello = parseClientHello(all);
      else if (kind !== "not-tls") return WAIT;
    } catch (error) {
      if (!(error instanceof ClientHelloError)) throw error;
    }
    if (hello === null) return { kind: "plain", reads: this.#reads };
    return { kind: "tls", reads: this.#reads, all, hello };
  }

  /** The reads gathered, for a session that ended before the verdict. */
  get reads(): readonly HeldRead[] {
    return this.#reads;
  }
}

/**
 * What the sensor learns about a connection right after accepting it, whichever engine accepted
 * it: the destination the client dialled, and the facts of its handshake (the saved SYN and the
 * RTT).
 *
 * @module
 */
import { localAddress, originalDestination } from "../../ffi/socket.ts";
import { readSavedSyn, readTcpInfo, TCP_CLOSE_WAIT, type TcpInfoFacts } from "../../ffi/accept.ts";
import type { Endpoint } from "../record/record.ts";
import type { Stats } from "../output/stats.ts";
import { RateLimitedLog } from "../output/diagnostics.ts";
import { reportDiagnostic } from "../output/events.ts";
import { handshakeFields, parseSyn, type SynFingerprint } from "./syn_fingerprint.ts";

/** How often the same kind of failure is printed at most, ms. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/** Reads a just-accepted connection's destination and handshake, counting what fails. */
export class ConnectionFacts {
  readonly #stats: Stats;
  readonly #tproxy: boolean;
  readonly #destinationErrors = new RateLimitedLog(FAILURE_LOG_INTERVAL_MS, reportDiagnostic);
  readonly #tcpInfo: TcpInfoFacts = { rttUs: -1, state: -1 };

  /**
   * @param stats Where failures are counted.
   * @param tproxy Whether the destination is the local address (TPROXY) rather than the
   * original destination from NAT (REDIRECT).
   */
  constructor(stats: Stats, tproxy: boolean) {
    this.#stats = stats;
    this.#tproxy = tproxy;
  }

  /**
   * The destination the client dialled. Call it right after accept, before any `await`.
   *
   * @param fd The connection.
   * @param source The client, to tell IPv6 clients from IPv4 ones on a dual-stack socket.
   * @param local The connection's local address when already known; else it is read.
   * @returns The original destination, or the local address when the connection was not
   * redirected, in tproxy mode, or when the original cannot be read (counted).
   */
  destination(fd: number, source: Endpoint, local?: Endpoint): Endpoint {
    if (!this.#tproxy) {
      try {
        const original = originalDestination(fd, source.ip.includes(":"));
        if (original !== null) return original;
      } catch (error) {
        this.#stats.originalDestinationFailures++;
        this.#destinationErrors.print(error instanceof Error ? error.message : String(error));
      }
    }
    return local ?? localAddress(fd) ?? { ip: "::", port: 0 };
  }

  /**
   * The first record's handshake fields: the saved SYN, read once (a SYN the kernel did not
   * save, or that cannot be parsed, is counted in `syn_missing`), and the RTT estimate.
   *
   * @param fd The connection.
   * @returns The fields, or `undefined` when nothing is known.
   */
  handshake(fd: number): Record<string, unknown> | undefined {
    let syn: SynFingerprint | null = null;
    try {
      const bytes = readSavedSyn(fd);
      syn = bytes === null ? null : parseSyn(bytes);
    } catch {
      syn = null;
    }
    if (syn === null) this.#stats.synMissing++;
    readTcpInfo(fd, this.#tcpInfo);
    return handshakeFields(syn, this.#tcpInfo.rttUs);
  }

  /**
   * Whether the client of the connection last given to {@linkcode ConnectionFacts.handshake}
   * had already ended its side (its FIN had arrived: `TCP_CLOSE_WAIT`). Everything it sent is
   * then queued, and a read that does not fill the buffer reaches the end.
   */
  get peerFinished(): boolean {
    return this.#tcpInfo.state === TCP_CLOSE_WAIT;
  }
}

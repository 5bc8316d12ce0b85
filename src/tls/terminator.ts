/**
 * TLS termination on any port: after a session has read a whole ClientHello in the clear, the
 * handshake is completed as a server with node:tls over a Duplex that first replays the bytes
 * already read, then reads and writes the socket (`FdDuplex`). The decrypted bytes go back to
 * the session, which records them.
 *
 * @module
 */
import tls from "node:tls";
import type { Duplex } from "node:stream";
import type { Buffer } from "node:buffer";
import { type ClientHello, offeredVersions } from "./client_hello.ts";
import { ja3 } from "./ja3.ts";
import { ja4 } from "./ja4.ts";
import { type CertificatePair, CertificateStore, loadCertificateFiles } from "./certificates.ts";
import type { TlsConfig } from "../config/tls.ts";

/**
 * The record fields describing a ClientHello: SNI, ALPN, offered versions, JA4, JA3 string
 * and JA3 MD5. They go on the record whose read completed the hello.
 *
 * @param hello The parsed hello.
 * @returns The fields, in record order.
 */
export function tlsHelloFields(hello: ClientHello): Record<string, unknown> {
  const fingerprint = ja3(hello);
  return {
    tls_sni: hello.serverName,
    tls_alpn: hello.alpn,
    tls_versions: offeredVersions(hello),
    ja4: ja4(hello),
    ja3: fingerprint.text,
    ja3_hash: fingerprint.hash,
  };
}

/** What the terminator needs from the session that owns the connection. */
export interface TlsPeer {
  /** The connection as a stream that first yields the bytes already read (the hello). */
  readonly transport: Duplex;
  /** The parsed hello, to choose the certificate. */
  readonly hello: ClientHello;
  /** The address the client dialled, named by the certificate when there is no SNI. */
  readonly destinationIp: string;
  /** Receives each decrypted chunk. */
  readonly onData: (bytes: Uint8Array) => void;
  /** Closes the connection the session's way (the session owns it). */
  readonly close: () => void;
}

/** How a TLS session ended. */
export interface TlsOutcome {
  /** Whether the handshake completed. */
  readonly handshake: boolean;
  /** Why it failed, or null when it ended cleanly. */
  readonly error: string | null;
}

/** The outcome's error when the connection went before the handshake completed. */
const CLOSED_DURING_HANDSHAKE = "connection closed during the handshake";

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Completes TLS handshakes as a server, with the certificate the {@linkcode CertificateStore}
 * chooses, ALPN `http/1.1` only, and a deadline on the handshake.
 */
export class TlsTerminator {
  /** How long a handshake may take, in ms. */
  readonly handshakeTimeoutMs: number;
  readonly #store: Promise<CertificateStore>;

  private constructor(handshakeTimeoutMs: number, store: Promise<CertificateStore>) {
    this.handshakeTimeoutMs = handshakeTimeoutMs;
    this.#store = store;
  }

  /**
   * Makes a terminator: loads the PEM files at once (so a bad file stops the start-up), or
   * starts generating the fallback certificate.
   *
   * @param config The `[tls]` settings.
   * @returns The terminator.
   * @throws {Error} "Cannot load TLS certificate FILE: ..." for a file that cannot be used.
   */
  static create(config: TlsConfig): TlsTerminator {
    const fixed = config.certFile !== null && config.keyFile !== null
      ? loadCertificateFiles(config.certFile, config.keyFile)
      : null;
    const store = CertificateStore.create({ fixed, cacheSize: config.certCache });
    store.catch(() => {}); // Reported to each session that awaits it.
    return new TlsTerminator(config.handshakeTimeoutMs, store);
  }

  /** The certificate for the peer's SNI or dialled address; rejects when none can be made. */
  async #certificateFor(peer: TlsPeer): Promise<CertificatePair> {
    const store = await this.#store;
    return await store.certificateFor(peer.hello.serverName, peer.destinationIp);
  }

  /**
   * Runs TLS over a connection whose ClientHello has been read: handshake, then every
   * decrypted chunk to `peer.onData`, until the connection ends.
   *
   * @param peer The session's side.
   * @returns How it ended; never rejects.
   */
  async terminate(peer: TlsPeer): Promise<TlsOutcome> {
    // The session may close the transport at any time, even before TLS has a socket over it
    // (while the certificate is being made): its error is the outcome's, never uncaught.
    let transportError: string | null = null;
    peer.transport.on("error", (thrown: unknown) => {
      transportError ??= message(thrown);
    });
    const gone = new Promise<null>((resolve) => peer.transport.once("close", () => resolve(null)));
    let certificate;
    try {
      certificate = await Promise.race([this.#certificateFor(peer), gone]);
    } catch (error) {
      peer.close();
      return { handshake: false, error: `Cannot make a certificate: ${message(error)}` };
    }
    if (certificate === null || peer.transport.destroyed) {
      return { handshake: false, error: transportError ?? CLOSED_DURING_HANDSHAKE };
    }
    return await new Promise<TlsOutcome>((resolve) => {
      let handshake = false;
      let error: string | null = null;
      let socket: tls.TLSSocket;
      try {
        socket = new tls.TLSSocket(peer.transport, {
          isServer: true,
          cert: certificate.cert,
          key: certificate.key,
          ALPNProtocols: ["http/1.1"],
        });
      } catch (thrown) {
        peer.close();
        resolve({ handshake: false, error: message(thrown) });
        return;
      }
      const timer = setTimeout(() => {
        error ??= "handshake timeout";
        socket.destroy();
      }, this.handshakeTimeoutMs);
      socket.once("secure", () => {
        handshake = true;
        clearTimeout(timer);
      });
      socket.on("data", (chunk: Buffer) => {
        peer.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
      socket.on("error", (thrown: unknown) => {
        error ??= message(thrown);
      });
      socket.once("end", () => socket.destroy());
      socket.once("close", () => {
        clearTimeout(timer);
        peer.close();
        if (!handshake) error ??= CLOSED_DURING_HANDSHAKE;
        resolve({ handshake, error });
      });
    });
  }
}

/**
 * Reading an SSH client's opening (its version line and its first binary packet, KEXINIT) and
 * its HASSH fingerprint (https://github.com/salesforce/hassh, BSD-3): the MD5 of the client's
 * key exchange, encryption, MAC and compression algorithm lists (client to server), joined
 * with `;`.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The SSH_MSG_KEXINIT message number. */
export const SSH_MSG_KEXINIT = 20;
/** Longest version line, CR LF included (RFC 4253, 4.2). */
export const MAX_VERSION_LINE_BYTES = 255;
/** Longest binary packet an implementation must accept (RFC 4253, 6.1). */
export const MAX_PACKET_BYTES = 35000;
const COOKIE_BYTES = 16;
const NAME_LISTS = 10;

/** The algorithm lists of a KEXINIT, in their order on the wire. */
export interface KexInit {
  /** Key exchange methods. */
  readonly kex: string;
  /** Server host key algorithms. */
  readonly hostKey: string;
  /** Ciphers, client to server. */
  readonly encryption: string;
  /** Ciphers, server to client. */
  readonly encryptionServer: string;
  /** MACs, client to server. */
  readonly mac: string;
  /** MACs, server to client. */
  readonly macServer: string;
  /** Compression, client to server. */
  readonly compression: string;
  /** Compression, server to client. */
  readonly compressionServer: string;
}

/** A HASSH fingerprint. */
export interface Hassh {
  /** The string hashed: `kex;encryption;mac;compression`. */
  readonly algorithms: string;
  /** Its lowercase hex MD5. */
  readonly hash: string;
}

/**
 * Parses a KEXINIT message.
 *
 * @param payload The packet's payload, from its message number.
 * @returns The lists, or null when the payload is not a well-formed KEXINIT.
 */
export function parseKexInit(payload: Uint8Array): KexInit | null {
  if (payload[0] !== SSH_MSG_KEXINIT) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const latin1 = new TextDecoder("latin1");
  const lists: string[] = [];
  let at = 1 + COOKIE_BYTES;
  for (let i = 0; i < NAME_LISTS; i++) {
    if (at + 4 > payload.length) return null;
    const length = view.getUint32(at);
    at += 4;
    if (length > payload.length - at) return null;
    lists.push(latin1.decode(payload.subarray(at, at + length)));
    at += length;
  }
  const [kex = "", hostKey = "", encryption = "", encryptionServer = ""] = lists;
  const [, , , , mac = "", macServer = "", compression = "", compressionServer = ""] = lists;
  return {
    kex,
    hostKey,
    encryption,
    encryptionServer,
    mac,
    macServer,
    compression,
    compressionServer,
  };
}

/**
 * The HASSH of a client's KEXINIT.
 *
 * @param kexinit The parsed KEXINIT.
 * @returns The string and its MD5.
 */
export function hassh(kexinit: KexInit): Hassh {
  const algorithms = [kexinit.kex, kexinit.encryption, kexinit.mac, kexinit.compression].join(";");
  return { algorithms, hash: createHash("md5").update(algorithms).digest("hex") };
}

/** What the bytes gathered so far hold. */
export type SshOpening =
  | { readonly kind: "wait" }
  | { readonly kind: "invalid" }
  | { readonly kind: "kexinit"; readonly version: string; readonly kexinit: KexInit };

const WAIT: SshOpening = { kind: "wait" };
const INVALID: SshOpening = { kind: "invalid" };

/**
 * Gathers an SSH client's first bytes, in any split across reads, until its version line and
 * its first binary packet are whole. It keeps at most the version line and one packet's bytes.
 */
export class SshOpeningReader {
  #held = new Uint8Array(0);
  #done = false;

  /**
   * Adds a read.
   *
   * @param bytes The read; copied when kept.
   * @returns `wait` for more, `invalid` when the bytes cannot be an SSH client's opening (or its
   * first packet is not a KEXINIT), or the KEXINIT.
   */
  push(bytes: Uint8Array): SshOpening {
    if (this.#done) return INVALID;
    const all = new Uint8Array(this.#held.length + bytes.length);
    all.set(this.#held);
    all.set(bytes, this.#held.length);
    const result = read(all);
    if (result.kind === "wait") {
      // Never more than a version line and one whole packet.
      if (all.length > MAX_VERSION_LINE_BYTES + 4 + MAX_PACKET_BYTES) return this.#finish();
      this.#held = all;
      return result;
    }
    this.#finish();
    return result;
  }

  #finish(): SshOpening {
    this.#done = true;
    this.#held = new Uint8Array(0);
    return INVALID;
  }
}

function read(all: Uint8Array): SshOpening {
  const prefix = Math.min(all.length, 4);
  for (let i = 0; i < prefix; i++) if (all[i] !== "SSH-".charCodeAt(i)) return INVALID;
  const newline = all.subarray(0, MAX_VERSION_LINE_BYTES).indexOf(0x0a);
  if (newline < 0) return all.length >= MAX_VERSION_LINE_BYTES ? INVALID : WAIT;
  const start = newline + 1;
  if (all.length < start + 5) return WAIT;
  const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
  const packetLength = view.getUint32(start);
  const padding = all[start + 4] ?? 0;
  if (packetLength > MAX_PACKET_BYTES || packetLength < padding + 2) return INVALID;
  if (all.length < start + 4 + packetLength) return WAIT;
  const payload = all.subarray(start + 5, start + 4 + packetLength - padding);
  const kexinit = parseKexInit(payload);
  if (kexinit === null) return INVALID;
  const version = new TextDecoder("latin1").decode(all.subarray(0, newline)).replace(/\r$/, "");
  return { kind: "kexinit", version, kexinit };
}

/**
 * Whether a session's first read opens SSH: `SSH-2.0-` or `SSH-1.99-` (a client that speaks
 * both).
 *
 * @param bytes The first read.
 * @returns True for an SSH version line.
 */
export function opensSsh(bytes: Uint8Array): boolean {
  return startsWith(bytes, SSH2) || startsWith(bytes, SSH199);
}

const SSH2 = new TextEncoder().encode("SSH-2.0-");
const SSH199 = new TextEncoder().encode("SSH-1.99-");

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

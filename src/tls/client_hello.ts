/**
 * Recognising and parsing a TLS ClientHello from the first bytes of a TCP connection.
 *
 * The hello may be split over several TLS records; the handshake fragments are reassembled, up
 * to {@linkcode MAX_CLIENT_HELLO_BYTES}. Every failure is a {@linkcode ClientHelloError}, so a
 * caller that catches that one class sees every way hostile bytes can go wrong.
 *
 * @module
 */

/** The most bytes of TLS records a ClientHello may take, headers included: 64 KiB. */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

/** TLS record content type: handshake. */
const RECORD_HANDSHAKE = 0x16;
/** Handshake message type: ClientHello. */
const HANDSHAKE_CLIENT_HELLO = 0x01;
/** Bytes of a TLS record header: type, version, length. */
const RECORD_HEADER = 5;
/** Bytes of a handshake message header: type, 24-bit length. */
const HANDSHAKE_HEADER = 4;
/** The largest record payload TLS allows (RFC 8446 section 5.1), plus the room TLS 1.2 allows. */
const MAX_RECORD_LENGTH = 16384 + 2048;

/** Extension type numbers this module reads (IANA "TLS ExtensionType Values"). */
export const EXTENSION = {
  SERVER_NAME: 0x0000,
  SUPPORTED_GROUPS: 0x000a,
  EC_POINT_FORMATS: 0x000b,
  SIGNATURE_ALGORITHMS: 0x000d,
  ALPN: 0x0010,
  SUPPORTED_VERSIONS: 0x002b,
} as const;

/** Why bytes are not a usable ClientHello. */
export type ClientHelloErrorCode =
  /** The bytes do not start like a TLS handshake record holding a ClientHello. */
  | "not-tls"
  /** The bytes end before the ClientHello does. */
  | "incomplete"
  /** The ClientHello is larger than {@linkcode MAX_CLIENT_HELLO_BYTES}. */
  | "too-large"
  /** A length or field inside the records or the hello is inconsistent. */
  | "malformed";

/** The one error this module throws: the bytes are not a complete, well-formed ClientHello. */
export class ClientHelloError extends Error {
  /** Why, as a stable code for records and tests. */
  readonly code: ClientHelloErrorCode;

  /**
   * @param code Why the bytes were refused.
   * @param detail What was wrong, for people.
   */
  constructor(code: ClientHelloErrorCode, detail: string) {
    super(`Cannot parse TLS ClientHello: ${detail}`);
    this.name = "ClientHelloError";
    this.code = code;
  }
}

/** One extension, in the order the client sent it. */
export interface TlsExtension {
  /** The extension type number. */
  readonly type: number;
  /** The extension's body, a view into the reassembled hello. */
  readonly data: Uint8Array;
}

/** A parsed ClientHello. Lists keep GREASE values and wire order; fingerprints drop GREASE. */
export interface ClientHello {
  /** The version in the first record's header, such as 0x0301. */
  readonly recordVersion: number;
  /** The hello's `legacy_version` (`client_version` before TLS 1.3), such as 0x0303. */
  readonly legacyVersion: number;
  /** The 32 random bytes. */
  readonly random: Uint8Array;
  /** The legacy session id, 0 to 32 bytes. */
  readonly sessionId: Uint8Array;
  /** Cipher suites in wire order. */
  readonly cipherSuites: readonly number[];
  /** Compression methods in wire order. */
  readonly compressionMethods: readonly number[];
  /** Extensions in wire order; empty when the hello has no extension block. */
  readonly extensions: readonly TlsExtension[];
  /** The first host name of the server_name extension, or null. */
  readonly serverName: string | null;
  /** ALPN protocol names, decoded as lossy UTF-8. */
  readonly alpn: readonly string[];
  /** ALPN protocol names as sent. */
  readonly alpnBytes: readonly Uint8Array[];
  /** The supported_versions extension's list, or empty when absent. */
  readonly supportedVersions: readonly number[];
  /** The supported_groups (elliptic curves) extension's list. */
  readonly supportedGroups: readonly number[];
  /** The ec_point_formats extension's list. */
  readonly ecPointFormats: readonly number[];
  /** The signature_algorithms extension's list. */
  readonly signatureAlgorithms: readonly number[];
  /** Types of known extensions whose body could not be read; their fields above stay empty. */
  readonly malformedExtensions: readonly number[];
  /** Bytes of TLS records the hello took, from the start of the input. */
  readonly byteLength: number;
}

/**
 * Whether a 16-bit value is a GREASE value (RFC 8701): 0x0a0a, 0x1a1a, ..., 0xfafa.
 *
 * @param value A cipher suite, extension type, group, version or signature algorithm.
 * @returns True for the 16 reserved GREASE values.
 */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && (value >> 8) === (value & 0xff);
}

/** What {@linkcode sniffTls} says about the first bytes of a connection. */
export type TlsSniff = "tls" | "not-tls" | "need-more";

/**
 * Tells cheaply whether a connection's first bytes start a TLS ClientHello: a handshake record
 * (0x16), version 0x0300 to 0x0304, a plausible length, and handshake type 1.
 *
 * @param bytes The first bytes received.
 * @returns "tls", "not-tls", or "need-more" when every byte so far fits and up to 6 are needed.
 */
export function sniffTls(bytes: Uint8Array): TlsSniff {
  const n = bytes.length;
  if (n === 0) return "need-more";
  if (bytes[0] !== RECORD_HANDSHAKE) return "not-tls";
  if (n < 2) return "need-more";
  if (bytes[1] !== 0x03) return "not-tls";
  if (n < 3) return "need-more";
  if ((bytes[2] ?? 0xff) > 0x04) return "not-tls";
  if (n < 5) return "need-more";
  const length = ((bytes[3] ?? 0) << 8) | (bytes[4] ?? 0);
  if (length === 0 || length > MAX_RECORD_LENGTH) return "not-tls";
  if (n < 6) return "need-more";
  return bytes[5] === HANDSHAKE_CLIENT_HELLO ? "tls" : "not-tls";
}

/** The handshake bytes reassembled from the records, or how many more bytes are needed. */
interface Reassembly {
  /** The handshake message (header included) when complete, else null. */
  readonly message: Uint8Array | null;
  /** Bytes of records consumed when complete; else the least total input length still needed. */
  readonly length: number;
}

function reassemble(bytes: Uint8Array): Reassembly {
  const fragments: Uint8Array[] = [];
  let have = 0;
  let wanted = -1;
  let offset = 0;
  while (true) {
    if (offset + RECORD_HEADER > bytes.length) {
      return { message: null, length: offset + RECORD_HEADER };
    }
    const type = bytes[offset] ?? 0;
    const major = bytes[offset + 1] ?? 0;
    const recordLength = ((bytes[offset + 3] ?? 0) << 8) | (bytes[offset + 4] ?? 0);
    if (type !== RECORD_HANDSHAKE || major !== 0x03) {
      throw offset === 0
        ? new ClientHelloError("not-tls", "the first record is not a TLS handshake record")
        : new ClientHelloError(
          "malformed",
          `record at byte ${offset} is not a handshake record (type ${type})`,
        );
    }
    if (recordLength === 0 || recordLength > MAX_RECORD_LENGTH) {
      throw new ClientHelloError(
        "malformed",
        `record at byte ${offset} has length ${recordLength}`,
      );
    }
    const end = offset + RECORD_HEADER + recordLength;
    if (end > MAX_CLIENT_HELLO_BYTES) {
      throw new ClientHelloError(
        "too-large",
        `the hello takes more than ${MAX_CLIENT_HELLO_BYTES} bytes`,
      );
    }
    if (end > bytes.length) return { message: null, length: end };
    fragments.push(bytes.subarray(offset + RECORD_HEADER, end));
    have += recordLength;
    offset = end;
    if (wanted < 0 && have >= HANDSHAKE_HEADER) {
      const header = joinPrefix(fragments, HANDSHAKE_HEADER);
      if (header[0] !== HANDSHAKE_CLIENT_HELLO) {
        throw new ClientHelloError("not-tls", `handshake type ${header[0]} is not a ClientHello`);
      }
      wanted = HANDSHAKE_HEADER +
        (((header[1] ?? 0) << 16) | ((header[2] ?? 0) << 8) | (header[3] ?? 0));
      if (wanted > MAX_CLIENT_HELLO_BYTES) {
        throw new ClientHelloError(
          "too-large",
          `the hello announces ${wanted - HANDSHAKE_HEADER} bytes`,
        );
      }
    }
    if (wanted >= 0 && have >= wanted) {
      const message = fragments.length === 1 && fragments[0] !== undefined
        ? fragments[0].subarray(0, wanted)
        : joinPrefix(fragments, wanted);
      return { message, length: offset };
    }
  }
}

function joinPrefix(fragments: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const fragment of fragments) {
    if (at >= length) break;
    const part = fragment.subarray(0, length - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Tells how many more bytes a caller must read before {@linkcode parseClientHello} can parse
 * the hello: 0 when the bytes already hold every record of it.
 *
 * @param bytes The bytes received so far, from the first byte of the connection.
 * @returns 0 when complete, else a lower bound (at least 1) of the bytes still missing.
 * @throws {ClientHelloError} When the bytes cannot start a ClientHello or exceed the bound.
 */
export function clientHelloBytesNeeded(bytes: Uint8Array): number {
  const result = reassemble(bytes);
  return result.message === null ? Math.max(1, result.length - bytes.length) : 0;
}

/** A bounds-checked reader over the hello; running past the end throws "malformed". */
class Reader {
  readonly #bytes: Uint8Array;
  #at: number;
  readonly #end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.#bytes = bytes;
    this.#at = start;
    this.#end = end;
  }

  get remaining(): number {
    return this.#end - this.#at;
  }

  #need(n: number, what: string): void {
    if (n > this.#end - this.#at) {
      throw new ClientHelloError(
        "malformed",
        `${what} needs ${n} bytes, ${this.#end - this.#at} left`,
      );
    }
  }

  u8(what: string): number {
    this.#need(1, what);
    return this.#bytes[this.#at++] ?? 0;
  }

  u16(what: string): number {
    this.#need(2, what);
    const value = ((this.#bytes[this.#at] ?? 0) << 8) | (this.#bytes[this.#at + 1] ?? 0);
    this.#at += 2;
    return value;
  }

  bytes(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const out = this.#bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  /** A reader over the next `n` bytes, which this reader skips. */
  sub(n: number, what: string): Reader {
    this.#need(n, what);
    const reader = new Reader(this.#bytes, this.#at, this.#at + n);
    this.#at += n;
    return reader;
  }

  u16List(what: string): number[] {
    const values: number[] = [];
    while (this.remaining > 0) values.push(this.u16(what));
    return values;
  }
}

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** The fields read from known extensions; absent extensions leave them empty. */
interface ExtensionFields {
  serverName: string | null;
  alpnBytes: Uint8Array[];
  supportedVersions: number[];
  supportedGroups: number[];
  ecPointFormats: number[];
  signatureAlgorithms: number[];
  malformedExtensions: number[];
}

function readServerName(r: Reader): string | null {
  const list = r.sub(r.u16("server_name list length"), "server_name list");
  while (list.remaining > 0) {
    const nameType = list.u8("server_name type");
    const name = list.bytes(list.u16("server_name length"), "server_name");
    if (nameType === 0) return utf8.decode(name);
  }
  return null;
}

function readAlpn(r: Reader): Uint8Array[] {
  const list = r.sub(r.u16("ALPN list length"), "ALPN list");
  const names: Uint8Array[] = [];
  while (list.remaining > 0) names.push(list.bytes(list.u8("ALPN name length"), "ALPN name"));
  return names;
}

function readExtension(type: number, r: Reader, fields: ExtensionFields, first: boolean): void {
  switch (type) {
    case EXTENSION.SERVER_NAME:
      if (first) fields.serverName = readServerName(r);
      return;
    case EXTENSION.ALPN:
      if (first) fields.alpnBytes = readAlpn(r);
      return;
    case EXTENSION.SUPPORTED_VERSIONS:
      if (first) {
        fields.supportedVersions = r.sub(r.u8("supported_versions length"), "supported_versions")
          .u16List("supported version");
      }
      return;
    case EXTENSION.SUPPORTED_GROUPS:
      if (first) {
        fields.supportedGroups = r.sub(r.u16("supported_groups length"), "supported_groups")
          .u16List("supported group");
      }
      return;
    case EXTENSION.EC_POINT_FORMATS:
      if (first) {
        fields.ecPointFormats = Array.from(
          r.bytes(r.u8("ec_point_formats length"), "ec_point_formats"),
        );
      }
      return;
    case EXTENSION.SIGNATURE_ALGORITHMS:
      if (first) {
        fields.signatureAlgorithms = r.sub(
          r.u16("signature_algorithms length"),
          "signature_algorithms",
        ).u16List("signature algorithm");
      }
      return;
  }
}

/**
 * Parses a ClientHello from the first bytes of a connection. The hello may span several TLS
 * records; bytes after its last record are ignored.
 *
 * A known extension whose body is malformed does not fail the parse: its type is listed in
 * `malformedExtensions` and its fields stay empty, so the fingerprints can still be computed.
 *
 * @param bytes The bytes received, from the first byte of the connection.
 * @returns The parsed hello.
 * @throws {ClientHelloError} When the bytes are not TLS ("not-tls"), end too soon
 *   ("incomplete"), exceed {@linkcode MAX_CLIENT_HELLO_BYTES} ("too-large") or hold an
 *   inconsistent length ("malformed").
 */
export function parseClientHello(bytes: Uint8Array): ClientHello {
  const { message, length } = reassemble(bytes);
  if (message === null) {
    throw new ClientHelloError(
      "incomplete",
      `${bytes.length} bytes received, at least ${length} needed`,
    );
  }
  const r = new Reader(message, HANDSHAKE_HEADER);
  const legacyVersion = r.u16("legacy_version");
  const random = r.bytes(32, "random");
  const sessionId = r.bytes(r.u8("session id length"), "session id");
  if (sessionId.length > 32) {
    throw new ClientHelloError("malformed", `session id of ${sessionId.length} bytes`);
  }
  const suiteBytes = r.u16("cipher suites length");
  if (suiteBytes % 2 !== 0) {
    throw new ClientHelloError("malformed", `cipher suites length ${suiteBytes} is odd`);
  }
  const cipherSuites = r.sub(suiteBytes, "cipher suites").u16List("cipher suite");
  const compressionMethods = Array.from(
    r.bytes(r.u8("compression methods length"), "compression methods"),
  );
  const extensions: TlsExtension[] = [];
  const fields: ExtensionFields = {
    serverName: null,
    alpnBytes: [],
    supportedVersions: [],
    supportedGroups: [],
    ecPointFormats: [],
    signatureAlgorithms: [],
    malformedExtensions: [],
  };
  if (r.remaining > 0) {
    const block = r.sub(r.u16("extensions length"), "extensions");
    if (r.remaining > 0) {
      throw new ClientHelloError("malformed", `${r.remaining} bytes after the extensions`);
    }
    const seen = new Set<number>();
    while (block.remaining > 0) {
      const type = block.u16("extension type");
      const data = block.bytes(block.u16("extension length"), "extension body");
      extensions.push({ type, data });
      const first = !seen.has(type);
      seen.add(type);
      try {
        readExtension(type, new Reader(data), fields, first);
      } catch (error) {
        if (!(error instanceof ClientHelloError)) throw error;
        fields.malformedExtensions.push(type);
      }
    }
  }
  return {
    recordVersion: ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0),
    legacyVersion,
    random,
    sessionId,
    cipherSuites,
    compressionMethods,
    extensions,
    serverName: fields.serverName,
    alpn: fields.alpnBytes.map((name) => utf8.decode(name)),
    alpnBytes: fields.alpnBytes,
    supportedVersions: fields.supportedVersions,
    supportedGroups: fields.supportedGroups,
    ecPointFormats: fields.ecPointFormats,
    signatureAlgorithms: fields.signatureAlgorithms,
    malformedExtensions: fields.malformedExtensions,
    byteLength: length,
  };
}

/** Names of the TLS versions, by their 16-bit code. */
const VERSION_NAMES: Readonly<Record<number, string>> = {
  0x0002: "SSLv2",
  0x0300: "SSLv3",
  0x0301: "TLSv1.0",
  0x0302: "TLSv1.1",
  0x0303: "TLSv1.2",
  0x0304: "TLSv1.3",
};

/**
 * The TLS versions a client offers, by name, in the client's order: the supported_versions list
 * without GREASE when present, else the legacy version alone. Unknown codes read as hex.
 *
 * @param hello The parsed hello.
 * @returns Names such as "TLSv1.3", "TLSv1.2", or "0x7f1c" for a draft.
 */
export function offeredVersions(hello: ClientHello): string[] {
  const codes = hello.supportedVersions.filter((v) => !isGrease(v));
  const list = codes.length > 0 ? codes : [hello.legacyVersion];
  return list.map((v) => VERSION_NAMES[v] ?? `0x${v.toString(16).padStart(4, "0")}`);
}

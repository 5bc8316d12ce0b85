/**
 * JA4, the FoxIO TLS client fingerprint
 * (https://github.com/FoxIO-LLC/ja4/blob/main/technical_details/JA4.md), for TLS over TCP:
 * `t13d1516h2_8daaf6152771_e5627efa2ab1`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type ClientHello, EXTENSION, isGrease } from "./client_hello.ts";

/** How to render a JA4 fingerprint. */
export interface Ja4Options {
  /** Lists in the client's order, SNI and ALPN kept in the extensions (JA4_o). Default false. */
  readonly original?: boolean;
  /** The hex lists themselves instead of their truncated SHA-256 (JA4_r). Default false. */
  readonly raw?: boolean;
}

/** JA4's two-character names of the TLS versions. */
const VERSION_CODES: Readonly<Record<number, string>> = {
  0x0304: "13",
  0x0303: "12",
  0x0302: "11",
  0x0301: "10",
  0x0300: "s3",
  0x0002: "s2",
  0xfeff: "d1",
  0xfefd: "d2",
  0xfefc: "d3",
};

/** The hash part used when a list is empty. */
const EMPTY_HASH = "000000000000";

function hex4(value: number): string {
  return value.toString(16).padStart(4, "0");
}

function count(n: number): string {
  return String(Math.min(n, 99)).padStart(2, "0");
}

function isAlphanumeric(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a);
}

function alpnCode(first: Uint8Array | undefined): string {
  if (first === undefined || first.length === 0) return "00";
  const a = first[0] ?? 0, b = first[first.length - 1] ?? 0;
  if (isAlphanumeric(a) && isAlphanumeric(b)) return String.fromCharCode(a, b);
  const text = first.toHex();
  return `${text[0]}${text[text.length - 1]}`;
}

function version(hello: ClientHello): string {
  const offered = hello.supportedVersions.filter((v) => !isGrease(v));
  const chosen = offered.length > 0 ? Math.max(...offered) : hello.legacyVersion;
  return VERSION_CODES[chosen] ?? "00";
}

function sha12(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/**
 * Computes the JA4 fingerprint of a ClientHello received over TCP. GREASE values are ignored
 * everywhere; the version is the highest of supported_versions, else the legacy version.
 *
 * @param hello The parsed hello.
 * @param options Original order and raw rendering (JA4_o, JA4_r, JA4_ro).
 * @returns The fingerprint, such as `t13d1516h2_8daaf6152771_e5627efa2ab1`.
 */
export function ja4(hello: ClientHello, options: Ja4Options = {}): string {
  const original = options.original ?? false;
  const raw = options.raw ?? false;
  const ciphers = hello.cipherSuites.filter((c) => !isGrease(c));
  const types = hello.extensions.map((e) => e.type).filter((t) => !isGrease(t));
  const sni = types.includes(EXTENSION.SERVER_NAME) ? "d" : "i";
  const a = `t${version(hello)}${sni}${count(ciphers.length)}${count(types.length)}${
    alpnCode(hello.alpnBytes[0])
  }`;

  const cipherList = ciphers.map(hex4);
  if (!original) cipherList.sort();
  const cipherText = cipherList.join(",");

  const extensionList = original
    ? types.map(hex4)
    : types.filter((t) => t !== EXTENSION.SERVER_NAME && t !== EXTENSION.ALPN).map(hex4).sort();
  const signatures = hello.signatureAlgorithms.filter((s) => !isGrease(s)).map(hex4).join(",");
  const extensionText = signatures.length > 0
    ? `${extensionList.join(",")}_${signatures}`
    : extensionList.join(",");

  if (raw) return `${a}_${cipherText}_${extensionText}`;
  const b = cipherList.length > 0 ? sha12(cipherText) : EMPTY_HASH;
  const c = extensionList.length > 0 ? sha12(extensionText) : EMPTY_HASH;
  return `${a}_${b}_${c}`;
}

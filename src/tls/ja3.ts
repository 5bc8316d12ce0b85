/**
 * JA3, the Salesforce TLS client fingerprint (https://github.com/salesforce/ja3): the hello's
 * version, cipher suites, extension types, supported groups and EC point formats as decimal
 * lists, GREASE removed, and the MD5 of that string.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type ClientHello, isGrease } from "./client_hello.ts";

/** A JA3 fingerprint. */
export interface Ja3 {
  /** The JA3 string, such as `771,4865-4866,0-11-10,29-23,0`. */
  readonly text: string;
  /** The lowercase hex MD5 of {@linkcode Ja3.text}. */
  readonly hash: string;
}

function join(values: readonly number[]): string {
  return values.filter((v) => !isGrease(v)).join("-");
}

/**
 * Computes the JA3 string of a ClientHello and its MD5.
 *
 * @param hello The parsed hello.
 * @returns The JA3 string and hash.
 */
export function ja3(hello: ClientHello): Ja3 {
  const text = [
    hello.legacyVersion,
    join(hello.cipherSuites),
    join(hello.extensions.map((e) => e.type)),
    join(hello.supportedGroups),
    hello.ecPointFormats.join("-"),
  ].join(",");
  return { text, hash: createHash("md5").update(text).digest("hex") };
}

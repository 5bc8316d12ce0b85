/**
 * SHA-1 of short inputs, for Community ID. `node:crypto`'s `createHash` costs about 12 us a call in
 * Deno 2.9, mostly object set-up; a Community ID input is at most 40 bytes, one SHA-1 block, so
 * this single-block version does the same work in well under a microsecond.
 *
 * @module
 */

/** The longest input {@linkcode sha1Short} accepts: one block less the padding. */
export const SHA1_SHORT_MAX = 55;

/** The message schedule; signed, so that every word stays a small integer for the JIT. */
const block = new Int32Array(80);
/** The padded block, reused: JavaScript runs one call at a time. */
const padded = new Uint8Array(64);

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/**
 * Computes the SHA-1 digest of an input of at most 55 bytes.
 *
 * @param input The bytes.
 * @returns The 20-byte digest.
 * @throws {RangeError} When the input is longer than 55 bytes.
 */
export function sha1Short(input: Uint8Array): Uint8Array {
  const digest = new Uint8Array(20);
  sha1ShortInto(input, input.length, digest);
  return digest;
}

/**
 * Computes the SHA-1 digest of the first bytes of a buffer, at most 55, into another, without
 * allocating: the form Community ID uses once per session.
 *
 * @param input The bytes.
 * @param length How many of them to hash.
 * @param digest Where the 20-byte digest goes.
 * @throws {RangeError} When the length is over 55 or past the input.
 */
export function sha1ShortInto(input: Uint8Array, length: number, digest: Uint8Array): void {
  if (length > SHA1_SHORT_MAX || length > input.length) {
    throw new RangeError(`Cannot hash ${length} bytes: sha1Short takes at most 55`);
  }
  padded.fill(0);
  for (let i = 0; i < length; i++) padded[i] = input[i] ?? 0;
  padded[length] = 0x80;
  padded[62] = (length * 8) >> 8;
  padded[63] = (length * 8) & 0xff;
  const w = block;
  for (let i = 0; i < 16; i++) {
    w[i] = ((padded[i * 4] ?? 0) << 24) | ((padded[i * 4 + 1] ?? 0) << 16) |
      ((padded[i * 4 + 2] ?? 0) << 8) | (padded[i * 4 + 3] ?? 0);
  }
  for (let i = 16; i < 80; i++) {
    w[i] = rotl((w[i - 3] ?? 0) ^ (w[i - 8] ?? 0) ^ (w[i - 14] ?? 0) ^ (w[i - 16] ?? 0), 1);
  }
  const h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476, h4 = 0xc3d2e1f0;
  let a = h0, b = h1, c = h2, d = h3, e = h4;
  for (let i = 0; i < 80; i++) {
    const f = i < 20
      ? ((b & c) | (~b & d)) + 0x5a827999
      : i < 40
      ? (b ^ c ^ d) + 0x6ed9eba1
      : i < 60
      ? ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc
      : (b ^ c ^ d) + 0xca62c1d6;
    const t = (rotl(a, 5) + f + e + (w[i] ?? 0)) | 0;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = t;
  }
  putWord(digest, 0, h0 + a);
  putWord(digest, 4, h1 + b);
  putWord(digest, 8, h2 + c);
  putWord(digest, 12, h3 + d);
  putWord(digest, 16, h4 + e);
}

/** Writes a 32-bit word big-endian (a DataView would make the buffer leave V8's heap). */
function putWord(into: Uint8Array, at: number, word: number): void {
  into[at] = word >>> 24;
  into[at + 1] = (word >>> 16) & 0xff;
  into[at + 2] = (word >>> 8) & 0xff;
  into[at + 3] = word & 0xff;
}

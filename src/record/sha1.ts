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
  if (input.length > SHA1_SHORT_MAX) {
    throw new RangeError(`Cannot hash ${input.length} bytes: sha1Short takes at most 55`);
  }
  padded.fill(0);
  padded.set(input);
  padded[input.length] = 0x80;
  padded[62] = (input.length * 8) >> 8;
  padded[63] = (input.length * 8) & 0xff;
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
  const digest = new Uint8Array(20);
  const view = new DataView(digest.buffer);
  view.setUint32(0, (h0 + a) | 0);
  view.setUint32(4, (h1 + b) | 0);
  view.setUint32(8, (h2 + c) | 0);
  view.setUint32(12, (h3 + d) | 0);
  view.setUint32(16, (h4 + e) | 0);
  return digest;
}

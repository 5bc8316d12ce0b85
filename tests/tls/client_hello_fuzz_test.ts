import { assert, assertEquals } from "../../testing/std.ts";
import {
  clientHelloBytesNeeded,
  ClientHelloError,
  parseClientHello,
  sniffTls,
} from "../../src/tls/client_hello.ts";
import { ja3 } from "../../src/tls/ja3.ts";
import { ja4 } from "../../src/tls/ja4.ts";
import { buildClientHello, captureClientHello, ja4SpecHello, TLS_CLIENTS } from "./_fixtures.ts";

/** Cases per test, and the time each test may take at most. */
const CASES = 20_000;
const BUDGET_MS = 5_000;

/** A small seeded PRNG (mulberry32), so that a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs every entry point on the bytes: each must return or throw ClientHelloError. */
function exercise(bytes: Uint8Array, label: string): "parsed" | "refused" {
  const sniff = sniffTls(bytes);
  assert(sniff === "tls" || sniff === "not-tls" || sniff === "need-more", label);
  try {
    const needed = clientHelloBytesNeeded(bytes);
    assert(Number.isInteger(needed) && needed >= 0, label);
  } catch (error) {
    if (!(error instanceof ClientHelloError)) throw new Error(`${label}: ${error}`);
  }
  try {
    const hello = parseClientHello(bytes);
    assert(hello.byteLength <= bytes.length, label);
    assertEquals(ja4(hello).length, 36, label);
    assertEquals(ja3(hello).hash.length, 32, label);
    return "parsed";
  } catch (error) {
    if (!(error instanceof ClientHelloError)) throw new Error(`${label}: ${error}`);
    return "refused";
  }
}

Deno.test("client hello fuzz: random bytes only parse or throw ClientHelloError", () => {
  const seed = Date.now() >>> 0;
  const random = prng(seed);
  const start = performance.now();
  let cases = 0;
  for (; cases < CASES && performance.now() - start < BUDGET_MS; cases++) {
    const bytes = new Uint8Array(Math.floor(random() * 600));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    // Half the cases start like a handshake record, so the parser gets past the first check.
    if (random() < 0.5 && bytes.length >= 6) bytes.set([0x16, 3, Math.floor(random() * 5)]);
    if (random() < 0.3 && bytes.length >= 9) bytes[5] = 1;
    exercise(bytes, `seed ${seed} case ${cases}`);
  }
  assert(cases >= 1000, `only ${cases} cases ran`);
});

Deno.test("client hello fuzz: mutated real hellos only parse or throw ClientHelloError", async () => {
  const seeds: Uint8Array[] = [ja4SpecHello(), buildClientHello({ fragment: 60 })];
  for (const client of TLS_CLIENTS.slice(0, 4)) seeds.push(await captureClientHello(client));
  const seed = Date.now() >>> 0;
  const random = prng(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const start = performance.now();
  const outcomes = { parsed: 0, refused: 0 };
  let cases = 0;
  for (; cases < CASES && performance.now() - start < BUDGET_MS; cases++) {
    const original = seeds[pick(seeds.length)] ?? new Uint8Array();
    let bytes = original.slice();
    const mutations = 1 + pick(4);
    for (let m = 0; m < mutations; m++) {
      const at = pick(bytes.length);
      switch (pick(5)) {
        case 0: // flip a byte
          bytes[at] = pick(256);
          break;
        case 1: // nudge a byte, as a length field would be nudged
          bytes[at] = ((bytes[at] ?? 0) + (random() < 0.5 ? 1 : 255)) & 0xff;
          break;
        case 2: // truncate
          bytes = bytes.subarray(0, at);
          break;
        case 3: // cut out a range
          bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + pick(40))]);
          break;
        default: // insert random bytes
          bytes = new Uint8Array([
            ...bytes.subarray(0, at),
            ...Array.from({ length: 1 + pick(8) }, () => pick(256)),
            ...bytes.subarray(at),
          ]);
      }
    }
    outcomes[exercise(bytes, `seed ${seed} case ${cases}`)]++;
  }
  assert(cases >= 1000, `only ${cases} cases ran`);
  assert(outcomes.parsed > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
});

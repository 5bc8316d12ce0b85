import { assertEquals } from "../../testing/std.ts";
import { GUESS_MAX_CHARS, guessProtocol } from "../../src/report/protocol_guess.ts";

const hex = (text: string): string => new TextEncoder().encode(text).toHex();
const guess = (
  payload: string,
  extra: { sni?: string | null; hello?: boolean; hex?: string } = {},
) =>
  guessProtocol({
    payload,
    payloadHex: extra.hex ?? hex(payload),
    tlsSni: extra.sni,
    isClientHello: extra.hello ?? false,
  });

Deno.test("guessProtocol: HTTP request line, SSH version, TLS with SNI, text, hex", () => {
  assertEquals(guess("GET /.env HTTP/1.1\r\nHost: x\r\n\r\n"), "GET /.env HTTP/1.1");
  assertEquals(guess("SSH-2.0-Go\r\n"), "SSH-2.0-Go");
  assertEquals(
    guess("\u0016\u0003\u0001", { sni: "example.com", hello: true }),
    "TLS sni=example.com",
  );
  assertEquals(guess("\u0016\u0003\u0001", { sni: null, hello: true }), "TLS (no SNI)");
  assertEquals(guess("x", { hex: "16030100c8" }), "TLS");
  assertEquals(guess("HELO there\n"), "HELO there");
  assertEquals(guess("\u0000\u0001", { hex: "0001" }), "hex 0001");
  assertEquals(guess("?", { hex: "00".repeat(40) }), `hex ${"00".repeat(12)}...`);
  assertEquals(guess(`GET /${"a".repeat(200)} HTTP/1.1`).length, GUESS_MAX_CHARS);
});

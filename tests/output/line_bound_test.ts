import { assert, assertEquals } from "../../testing/std.ts";
import { largestRecordLineBytes } from "../../src/output/line_bound.ts";
import { createFlow, encodeRecord } from "../../src/record/record.ts";
import { MAX_CLIENT_HELLO_BYTES, parseClientHello } from "../../src/tls/client_hello.ts";
import { tlsHelloFields } from "../../src/tls/terminator.ts";
import { alpnBody, buildClientHello, sniBody } from "../tls/_fixtures.ts";

const DEFAULTS = {
  readSize: 4096,
  tlsEnabled: true,
  greetEnabled: true,
  udpEnabled: false,
  udpMaxDatagram: 4096,
};

/** The longest hello that fits the limit, its room filled by the given extension. */
function largestHello(fill: (room: number) => [number, Uint8Array]): Uint8Array {
  const overhead = buildClientHello({ extensions: [fill(0)] }).length;
  // Each 16 KiB record adds a 5-byte header.
  const room = MAX_CLIENT_HELLO_BYTES - overhead - 5 * 4;
  const hello = buildClientHello({ extensions: [fill(room)] });
  assert(hello.length <= MAX_CLIENT_HELLO_BYTES && hello.length > MAX_CLIENT_HELLO_BYTES - 300);
  return hello;
}

/** A whole record line: the hello's fields on a read of read_size control bytes. */
function helloLine(hello: Uint8Array, readSize: number): number {
  const flow = createFlow(
    "tcp",
    { ip: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", port: 65535 },
    { ip: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", port: 65535 },
    "\u0001".repeat(255),
  );
  const fields = tlsHelloFields(parseClientHello(hello));
  const payload = new Uint8Array(readSize).fill(1);
  const line = encodeRecord(flow, 2 ** 31, payload, 2 ** 47, {
    silent: false,
    truncated: false,
  }, fields);
  return new TextEncoder().encode(line).length + 1;
}

Deno.test("largestRecordLineBytes: 8 x read_size + 6 x 64 KiB + 4096, and UDP's 8 x max_datagram", () => {
  assertEquals(largestRecordLineBytes(DEFAULTS), 8 * 4096 + 6 * 65536 + 4096 + 1);
  assertEquals(
    largestRecordLineBytes({ ...DEFAULTS, tlsEnabled: false }),
    8 * 4096 + 6 * 35000 + 4096 + 1,
  );
  assertEquals(
    largestRecordLineBytes({ ...DEFAULTS, tlsEnabled: false, greetEnabled: false }),
    8 * 4096 + 4096 + 1,
  );
  assertEquals(
    largestRecordLineBytes({ ...DEFAULTS, udpEnabled: true, udpMaxDatagram: 65535 }),
    8 * 65535 + 4096 + 1,
  );
});

Deno.test("a ClientHello full of control-byte ALPN names stays under the bound, within 10 %", () => {
  const hello = largestHello((room) => {
    const names: Uint8Array[] = [];
    for (let left = room - 2; left > 1; left -= 256) {
      names.push(new Uint8Array(Math.min(255, left - 1)).fill(1));
    }
    return [16, alpnBody(names)];
  });
  const bytes = helloLine(hello, 4096);
  const bound = largestRecordLineBytes(DEFAULTS);
  assert(bytes <= bound, `${bytes} > ${bound}`);
  assert(bytes > bound * 0.9, `${bytes} is far below ${bound}: the bound is loose`);
});

Deno.test("a ClientHello with a 64 KiB control-byte server name stays under the bound", () => {
  const hello = largestHello((room) => [0, sniBody("\u0001".repeat(Math.max(0, room - 5)))]);
  const bytes = helloLine(hello, 4096);
  const bound = largestRecordLineBytes(DEFAULTS);
  assert(bytes <= bound, `${bytes} > ${bound}`);
  assert(bytes > bound * 0.9, `${bytes} is far below ${bound}`);
});

Deno.test("a ClientHello of 32,000 five-digit ciphers (ja3) stays under the bound", () => {
  const ciphers = Array.from({ length: 32_000 }, (_, i) => 10000 + (i % 50000));
  const hello = buildClientHello({ ciphers });
  assert(hello.length <= MAX_CLIENT_HELLO_BYTES);
  const bytes = helloLine(hello, 4096);
  assert(bytes <= largestRecordLineBytes(DEFAULTS));
});

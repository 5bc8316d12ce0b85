import { assert, assertEquals } from "../../testing/std.ts";
import { largestRecordLineBytes } from "../../src/output/line_bound.ts";
import { createFlow, encodeRecord } from "../../src/record/record.ts";
import { MAX_CLIENT_HELLO_BYTES, parseClientHello } from "../../src/tls/client_hello.ts";
import { tlsHelloFields } from "../../src/tls/terminator.ts";
import { MAX_PACKET_BYTES, SSH_MSG_KEXINIT } from "../../src/greet/hassh.ts";
import { SshDialog } from "../../src/greet/ssh.ts";
import { TcpSession } from "../../src/session/tcp_session.ts";
import { alpnBody, buildClientHello, sniBody } from "../tls/_fixtures.ts";
import { SITE } from "../greet/_dialog.ts";
import { acceptedConnection, sessionHarness, tightPair } from "../session/_session_harness.ts";
import { until } from "../_socket_fd.ts";

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

/**
 * The bytes of a whole record line, newline included, for a payload and extra fields, with the
 * longest flow: the longest IPv6 addresses and a 255-character sensor name of control bytes.
 */
function lineBytes(payload: Uint8Array, fields: Readonly<Record<string, unknown>>): number {
  const flow = createFlow(
    "tcp",
    { ip: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", port: 65535 },
    { ip: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", port: 65535 },
    "\u0001".repeat(255),
  );
  const line = encodeRecord(flow, 2 ** 31, payload, 2 ** 47, {
    silent: false,
    truncated: false,
  }, fields);
  return new TextEncoder().encode(line).length + 1;
}

/** A whole record line: the hello's fields on a read of read_size control bytes. */
function helloLine(hello: Uint8Array, readSize: number): number {
  return lineBytes(new Uint8Array(readSize).fill(1), tlsHelloFields(parseClientHello(hello)));
}

/** KEXINIT payload bytes that are no algorithm name: message, cookie, ten lengths, flag, reserved. */
const KEXINIT_FIXED_BYTES = 1 + 16 + 10 * 4 + 1 + 4;
/** The padding of the test's packet: the least RFC 4253 allows. */
const KEXINIT_PADDING_BYTES = 4;

/**
 * An SSH client's opening whose first packet is a KEXINIT of the longest length accepted
 * (`packet_length` = 35,000), every byte of room in the four lists HASSH joins (kex, encryption,
 * MAC and compression, client to server) filled with control bytes: each is `\u0001` (6 bytes)
 * in `hassh_algorithms`.
 */
function largestSshOpening(): { opening: Uint8Array; listBytes: number } {
  const version = new TextEncoder().encode("SSH-2.0-x\r\n");
  const payloadBytes = MAX_PACKET_BYTES - 1 - KEXINIT_PADDING_BYTES;
  const room = payloadBytes - KEXINIT_FIXED_BYTES;
  const quarter = Math.floor(room / 4);
  // Lists in wire order; HASSH takes 0 (kex), 2 (encryption), 4 (MAC), 6 (compression).
  const sizes = [quarter, 0, quarter, 0, quarter, 0, room - 3 * quarter, 0, 0, 0];
  const opening = new Uint8Array(version.length + 4 + MAX_PACKET_BYTES);
  opening.set(version);
  const view = new DataView(opening.buffer);
  let at = version.length;
  view.setUint32(at, MAX_PACKET_BYTES);
  opening[at + 4] = KEXINIT_PADDING_BYTES;
  at += 5;
  opening[at] = SSH_MSG_KEXINIT;
  at += 17; // the message number, then a 16-byte cookie of zeros
  for (const size of sizes) {
    view.setUint32(at, size);
    opening.fill(1, at + 4, at + 4 + size);
    at += 4 + size;
  }
  // first_kex_packet_follows, reserved and the padding stay zero.
  assertEquals(at + 1 + 4 + KEXINIT_PADDING_BYTES, opening.length);
  return { opening, listBytes: room };
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

Deno.test("a maximal SSH KEXINIT of control bytes stays under the bound (TLS off), within 10 %", () => {
  const { opening, listBytes } = largestSshOpening();
  const readSize = 4096;
  // Reads of read_size, the last one full: its payload shares the record with the fields.
  const dialog = new SshDialog(SITE);
  let at = opening.length % readSize || readSize;
  let read = opening.subarray(0, at);
  let step = dialog.receive(read);
  while (at < opening.length) {
    assertEquals(step.fields, null, "no fields before the packet is whole");
    read = opening.subarray(at, at + readSize);
    at += readSize;
    step = dialog.receive(read);
  }
  assertEquals(read.length, readSize);
  assert(step.fields !== null, "the last read completes the KEXINIT");
  const algorithms = String(step.fields["hassh_algorithms"]);
  assertEquals(algorithms.length, listBytes + 3, "every list byte, and three ';'");
  // The record's fields as the session's greeter gives them: its `greeting`, then the dialog's.
  const bytes = lineBytes(read, { greeting: "ssh", ...step.fields });
  const settings = { ...DEFAULTS, readSize, tlsEnabled: false };
  const bound = largestRecordLineBytes(settings);
  assert(bytes <= bound, `${bytes} > ${bound}`);
  assert(bytes > bound * 0.9, `${bytes} is far below ${bound}: the bound is loose`);
  // With TLS on as well the bound is the ClientHello's, larger still.
  assert(bytes <= largestRecordLineBytes({ ...settings, tlsEnabled: true }));
});

Deno.test("a maximal SSH KEXINIT through a real session (detected, greeted, fingerprinted) stays under the bound", async () => {
  const { opening, listBytes } = largestSshOpening();
  await using harness = sessionHarness({ afterMs: 60_000 });
  using pair = await tightPair();
  pair.widenPeer();
  let closed = false;
  // Port 40022 is not in the greeting map: the SSH version line alone makes the session greet.
  const connection = acceptedConnection(pair.sensorFd, 40_022, () => pair.sensor.close());
  const session = new TcpSession(connection, harness.context, () => closed = true);
  session.start();
  for (let at = 0; at < opening.length;) at += await pair.peer.write(opening.subarray(at));
  await until(() => harness.stats.bytesReceived >= opening.length, 5000, "the opening to be read");
  pair.peer.close();
  await until(() => closed, 5000, "the session to end");
  const lines = await harness.lines();
  const kexinit = lines.filter((line) => line.includes('"hassh"'));
  assertEquals(kexinit.length, 1, "one record carries the fingerprint");
  const record = JSON.parse(kexinit[0] ?? "{}");
  assertEquals(record["greeting"], "ssh");
  assertEquals(String(record["hassh_algorithms"]).length, listBytes + 3);
  const bytes = new TextEncoder().encode(kexinit[0]).length + 1;
  const bound = largestRecordLineBytes({
    ...DEFAULTS,
    readSize: harness.context.readSize,
    tlsEnabled: false,
  });
  assert(bytes <= bound, `${bytes} > ${bound}`);
  assert(bytes > bound * 0.8, `${bytes} is far below ${bound}`);
});

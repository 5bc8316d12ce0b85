import { assert, assertEquals } from "../../testing/std.ts";
import { HelloCollector, mayBeClientHello } from "../../src/session/hello_collector.ts";
import { buildClientHello, sniBody } from "../tls/_fixtures.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

Deno.test("mayBeClientHello() tells a TLS start from plain text", () => {
  assert(
    mayBeClientHello(
      buildClientHello({ extensions: [[0, sniBody("example.com")]] }).subarray(0, 3),
    ),
  );
  assert(!mayBeClientHello(bytes("GET / HTTP/1.1\r\n")));
});

Deno.test("HelloCollector waits for a split hello, then gives every read and the parsed hello", () => {
  const hello = buildClientHello({ extensions: [[0, sniBody("example.com")]] });
  const collector = new HelloCollector();
  assertEquals(collector.push(hello.subarray(0, 10), 1).kind, "wait");
  const verdict = collector.push(hello.subarray(10), 2);
  assert(verdict.kind === "tls");
  assertEquals(verdict.reads.map((read) => [read.bytes.length, read.timeMs]), [
    [10, 1],
    [hello.length - 10, 2],
  ]);
  assertEquals(verdict.all, hello);
  assertEquals(verdict.hello.serverName, "example.com");
});

Deno.test("HelloCollector gives the reads back as plain when they are not a hello", () => {
  const collector = new HelloCollector();
  const start = new Uint8Array([0x16, 0x03, 0x01]);
  assertEquals(collector.push(start, 1).kind, "wait");
  const verdict = collector.push(bytes("\xff\xffnot a hello at all, just bytes"), 2);
  assertEquals(verdict.kind, "plain");
  assertEquals(collector.reads.length, 2);
});

Deno.test("HelloCollector copies each read, so the caller's buffer can be reused", () => {
  const buffer = buildClientHello({ extensions: [[0, sniBody("a.example")]] });
  const collector = new HelloCollector();
  collector.push(buffer.subarray(0, 5), 1);
  const kept = collector.reads[0]?.bytes.slice();
  buffer.fill(0, 0, 5);
  assertEquals(collector.reads[0]?.bytes, kept);
});

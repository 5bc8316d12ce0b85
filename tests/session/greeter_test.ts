import { assert, assertEquals, assertGreater } from "../../testing/std.ts";
import { EPOLLIN, EPOLLOUT, EPOLLRDHUP } from "../../ffi/epoll.ts";
import { receiveQueued, setLingerZero } from "../../ffi/socket.ts";
import type { Dialog, DialogStep } from "../../src/greet/dialog.ts";
import { Greeter, MAX_PENDING_BYTES } from "../../src/session/greeter.ts";
import { TcpSession } from "../../src/session/tcp_session.ts";
import { fdOf, until } from "../_socket_fd.ts";
import {
  acceptedConnection,
  readToEnd,
  sessionHarness,
  type TightPair,
  tightPair,
} from "./_session_harness.ts";

/** The longest anything that must happen may take. */
const READY_MS = 2000;
const READING = EPOLLIN | EPOLLRDHUP;

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** A 200-character banner (the longest allowed), one word, so EHLO echoes it whole. */
const BANNER = "mx." + "a".repeat(189) + ".example";

/** What Postfix-like SMTP answers to EHLO with that banner, written out independently. */
const EHLO_REPLY = `250-${BANNER}\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n` +
  "250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";

/** Sends text from the peer and waits until the session has read all of it. */
async function say(pair: TightPair, session: () => number, text: string): Promise<void> {
  const before = session();
  await pair.peer.write(encoder.encode(text));
  await until(() => session() >= before + text.length, READY_MS, `the session to read ${text}`);
}

Deno.test("Greeter: a peer that does not read gets every reply, in order, once, when it reads; the session records all it sent", async () => {
  assertEquals(BANNER.length, 200);
  await using harness = sessionHarness({ afterMs: 1000, banners: { smtp: BANNER } });
  using pair = await tightPair();
  const closes: string[] = [];
  const connection = acceptedConnection(pair.sensorFd, 25, () => pair.sensor.close());
  const session = new TcpSession(connection, harness.context, () => closes.push("closed"));
  session.start();
  session.greetIfSilent(connection.acceptedAtMs + 1000);
  assertEquals(harness.stats.greetingsSent, 1);
  const received = () => harness.stats.bytesReceived;

  // The peer does not read, and pipelines fifteen EHLOs (one read, one 4.7 KB reply): more than
  // the kernel takes with both buffers at their smallest (about 2.5-3.7 KB).
  const lines = Array.from({ length: 15 }, (_, i) => `EHLO client-${i}.example\r\n`);
  await say(pair, received, lines.join(""));
  assertEquals(harness.poller.changes.at(-1), READING | EPOLLOUT, "waiting for room");
  assertEquals(
    harness.poller.changes.filter((events) => events === (READING | EPOLLOUT)).length,
    1,
  );
  // QUIT ends the dialog: its reply joins the queue, then Spip shuts its side.
  await say(pair, received, "QUIT\r\n");
  assertEquals(harness.poller.changes.at(-1), READING | EPOLLOUT, "still waiting");

  pair.widenPeer();
  const bytes = await readToEnd(pair.peer, READY_MS);
  const expected = `220 ${BANNER}\r\n` + EHLO_REPLY.repeat(lines.length) + "221 2.0.0 Bye\r\n";
  assertEquals(bytes.length, expected.length);
  assertEquals(latin1.decode(bytes), expected);
  assertEquals(harness.poller.changes.at(-1), READING, "no longer waiting for room");

  // Spip's side is shut, not the session: what the client still sends is recorded.
  await say(pair, received, "late words\r\n");
  pair.peer.close();
  await until(() => closes.length === 1, READY_MS, "the session to end");
  const records = await harness.records();
  assertEquals(
    records.map((r) => r["payload"]).join(""),
    lines.join("") + "QUIT\r\nlate words\r\n",
  );
  for (const record of records) {
    assertEquals(record["greeting"], "smtp");
    assertEquals(record["silent"], false);
  }
  assertEquals(harness.stats.greetingWriteFailures, 0);
  assertEquals(harness.stats.connectionsOpen, 0);
});

Deno.test("Greeter: replies still waiting when the session closes (idle timeout, reset) are counted as a failed write", async () => {
  for (const reason of ["idle", "reset"] as const) {
    await using harness = sessionHarness({ afterMs: 1000, banners: { smtp: BANNER } });
    using pair = await tightPair();
    const connection = acceptedConnection(pair.sensorFd, 25, () => pair.sensor.close());
    const session = new TcpSession(connection, harness.context, () => {});
    session.start();
    session.greetIfSilent(connection.acceptedAtMs + 1000);
    const lines = Array.from({ length: 15 }, (_, i) => `EHLO client-${i}.example\r\n`);
    await say(pair, () => harness.stats.bytesReceived, lines.join(""));
    assertEquals(harness.poller.changes.at(-1), READING | EPOLLOUT, "waiting for room");
    if (reason === "idle") {
      // The client would not read: the sweeper closes the session at its idle timeout.
      session.close("idle");
    } else {
      setLingerZero(fdOf(pair.peer));
      pair.peer.close();
      await until(() => session.closed, READY_MS, "the session to see the reset");
    }
    assertEquals(harness.stats.greetingWriteFailures, 1, reason);
    assertEquals(harness.stats.greetingsSent, 1);
    assertEquals((await harness.records()).map((r) => r["payload"]).join(""), lines.join(""));
  }
});

/** Bytes that show any loss, reordering or duplication: no 64-byte run repeats. */
function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = 0x2545f491;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Bytes per reply of {@linkcode LargeDialog}: more than any built-in dialog sends. */
const LARGE_REPLY_BYTES = 3000;

/** A dialog whose greeting and replies are consecutive 3,000-byte slices of one pattern. */
class LargeDialog implements Dialog {
  readonly protocol = "ftp";
  readonly stream = pattern(LARGE_REPLY_BYTES * 32);
  produced = 0;

  #next(): Uint8Array {
    const slice = this.stream.subarray(this.produced, this.produced + LARGE_REPLY_BYTES);
    this.produced += slice.length;
    return slice;
  }

  greeting(): Uint8Array {
    return this.#next();
  }

  receive(_bytes: Uint8Array): DialogStep {
    return { reply: this.#next(), end: false, fields: null };
  }
}

Deno.test("Greeter: more than 8 KiB waiting fails the write (counted) and stops writing, never reading", async () => {
  await using harness = sessionHarness(undefined);
  using pair = await tightPair();
  const { poller, stats } = harness;
  const fd = pair.sensorFd;
  const dialog = new LargeDialog();
  const reads: string[] = [];
  const buffer = new Uint8Array(4096);
  let greeter: Greeter | undefined;
  const token = poller.watch(fd, {
    // As a session: room to send goes to the greeter, each read to its dialog.
    onReady(events: number): void {
      if ((events & EPOLLOUT) !== 0) greeter?.onWritable();
      if ((events & ~EPOLLOUT) === 0) return;
      const n = receiveQueued(fd, buffer);
      if (n <= 0) return;
      const bytes = buffer.slice(0, n);
      reads.push(latin1.decode(bytes));
      assertEquals(greeter?.receive(bytes), { greeting: "ftp" });
    },
  });
  try {
    greeter = new Greeter(dialog, {
      fd,
      stats,
      setInterest: (events) => poller.change(fd, token, events),
    });
    // The peer does not read; each line draws 3,000 more bytes until the queue passes 8 KiB.
    let sent = 0;
    while (stats.greetingWriteFailures === 0 && sent < 10) {
      await pair.peer.write(encoder.encode(`line ${sent++}\n`));
      await until(() => reads.length === sent, READY_MS, `line ${sent - 1} to be read`);
    }
    assertEquals(stats.greetingWriteFailures, 1);
    assert(poller.changes.includes(READING | EPOLLOUT), "it waited for room first");
    assertEquals(poller.changes.at(-1), READING, "no longer waiting for room");
    // The replies drawn before the failure held more than fits the kernel and the queue.
    assertGreater(dialog.produced, MAX_PENDING_BYTES);

    // Reading goes on; no reply is sent any more.
    for (const line of ["after 1\n", "after 2\n"]) {
      await pair.peer.write(encoder.encode(line));
      await until(() => reads.at(-1) === line, READY_MS, `${line} to be read`);
    }
    assertEquals(stats.greetingWriteFailures, 1);
    assertEquals(reads.length, sent + 2);
  } finally {
    poller.forget(token);
  }

  // What reached the peer is the start of what the dialog produced, in order and once: the
  // failed reply and all after it were dropped whole, nothing in between.
  pair.sensor.close();
  pair.widenPeer();
  const bytes = await readToEnd(pair.peer, READY_MS);
  assertGreater(bytes.length, 0);
  assert(
    bytes.length <= dialog.produced - 3 * LARGE_REPLY_BYTES,
    `${bytes.length} of ${dialog.produced}`,
  );
  assertEquals(bytes, dialog.stream.subarray(0, bytes.length));
  assertEquals(stats.greetingsSent, 1);
});

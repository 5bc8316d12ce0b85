import { assertEquals } from "../../testing/std.ts";
import { type SessionLimits, SessionTable } from "../../src/session/session_table.ts";
import type { EndReason, TcpSession } from "../../src/session/tcp_session.ts";

/** The part of a TcpSession the table uses; closing removes it, as the sensor's onClose does. */
class FakeSession {
  readonly connection: { acceptedAtMs: number };
  lastActivityMs: number;
  readonly reasons: EndReason[] = [];
  readonly #table: SessionTable;

  constructor(table: SessionTable, acceptedAtMs: number, lastActivityMs = acceptedAtMs) {
    this.#table = table;
    this.connection = { acceptedAtMs };
    this.lastActivityMs = lastActivityMs;
  }

  get session(): TcpSession {
    return this as unknown as TcpSession;
  }

  close(reason: EndReason): void {
    if (this.reasons.length === 0) this.#table.delete(this.session);
    this.reasons.push(reason);
  }
}

const LIMITS: SessionLimits = { idleTimeoutMs: 10_000, maxLifetimeMs: 300_000, maxConnections: 3 };

function withTable(limits: SessionLimits, body: (table: SessionTable) => void): void {
  const table = new SessionTable(limits);
  try {
    body(table);
  } finally {
    table.closeAll();
  }
}

Deno.test("SessionTable evicts the oldest session when full", () => {
  withTable(LIMITS, (table) => {
    const now = Date.now();
    const sessions = [0, 1, 2, 3, 4].map((i) => new FakeSession(table, now + i));
    const [s0, s1, s2, s3, s4] = sessions;
    for (const s of [s0, s1, s2]) if (s) table.add(s.session);
    assertEquals(table.size, 3);
    assertEquals(sessions.map((s) => s.reasons.length), [0, 0, 0, 0, 0]);
    if (s3) table.add(s3.session);
    assertEquals(table.size, 3);
    assertEquals(s0?.reasons, ["evicted"]);
    if (s4) table.add(s4.session);
    assertEquals(s1?.reasons, ["evicted"]);
    assertEquals([s2, s3, s4].map((s) => s?.reasons), [[], [], []]);
  });
});

Deno.test("SessionTable evicts by acceptance order, not by activity", () => {
  withTable({ ...LIMITS, maxConnections: 2 }, (table) => {
    const now = Date.now();
    const first = new FakeSession(table, now), second = new FakeSession(table, now);
    table.add(first.session);
    table.add(second.session);
    first.lastActivityMs = now + 1000;
    const third = new FakeSession(table, now);
    table.add(third.session);
    assertEquals([first.reasons, second.reasons, third.reasons], [["evicted"], [], []]);
  });
});

Deno.test("SessionTable evicts even when a session's close does not remove it", () => {
  withTable({ ...LIMITS, maxConnections: 1 }, (table) => {
    const reasons: EndReason[] = [];
    const stubborn = {
      connection: { acceptedAtMs: Date.now() },
      lastActivityMs: Date.now(),
      close: (reason: EndReason) => reasons.push(reason),
    } as unknown as TcpSession;
    table.add(stubborn);
    const next = new FakeSession(table, Date.now());
    table.add(next.session);
    assertEquals(reasons, ["evicted"]);
    assertEquals(table.size, 1);
  });
});

Deno.test("SessionTable.sweep() closes idle sessions and those past their lifetime", () => {
  withTable({ ...LIMITS, maxConnections: 10 }, (table) => {
    const t = 1_700_000_000_000;
    const { idleTimeoutMs, maxLifetimeMs } = LIMITS;
    const fresh = new FakeSession(table, t, t + 9_000); // idle at t + 19 000
    const idle = new FakeSession(table, t, t); // idle at t + 10 000
    const laterIdle = new FakeSession(table, t, t + 500); // idle at t + 10 500
    const old = new FakeSession(table, t + 9_500 - maxLifetimeMs, t + 9_000); // at t + 9 500
    const oldAndIdle = new FakeSession(table, t - 400_000, t - 400_000);
    const all = [fresh, idle, laterIdle, old, oldAndIdle];
    for (const s of all) table.add(s.session);
    table.sweep(t + 9_499);
    assertEquals(all.map((s) => s.reasons), [[], [], [], [], ["lifetime"]]);
    table.sweep(t + 9_500);
    assertEquals(all.map((s) => s.reasons), [[], [], [], ["lifetime"], ["lifetime"]]);
    table.sweep(t + idleTimeoutMs - 1);
    assertEquals(idle.reasons, []);
    table.sweep(t + idleTimeoutMs);
    assertEquals(all.map((s) => s.reasons), [[], ["idle"], [], ["lifetime"], ["lifetime"]]);
    table.sweep(t + 10_500);
    assertEquals(laterIdle.reasons, ["idle"]);
    table.sweep(t + 18_999);
    assertEquals(fresh.reasons, []);
    table.sweep(t + 19_000);
    assertEquals(all.map((s) => s.reasons), [
      ["idle"],
      ["idle"],
      ["idle"],
      ["lifetime"],
      ["lifetime"],
    ]);
    assertEquals(table.size, 0);
  });
});

Deno.test("SessionTable.sweep() spares a session that keeps sending until its lifetime", () => {
  withTable({ idleTimeoutMs: 100, maxLifetimeMs: 1000, maxConnections: 10 }, (table) => {
    const t = 1_000_000;
    const busy = new FakeSession(table, t);
    table.add(busy.session);
    for (let now = t + 50; now < t + 1000; now += 50) {
      busy.lastActivityMs = now;
      table.sweep(now);
      assertEquals(busy.reasons, [], `at ${now - t} ms`);
    }
    table.sweep(t + 1000);
    assertEquals(busy.reasons, ["lifetime"]);
  });
});

Deno.test("SessionTable sweeps on its own timer", async () => {
  const table = new SessionTable({ idleTimeoutMs: 80, maxLifetimeMs: 60_000, maxConnections: 10 });
  try {
    const idle = new FakeSession(table, Date.now());
    const busy = new FakeSession(table, Date.now());
    table.add(idle.session);
    table.add(busy.session);
    const deadline = Date.now() + 2000;
    while (idle.reasons.length === 0 && Date.now() < deadline) {
      busy.lastActivityMs = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assertEquals(idle.reasons, ["idle"]);
    assertEquals(busy.reasons, []);
    assertEquals(table.size, 1);
  } finally {
    table.closeAll();
  }
});

Deno.test("SessionTable.closeAll() closes every session for shutdown", () => {
  const table = new SessionTable(LIMITS);
  const sessions = [0, 1, 2].map(() => new FakeSession(table, Date.now()));
  for (const s of sessions) table.add(s.session);
  table.closeAll();
  assertEquals(sessions.map((s) => s.reasons), [["shutdown"], ["shutdown"], ["shutdown"]]);
  assertEquals(table.size, 0);
});

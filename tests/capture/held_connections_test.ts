import { assertEquals, assertThrows } from "../../testing/std.ts";
import { HeldConnections } from "../../src/capture/held_connections.ts";
import type { Endpoint } from "../../src/record/record.ts";

interface Handed {
  fd: number;
  source: Endpoint;
  destination: Endpoint;
  acceptedAtMs: number;
}

function takeAll(held: HeldConnections): Handed[] {
  const handed: Handed[] = [];
  while (
    held.shift((fd, source, destination, acceptedAtMs) =>
      handed.push({ fd, source, destination, acceptedAtMs })
    )
  );
  return handed;
}

Deno.test("HeldConnections hands connections on oldest first, with what was held", () => {
  const held = new HeldConnections(4);
  assertEquals(held.capacity, 4);
  held.push(7, { ip: "198.51.100.7", port: 40000 }, { ip: "192.0.2.1", port: 22 }, 1000.5);
  held.push(8, { ip: "2001:db8::1", port: 65535 }, { ip: "2001:db8::2", port: 443 }, 1001);
  assertEquals(held.count, 2);
  assertEquals(takeAll(held), [
    {
      fd: 7,
      source: { ip: "198.51.100.7", port: 40000 },
      destination: { ip: "192.0.2.1", port: 22 },
      acceptedAtMs: 1000.5,
    },
    {
      fd: 8,
      source: { ip: "2001:db8::1", port: 65535 },
      destination: { ip: "2001:db8::2", port: 443 },
      acceptedAtMs: 1001,
    },
  ]);
  assertEquals(held.count, 0);
  assertEquals(held.shift(() => {}), false);
});

Deno.test("HeldConnections refuses past its capacity and keeps order across the ring's end", () => {
  const held = new HeldConnections(3);
  const at = (fd: number): [number, Endpoint, Endpoint, number] => [
    fd,
    { ip: `10.0.0.${fd}`, port: fd },
    { ip: "10.9.9.9", port: 1000 + fd },
    fd * 10,
  ];
  for (const fd of [1, 2, 3]) assertEquals(held.push(...at(fd)), true);
  assertEquals(held.push(...at(4)), false);
  assertEquals(held.count, 3);
  // Empty it, hold two, hand one on, then hold two more: the last wraps around the arrays' end.
  assertEquals(takeAll(held).length, 3);
  for (const fd of [5, 6]) held.push(...at(fd));
  held.shift(() => {});
  for (const fd of [7, 8]) assertEquals(held.push(...at(fd)), true);
  assertEquals(held.push(...at(9)), false);
  assertEquals(takeAll(held).map((c) => [c.fd, c.source.ip, c.destination.port, c.acceptedAtMs]), [
    [6, "10.0.0.6", 1006, 60],
    [7, "10.0.0.7", 1007, 70],
    [8, "10.0.0.8", 1008, 80],
  ]);
});

Deno.test("HeldConnections has shifted a connection before its handler runs", () => {
  const held = new HeldConnections(2);
  held.push(1, { ip: "10.0.0.1", port: 1 }, { ip: "10.0.0.2", port: 2 }, 0);
  held.push(2, { ip: "10.0.0.1", port: 3 }, { ip: "10.0.0.2", port: 4 }, 0);
  assertThrows(
    () =>
      held.shift(() => {
        throw new Error("handler failed");
      }),
    Error,
    "handler failed",
  );
  assertEquals(held.count, 1);
  assertEquals(takeAll(held).map((c) => c.fd), [2]);
});

Deno.test("HeldConnections needs a positive integer capacity", () => {
  for (const capacity of [0, -1, 1.5, NaN]) {
    assertThrows(() => new HeldConnections(capacity), RangeError, "Cannot hold connections");
  }
});

import { assert, assertEquals } from "../../testing/std.ts";
import { handshakePacket, loginUser, MysqlDialog } from "../../src/greet/mysql.ts";
import { VncDialog } from "../../src/greet/vnc.ts";
import { bytesOf, greeting, SITE } from "./_dialog.ts";

/** A HandshakeResponse41 as clients send it: capabilities with PROTOCOL_41, then the user. */
function login(user: string, seq = 1): Uint8Array {
  const body = [0x85, 0xa6, 0x3f, 0x00, 0, 0, 0, 1, 45, ...new Array(23).fill(0)];
  body.push(
    ...bytesOf(user),
    0,
    20,
    ...new Array(20).fill(9),
    ...bytesOf("mysql_native_password"),
    0,
  );
  return Uint8Array.from([body.length & 0xff, body.length >> 8, 0, seq, ...body]);
}

Deno.test("MySQL: a protocol-10 handshake with the MariaDB version and native password auth", () => {
  const packet = handshakePacket("5.5.5-10.11.6-MariaDB-0+deb12u1");
  const length = new DataView(packet.buffer).getUint32(0, true) & 0xffffff;
  assertEquals(packet.length, 4 + length);
  assertEquals(packet[3], 0);
  assertEquals(packet[4], 10);
  const text = new TextDecoder("latin1").decode(packet);
  assert(text.startsWith("5.5.5-10.11.6-MariaDB-0+deb12u1\0", 5));
  assert(text.endsWith("mysql_native_password\0"));
  // No NUL in the salt: both parts are readable as C strings.
  const salt1 = packet.subarray(5 + 32 + 4, 5 + 32 + 4 + 8);
  assert(!salt1.includes(0));
});

Deno.test("MySQL: the login packet's user is answered with Access denied; split reads wait", () => {
  assertEquals(loginUser(login("root").subarray(4)), "root");
  const mysql = new MysqlDialog(SITE);
  assertEquals(greeting(mysql).charCodeAt(4), 10);
  const bytes = login("db'admin");
  assertEquals(mysql.receive(bytes.subarray(0, 10)), { reply: null, end: false, fields: null });
  const step = mysql.receive(bytes.subarray(10));
  assert(step.end && step.reply !== null);
  const reply = new TextDecoder("latin1").decode(step.reply);
  assertEquals(step.reply[3], 2);
  assertEquals(step.reply[4], 0xff);
  assert(
    reply.endsWith("#28000Access denied for user 'dbadmin'@'192.0.2.9' (using password: YES)"),
  );
  // An SSL request or garbage ends the dialog without a reply.
  const ssl = new MysqlDialog(SITE);
  assertEquals(
    ssl.receive(Uint8Array.from([32, 0, 0, 1, 0, 0x0a, 0, 0, ...new Array(28).fill(0)])).reply,
    null,
  );
  const huge = new MysqlDialog(SITE);
  assertEquals(huge.receive(Uint8Array.from([0xff, 0xff, 0xff, 1])), {
    reply: null,
    end: true,
    fields: null,
  });
});

Deno.test("VNC: RFB 3.8 offers VNC auth, sends a challenge, then fails; 3.3 too; splits wait", () => {
  const vnc = new VncDialog();
  assertEquals(greeting(vnc), "RFB 003.008\n");
  assertEquals(vnc.receive(bytesOf("RFB 003")).reply, null);
  assertEquals([...(vnc.receive(bytesOf(".008\n")).reply ?? [])], [1, 2]);
  assertEquals(vnc.receive(Uint8Array.of(2)).reply?.length, 16);
  const last = vnc.receive(new Uint8Array(16));
  assert(last.end);
  assertEquals(new TextDecoder().decode(last.reply?.subarray(8)), "Authentication failed");
  const old = new VncDialog();
  assertEquals(old.receive(bytesOf("RFB 003.003\n")).reply?.length, 20);
  assertEquals([...(old.receive(new Uint8Array(16)).reply ?? [])], [0, 0, 0, 1]);
  assertEquals(new VncDialog().receive(bytesOf("GET / HTTP/1.1\r\n")).end, true);
});

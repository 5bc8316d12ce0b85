/**
 * MySQL (MariaDB's words): a protocol-10 handshake, then the client's login packet is answered
 * with "Access denied", and the dialog ends.
 *
 * @module
 */
import { ascii, type Dialog, type DialogSite, type DialogStep, echoable } from "./dialog.ts";

/** The built-in server version: Debian 12's MariaDB, which `nmap -sV` names. */
export const MYSQL_VERSION = "5.5.5-10.11.6-MariaDB-0+deb12u1";

/** Bytes of the client's first packet kept at most; a longer packet ends the dialog. */
export const MAX_MYSQL_PACKET_BYTES = 4096;

/**
 * The server's capabilities: protocol 4.1, secure connection, plugin auth, connect attributes
 * and the usual flags; no SSL (so the login comes in the clear) and no compression.
 */
const CAPABILITIES = 0x003f_f7de;
const CLIENT_PROTOCOL_41 = 1 << 9;
const CLIENT_SSL = 1 << 11;
/** utf8mb4_general_ci. */
const CHARSET = 45;
const SERVER_STATUS_AUTOCOMMIT = 2;
const AUTH_PLUGIN = "mysql_native_password";
const HEADER_BYTES = 4;
/** The login packet's fixed part: capabilities, max packet, charset, 23 filler bytes. */
const LOGIN_FIXED_BYTES = 32;
const ER_ACCESS_DENIED_ERROR = 1045;

function packet(seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  out[0] = payload.length & 0xff;
  out[1] = (payload.length >> 8) & 0xff;
  out[2] = (payload.length >> 16) & 0xff;
  out[3] = seq;
  out.set(payload, HEADER_BYTES);
  return out;
}

/**
 * The handshake (protocol version 10).
 *
 * @param version The server version text.
 * @returns The packet, sequence 0.
 */
export function handshakePacket(version: string): Uint8Array {
  const salt = new Uint8Array(20);
  crypto.getRandomValues(salt);
  // The salt must not hold a NUL: clients read part 2 up to one.
  for (let i = 0; i < salt.length; i++) salt[i] = 0x21 + ((salt[i] ?? 0) % 94);
  const threadId = 1 + Math.floor(Math.random() * 60000);
  const name = ascii(version);
  const plugin = ascii(AUTH_PLUGIN);
  const body = new Uint8Array(
    1 + name.length + 1 + 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10 + 13 + plugin.length + 1,
  );
  const view = new DataView(body.buffer);
  let at = 0;
  body[at++] = 10;
  body.set(name, at);
  at += name.length + 1;
  view.setUint32(at, threadId, true);
  at += 4;
  body.set(salt.subarray(0, 8), at);
  at += 8 + 1;
  view.setUint16(at, CAPABILITIES & 0xffff, true);
  at += 2;
  body[at++] = CHARSET;
  view.setUint16(at, SERVER_STATUS_AUTOCOMMIT, true);
  at += 2;
  view.setUint16(at, CAPABILITIES >>> 16, true);
  at += 2;
  body[at++] = 21;
  at += 10;
  body.set(salt.subarray(8), at);
  at += 13;
  body.set(plugin, at);
  return packet(0, body);
}

/**
 * The user name in a client's login packet (HandshakeResponse41), if it is one.
 *
 * @param payload The packet's payload.
 * @returns The user name (latin1), or null when the packet is not a protocol-4.1 login (such as
 * an SSL request).
 */
export function loginUser(payload: Uint8Array): string | null {
  if (payload.length < LOGIN_FIXED_BYTES + 1) return null;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const capabilities = view.getUint32(0, true);
  if ((capabilities & CLIENT_PROTOCOL_41) === 0 || (capabilities & CLIENT_SSL) !== 0) return null;
  const end = payload.indexOf(0, LOGIN_FIXED_BYTES);
  if (end < 0) return null;
  return new TextDecoder("latin1").decode(payload.subarray(LOGIN_FIXED_BYTES, end));
}

/** An error packet. */
function errorPacket(seq: number, message: string): Uint8Array {
  const text = ascii(message);
  const body = new Uint8Array(1 + 2 + 1 + 5 + text.length);
  body[0] = 0xff;
  new DataView(body.buffer).setUint16(1, ER_ACCESS_DENIED_ERROR, true);
  body.set(ascii("#28000"), 3);
  body.set(text, 9);
  return packet(seq, body);
}

/** MySQL before login. */
export class MysqlDialog implements Dialog {
  readonly protocol = "mysql";
  readonly #site: DialogSite;
  #buffer = new Uint8Array(0);
  #ended = false;

  /** @param site Where it runs. */
  constructor(site: DialogSite) {
    this.#site = site;
  }

  greeting(): Uint8Array {
    return handshakePacket(this.#site.banner ?? MYSQL_VERSION);
  }

  receive(bytes: Uint8Array): DialogStep {
    if (this.#ended) return { reply: null, end: true, fields: null };
    const room = MAX_MYSQL_PACKET_BYTES - this.#buffer.length;
    const joined = new Uint8Array(this.#buffer.length + Math.min(room, bytes.length));
    joined.set(this.#buffer);
    joined.set(bytes.subarray(0, room), this.#buffer.length);
    this.#buffer = joined;
    if (joined.length < HEADER_BYTES) return { reply: null, end: false, fields: null };
    const length = (joined[0] ?? 0) | ((joined[1] ?? 0) << 8) | ((joined[2] ?? 0) << 16);
    const seq = joined[3] ?? 0;
    if (HEADER_BYTES + length > MAX_MYSQL_PACKET_BYTES) return this.#end(null);
    if (joined.length < HEADER_BYTES + length) return { reply: null, end: false, fields: null };
    const user = loginUser(joined.subarray(HEADER_BYTES, HEADER_BYTES + length));
    if (user === null) return this.#end(null);
    const message = `Access denied for user '${echoable(user)}'@'${this.#site.sourceIp}' ` +
      "(using password: YES)";
    return this.#end(errorPacket((seq + 1) & 0xff, message));
  }

  #end(reply: Uint8Array | null): DialogStep {
    this.#ended = true;
    this.#buffer = new Uint8Array(0);
    return { reply, end: true, fields: null };
  }
}

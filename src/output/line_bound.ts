/**
 * The longest record line the configuration allows, so that a shipper's line limit can be set
 * above it (Vector's `max_line_bytes`, rsyslog's `maxMessageSize`, Fluent Bit's `Buffer_Max_Size`).
 *
 * A record line is at most `8 x read_size + 6 x 65536 + 4096` bytes for TCP with TLS on (with TLS
 * off and greetings on, `8 x read_size + 6 x 35000 + 4096`), and `8 x udp.max_datagram + 4096`
 * for UDP, plus the newline:
 * - each payload byte takes at most 8 bytes: 6 in `payload` (a control byte is written `\u0001`)
 *   and 2 in `payload_hex`; a record carries one read, at most `read_size` bytes;
 * - the record that completes a ClientHello (at most 64 KiB) also carries the hello's fields;
 *   each hello byte takes at most 6 bytes there (a control byte in `tls_sni` or `tls_alpn` is
 *   `\u0001`; a 2-byte cipher in `ja3` is at most `65535-`);
 * - the record of an SSH client's KEXINIT (greetings on; at most 35,000 bytes) carries
 *   `hassh_algorithms`, at most 6 bytes per packet byte (latin-1, a control byte is `\u0001`);
 *   a record has either a ClientHello's fields or a KEXINIT's, never both;
 * - everything else (keys, addresses, ports, ids, a 255-character `sensor_name` escaped, `ja4`,
 *   `ja3_hash`, `tls_versions`) fits in 4096 bytes.
 *
 * @module
 */
import { MAX_CLIENT_HELLO_BYTES } from "../tls/client_hello.ts";
import { MAX_PACKET_BYTES as MAX_KEXINIT_BYTES } from "../greet/hassh.ts";

/** Line bytes one payload byte takes at most: `\u0001` in `payload`, two hex digits. */
export const LINE_BYTES_PER_PAYLOAD_BYTE = 8;
/** Line bytes one ClientHello or KEXINIT byte takes at most in the fields derived from it. */
export const LINE_BYTES_PER_HELLO_BYTE = 6;
/** Line bytes of everything but the payload and the hello's variable fields, at most. */
export const LINE_FIXED_BYTES = 4096;

/** What bounds a record line. */
export interface LineBoundSettings {
  /** The most bytes one TCP record carries (`read_size`). */
  readonly readSize: number;
  /** Whether ClientHello records (with their fields) can be written (`tls.enabled`). */
  readonly tlsEnabled: boolean;
  /** Whether SSH KEXINIT records (with `hassh_algorithms`) can be written (`greet.enabled`). */
  readonly greetEnabled: boolean;
  /** Whether UDP records can be written (`udp.enabled`). */
  readonly udpEnabled: boolean;
  /** The most bytes one UDP record carries (`udp.max_datagram`). */
  readonly udpMaxDatagram: number;
}

/**
 * The longest record line, newline included, that a sensor with these settings writes.
 *
 * @param settings The bounds from the configuration.
 * @returns The bound in bytes.
 */
export function largestRecordLineBytes(settings: LineBoundSettings): number {
  const hello = settings.tlsEnabled ? LINE_BYTES_PER_HELLO_BYTE * MAX_CLIENT_HELLO_BYTES : 0;
  const kexinit = settings.greetEnabled ? LINE_BYTES_PER_HELLO_BYTE * MAX_KEXINIT_BYTES : 0;
  const tcp = LINE_BYTES_PER_PAYLOAD_BYTE * settings.readSize + Math.max(hello, kexinit);
  const udp = settings.udpEnabled ? LINE_BYTES_PER_PAYLOAD_BYTE * settings.udpMaxDatagram : 0;
  return Math.max(tcp, udp) + LINE_FIXED_BYTES + 1;
}

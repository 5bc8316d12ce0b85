/**
 * Parsing of the ancillary data (`struct cmsghdr` records) that `recvmsg` and `recvmmsg` return
 * beside a datagram: its original destination and the socket's kernel drop counter.
 *
 * Linux x86_64 and aarch64 layout: `cmsg_len` is a `size_t` (8 bytes), then `int cmsg_level` and
 * `int cmsg_type`; the data starts at byte 16 and every record is padded to 8 bytes.
 *
 * @module
 */
import {
  IP_ORIGDSTADDR,
  IPV6_ORIGDSTADDR,
  SO_RXQ_OVFL,
  SOL_IP,
  SOL_IPV6,
  SOL_SOCKET,
} from "./constants.ts";
import { decodeSockaddr, type SocketAddress } from "./sockaddr.ts";

/** `sizeof(struct cmsghdr)` on 64-bit Linux, and the alignment of every record. */
const HEADER = 16;
const ALIGN = 8;

/** What the ancillary data of one datagram says. */
export interface ControlInfo {
  /** The datagram's original destination, or `null` when no such record came. */
  destination: SocketAddress | null;
  /** The socket's kernel drop counter, or `null` when no such record came. */
  dropped: number | null;
}

/**
 * Reads the ancillary records of one datagram.
 *
 * @param control The control buffer the kernel filled.
 * @param length The `msg_controllen` the kernel returned: how many of its bytes are records.
 * @returns The original destination and drop counter found among the records.
 */
export function parseControl(control: Uint8Array, length: number): ControlInfo {
  const view = new DataView(control.buffer, control.byteOffset, control.byteLength);
  const end = Math.min(length, control.length);
  const info: ControlInfo = { destination: null, dropped: null };
  for (let offset = 0; offset + HEADER <= end;) {
    const recordLength = Number(view.getBigUint64(offset, true));
    if (recordLength < HEADER || offset + recordLength > end) break;
    const level = view.getInt32(offset + 8, true);
    const type = view.getInt32(offset + 12, true);
    const data = control.subarray(offset + HEADER, offset + recordLength);
    if (
      (level === SOL_IP && type === IP_ORIGDSTADDR) ||
      (level === SOL_IPV6 && type === IPV6_ORIGDSTADDR)
    ) {
      info.destination = decodeSockaddr(data);
    } else if (level === SOL_SOCKET && type === SO_RXQ_OVFL && data.length >= 4) {
      info.dropped = view.getUint32(offset + HEADER, true);
    }
    offset += Math.ceil(recordLength / ALIGN) * ALIGN;
  }
  return info;
}

/**
 * A transparent UDP socket made through FFI, and batched receive with `recvmmsg` on Deno's
 * nonblocking-FFI threads.
 *
 * `Deno.listenDatagram` is unstable and neither it nor `node:dgram` can set `IP_TRANSPARENT` or
 * read ancillary data, so the socket is made here. The socket is only ever read from: Spip never
 * sends a datagram, since answering spoofable UDP would make the sensor a reflection amplifier.
 *
 * @module
 */
import { libc } from "./libc.ts";
import { check, Errno, ErrnoError } from "./errno_error.ts";
import {
  AF_INET,
  AF_INET6,
  IP_RECVORIGDSTADDR,
  IPV6_RECVORIGDSTADDR,
  IPV6_V6ONLY,
  MSG_TRUNC,
  MSG_WAITFORONE,
  SHUT_RD,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_RCVTIMEO,
  SO_REUSEADDR,
  SO_RXQ_OVFL,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOL_IP,
  SOL_IPV6,
  SOL_SOCKET,
} from "./constants.ts";
import { decodeSockaddr, encodeSockaddr, type SocketAddress } from "./sockaddr.ts";
import { parseControl } from "./cmsg.ts";
import { enableTransparent } from "./transparent.ts";
import { setIntOption } from "./socket.ts";

/** How to open a UDP socket. */
export interface UdpSocketOptions {
  /** The address to bind; `"::"` is dual stack where the kernel has IPv6. */
  ip: string;
  /** The port to bind; 0 lets the kernel choose. */
  port: number;
  /** Mark the socket transparent for TPROXY (needs CAP_NET_ADMIN). */
  transparent: boolean;
  /** The longest a receive waits before it returns empty, in ms (`SO_RCVTIMEO`). */
  waitMs: number;
  /** The kernel receive buffer to ask for, in bytes (`SO_RCVBUFFORCE`, else `SO_RCVBUF`). */
  receiveBuffer: number;
}

/** An open UDP socket. */
export interface UdpSocket {
  /** Its file descriptor. */
  readonly fd: number;
  /** Whether it is an IPv6 (possibly dual-stack) socket. */
  readonly ipv6: boolean;
}

function makeSocket(ipv6: boolean): number {
  return check(
    libc().socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0),
    "socket(SOCK_DGRAM)",
  );
}

/**
 * Opens and binds a UDP socket that reports each datagram's original destination
 * (`IP_RECVORIGDSTADDR`, `IPV6_RECVORIGDSTADDR`) and the kernel's drop counter (`SO_RXQ_OVFL`).
 * Bound to `"::"`, it also receives IPv4 (`IPV6_V6ONLY` off); on a kernel without IPv6 it falls
 * back to `0.0.0.0`.
 *
 * @param options Where to bind and how.
 * @returns The socket.
 * @throws {ErrnoError} When a call fails; see {@linkcode enableTransparent} for the missing
 * capability.
 */
export function openUdpSocket(options: UdpSocketOptions): UdpSocket {
  let ip = options.ip;
  let ipv6 = ip.includes(":");
  let fd: number;
  try {
    fd = makeSocket(ipv6);
  } catch (error) {
    if (!(ip === "::" && error instanceof ErrnoError && error.errno === Errno.EAFNOSUPPORT)) {
      throw error;
    }
    [ip, ipv6] = ["0.0.0.0", false];
    fd = makeSocket(false);
  }
  try {
    if (ipv6) setIntOption(fd, SOL_IPV6, IPV6_V6ONLY, ip === "::" ? 0 : 1, "IPV6_V6ONLY");
    setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
    if (options.transparent) enableTransparent(fd);
    setIntOption(fd, SOL_IP, IP_RECVORIGDSTADDR, 1, "IP_RECVORIGDSTADDR");
    if (ipv6) setIntOption(fd, SOL_IPV6, IPV6_RECVORIGDSTADDR, 1, "IPV6_RECVORIGDSTADDR");
    setIntOption(fd, SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL");
    try {
      setIntOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, options.receiveBuffer, "SO_RCVBUFFORCE");
    } catch {
      setIntOption(fd, SOL_SOCKET, SO_RCVBUF, options.receiveBuffer, "SO_RCVBUF");
    }
    const timeval = new BigInt64Array([
      BigInt(Math.floor(options.waitMs / 1000)),
      BigInt((options.waitMs % 1000) * 1000),
    ]);
    check(libc().setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval, 16), "setsockopt(SO_RCVTIMEO)");
    const address = encodeSockaddr({ ip, port: options.port }, ipv6 ? AF_INET6 : AF_INET);
    if (address === null) {
      throw new TypeError(`Cannot bind UDP socket: "${ip}" port ${options.port} is not an address`);
    }
    check(libc().bind(fd, address, address.length), `bind UDP socket to [${ip}]:${options.port}`);
  } catch (error) {
    libc().close(fd);
    throw error;
  }
  return { fd, ipv6 };
}

/**
 * Wakes any receive waiting on the socket (`shutdown(SHUT_RD)`): it returns at once instead of at
 * the end of its `SO_RCVTIMEO` wait. Close the socket only after that receive has returned.
 *
 * @param socket The socket.
 */
export function wakeUdpSocket(socket: UdpSocket): void {
  libc().shutdown(socket.fd, SHUT_RD);
}

/**
 * Closes the socket. Call it only when no receive is in flight on it.
 *
 * @param socket The socket.
 */
export function closeUdpSocket(socket: UdpSocket): void {
  libc().close(socket.fd);
}

/** One received datagram. Its `payload` is a view into the batch, valid until the next receive. */
export interface Datagram {
  /** The sender. */
  source: SocketAddress;
  /** The destination the sender addressed, or `null` when the kernel gave none. */
  destination: SocketAddress | null;
  /** The datagram's bytes, at most the batch's slot size. */
  payload: Uint8Array;
  /** The datagram's real length, which exceeds `payload.length` when it was cut. */
  length: number;
}

/** `sizeof(struct mmsghdr)`: a 56-byte `struct msghdr`, `unsigned int msg_len`, padding. */
const MMSGHDR = 64;
const IOVEC = 16;
const NAME = 32;
const CONTROL = 128;

/**
 * Receive buffers for up to `slots` datagrams of up to `slotSize` bytes each, laid out once in
 * one `ArrayBuffer` as the `struct mmsghdr` array `recvmmsg` fills. One receive may be in flight
 * per batch; its buffers must not be touched until it resolves.
 */
export class DatagramBatch {
  readonly #slots: number;
  readonly #slotSize: number;
  readonly #memory: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;
  readonly #headers: Uint8Array<ArrayBuffer>;
  readonly #names: number;
  readonly #controls: number;
  readonly #data: number;
  #received = 0;
  #dropped = 0;

  /**
   * @param slots The most datagrams one receive takes.
   * @param slotSize The most bytes kept of each datagram.
   */
  constructor(slots: number, slotSize: number) {
    this.#slots = slots;
    this.#slotSize = slotSize;
    const iovecs = slots * MMSGHDR;
    this.#names = iovecs + slots * IOVEC;
    this.#controls = this.#names + slots * NAME;
    this.#data = this.#controls + slots * CONTROL;
    this.#memory = new Uint8Array(this.#data + slots * slotSize);
    this.#view = new DataView(this.#memory.buffer);
    this.#headers = this.#memory.subarray(0, iovecs);
    const base = BigInt(libc().memmove(this.#memory, this.#memory, 0n));
    for (let i = 0; i < slots; i++) {
      const header = i * MMSGHDR, iovec = iovecs + i * IOVEC;
      this.#view.setBigUint64(header, base + BigInt(this.#names + i * NAME), true); // msg_name
      this.#view.setBigUint64(header + 16, base + BigInt(iovec), true); // msg_iov
      this.#view.setBigUint64(header + 24, 1n, true); // msg_iovlen
      this.#view.setBigUint64(header + 32, base + BigInt(this.#controls + i * CONTROL), true);
      this.#view.setBigUint64(iovec, base + BigInt(this.#data + i * slotSize), true); // iov_base
      this.#view.setBigUint64(iovec + 8, BigInt(slotSize), true); // iov_len
    }
  }

  /** The largest kernel drop counter seen on the socket (`SO_RXQ_OVFL`). */
  get kernelDropped(): number {
    return this.#dropped;
  }

  /**
   * Waits for at least one datagram, up to the socket's `SO_RCVTIMEO`, then takes all that are
   * queued, up to the batch's size. The wait runs on a Deno FFI thread; the event loop goes on.
   *
   * @param socket The socket to read.
   * @returns How many datagrams arrived: 0 when the wait ended empty (time-out, a wake, or an
   * error, whose errno is lost on the FFI thread).
   */
  async receive(socket: UdpSocket): Promise<number> {
    for (let i = 0; i < this.#slots; i++) {
      const header = i * MMSGHDR;
      this.#view.setUint32(header + 8, NAME, true); // msg_namelen
      this.#view.setBigUint64(header + 40, BigInt(CONTROL), true); // msg_controllen
      this.#view.setInt32(header + 48, 0, true); // msg_flags
      this.#view.setUint32(header + 56, 0, true); // msg_len
    }
    const count = await libc().recvmmsg(
      socket.fd,
      this.#headers,
      this.#slots,
      MSG_WAITFORONE | MSG_TRUNC,
      null,
    );
    this.#received = Math.max(0, count);
    return this.#received;
  }

  /**
   * Reads one datagram of the last receive.
   *
   * @param index Its index, below what {@linkcode DatagramBatch.receive} returned.
   * @returns The datagram, or `null` when its sender's address cannot be decoded.
   */
  datagram(index: number): Datagram | null {
    if (index < 0 || index >= this.#received) throw new RangeError("Cannot read datagram: index");
    const header = index * MMSGHDR;
    const nameStart = this.#names + index * NAME;
    const nameLength = this.#view.getUint32(header + 8, true);
    const source = decodeSockaddr(this.#memory.subarray(nameStart, nameStart + nameLength));
    const controlStart = this.#controls + index * CONTROL;
    const controlLength = Number(this.#view.getBigUint64(header + 40, true));
    const control = parseControl(
      this.#memory.subarray(controlStart, controlStart + CONTROL),
      controlLength,
    );
    if (control.dropped !== null && control.dropped > this.#dropped) {
      this.#dropped = control.dropped;
    }
    if (source === null) return null;
    const length = this.#view.getUint32(header + 56, true);
    const dataStart = this.#data + index * this.#slotSize;
    const payload = this.#memory.subarray(dataStart, dataStart + Math.min(length, this.#slotSize));
    return { source, destination: control.destination, payload, length };
  }
}

/**
 * Typed socket calls on raw file descriptors: the original destination of a redirected
 * connection, peer and local names, the listen backlog, non-blocking receive and send, and
 * shutting the writing side.
 *
 * Each function reuses module-level scratch buffers, so none allocates on the hot path. They are
 * safe because JavaScript runs them to completion one at a time.
 *
 * @module
 */
import { lastErrno, libc } from "./libc.ts";
import { check, Errno, ErrnoError } from "./errno_error.ts";
import {
  AF_INET,
  AF_INET6,
  IP6T_SO_ORIGINAL_DST,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  SHUT_WR,
  SK_MEMINFO_DROPS,
  SK_MEMINFO_VARS,
  SO_ACCEPTCONN,
  SO_LINGER,
  SO_MEMINFO,
  SO_OOBINLINE,
  SO_ORIGINAL_DST,
  SOL_IP,
  SOL_IPV6,
  SOL_SOCKET,
} from "./constants.ts";
import { decodeSockaddr, SOCKADDR_MAX, type SocketAddress } from "./sockaddr.ts";

const addressBytes = new Uint8Array(SOCKADDR_MAX);
const addressLength = new Uint32Array(1);
const intValue = new Int32Array(1);
const intLength = new Uint32Array(1);

function readName(call: "getpeername" | "getsockname", fd: number): SocketAddress | null {
  addressLength[0] = SOCKADDR_MAX;
  addressBytes.fill(0);
  if (libc()[call](fd, addressBytes, addressLength) !== 0) return null;
  return decodeSockaddr(addressBytes);
}

/**
 * The address of the peer connected to a socket (`getpeername`).
 *
 * @param fd The socket's file descriptor.
 * @returns The peer's address, or `null` when the fd is not a connected IP socket (for example
 * after the peer reset it).
 */
export function peerAddress(fd: number): SocketAddress | null {
  return readName("getpeername", fd);
}

/**
 * The local address a socket is bound to (`getsockname`).
 *
 * @param fd The socket's file descriptor.
 * @returns The local address, or `null` when the fd is not an IP socket.
 */
export function localAddress(fd: number): SocketAddress | null {
  return readName("getsockname", fd);
}

function readPort(call: "getpeername" | "getsockname", fd: number): number {
  addressLength[0] = SOCKADDR_MAX;
  if (libc()[call](fd, addressBytes, addressLength) !== 0) return -1;
  const family = (addressBytes[0] ?? 0) | ((addressBytes[1] ?? 0) << 8);
  if (family !== AF_INET && family !== AF_INET6) return -1;
  return ((addressBytes[2] ?? 0) << 8) | (addressBytes[3] ?? 0);
}

/**
 * The port of the peer connected to a socket (`getpeername`), without formatting its address:
 * for probing many fds.
 *
 * @param fd The socket's file descriptor.
 * @returns The peer's port, or -1 when the fd is not a connected IP socket.
 */
export function peerPort(fd: number): number {
  return readPort("getpeername", fd);
}

/**
 * The local port of a socket (`getsockname`), without formatting its address: for probing many
 * fds.
 *
 * @param fd The socket's file descriptor.
 * @returns The local port, or -1 when the fd is not an IP socket.
 */
export function localPort(fd: number): number {
  return readPort("getsockname", fd);
}

/**
 * The destination a client dialled before netfilter REDIRECTed it (`SO_ORIGINAL_DST`, or
 * `IP6T_SO_ORIGINAL_DST` for IPv6).
 *
 * On a dual-stack socket an IPv4 client appears as `::ffff:a.b.c.d`, yet its NAT entry is an
 * IPv4 one: pass `ipv6 = false` for it.
 *
 * @param fd The accepted connection's file descriptor.
 * @param ipv6 Whether the client itself spoke IPv6 (not IPv4-mapped).
 * @returns The original destination, or `null` when the connection has no NAT entry, that is it
 * was not redirected and its local address is its destination.
 * @throws {ErrnoError} When the call fails for another reason.
 */
export function originalDestination(fd: number, ipv6: boolean): SocketAddress | null {
  addressLength[0] = SOCKADDR_MAX;
  addressBytes.fill(0);
  const level = ipv6 ? SOL_IPV6 : SOL_IP;
  const name = ipv6 ? IP6T_SO_ORIGINAL_DST : SO_ORIGINAL_DST;
  if (libc().getsockopt(fd, level, name, addressBytes, addressLength) !== 0) {
    // Not check(): ENOENT is an answer here, not a failure, and a throw per connection would cost.
    const errno = lastErrno();
    if (errno === Errno.ENOENT) return null;
    throw new ErrnoError("getsockopt(SO_ORIGINAL_DST)", errno);
  }
  return decodeSockaddr(addressBytes);
}

/**
 * Whether an fd is a listening socket (`SO_ACCEPTCONN`).
 *
 * @param fd The file descriptor.
 * @returns True for a socket in the listening state.
 */
export function isListening(fd: number): boolean {
  intValue[0] = 0;
  intLength[0] = 4;
  return libc().getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, intValue, intLength) === 0 &&
    intValue[0] === 1;
}

const memInfo = new Uint32Array(SK_MEMINFO_VARS);
const memInfoLength = new Uint32Array(1);

/**
 * How many packets the kernel dropped at a socket (`SO_MEMINFO`, `SK_MEMINFO_DROPS`: its
 * `sk_drops`). On a listening TCP socket these are the connection attempts it dropped: a SYN, or
 * the handshake's last ACK, that came while its accept queue was full (the kernel's
 * `ListenOverflows` and `ListenDrops`, counted for this socket alone), or that it could not queue.
 *
 * @param fd The socket's file descriptor.
 * @returns The count since the socket was made, or -1 when the kernel does not report it.
 */
export function socketDrops(fd: number): number {
  memInfo.fill(0);
  memInfoLength[0] = memInfo.byteLength;
  if (libc().getsockopt(fd, SOL_SOCKET, SO_MEMINFO, memInfo, memInfoLength) !== 0) return -1;
  if ((memInfoLength[0] ?? 0) < (SK_MEMINFO_DROPS + 1) * 4) return -1;
  return memInfo[SK_MEMINFO_DROPS] ?? -1;
}

/**
 * Sets a listening socket's accept backlog by calling `listen` again, which Linux allows.
 *
 * @param fd The listening socket's file descriptor.
 * @param backlog The new backlog; the kernel caps it at `net.core.somaxconn`.
 * @throws {ErrnoError} When `listen` fails.
 */
export function setListenBacklog(fd: number, backlog: number): void {
  check(libc().listen(fd, backlog), "listen");
}

/**
 * Keeps TCP urgent (`MSG_OOB`) bytes in the normal stream (`SO_OOBINLINE`). Without it the kernel
 * takes each urgent byte out of the stream, and a plain `recv` never sees it. Set on a listening
 * socket, it holds for every connection accepted from it, which inherit the listener's flags.
 *
 * @param fd The socket's file descriptor.
 * @throws {ErrnoError} When `setsockopt` fails.
 */
export function keepUrgentInline(fd: number): void {
  setIntOption(fd, SOL_SOCKET, SO_OOBINLINE, 1, "SO_OOBINLINE");
}

/**
 * Sets an integer socket option.
 *
 * @param fd The socket's file descriptor.
 * @param level The protocol level, such as `SOL_IP`.
 * @param name The option, such as `IP_TRANSPARENT`.
 * @param value The value.
 * @param what The option's name, for the error message.
 * @throws {ErrnoError} When `setsockopt` fails.
 */
export function setIntOption(
  fd: number,
  level: number,
  name: number,
  value: number,
  what: string,
): void {
  intValue[0] = value;
  check(libc().setsockopt(fd, level, name, intValue, 4), `setsockopt(${what})`);
}

/** `struct linger { int l_onoff; int l_linger; }` = {1, 0}. */
const lingerZero = new Int32Array([1, 0]);

/**
 * Makes the next `close` of a socket send RST instead of FIN (`SO_LINGER` {1, 0}), and drop
 * whatever it had not sent yet.
 *
 * @param fd The socket's file descriptor.
 * @throws {ErrnoError} When `setsockopt` fails.
 */
export function setLingerZero(fd: number): void {
  check(libc().setsockopt(fd, SOL_SOCKET, SO_LINGER, lingerZero, 8), "setsockopt(SO_LINGER)");
}

/**
 * Finds the fd of this process's listening TCP socket on a port, by asking each low fd in turn
 * whether it is a listening socket bound to that port. Call it once at start-up.
 *
 * @param port The port the listener is bound to.
 * @param highestFd The highest fd to try.
 * @returns The fd, or -1 when none is found.
 */
export function findListenerFd(port: number, highestFd = 4096): number {
  for (let fd = 0; fd <= highestFd; fd++) {
    if (localAddress(fd)?.port === port && isListening(fd)) return fd;
  }
  return -1;
}

/**
 * Receives whatever is already queued on a socket, without waiting (`recv` with MSG_DONTWAIT).
 *
 * @param fd The socket's file descriptor.
 * @param into Where the bytes go; at most `into.length` are read.
 * @returns The count of bytes read (> 0), 0 at end of stream, or a negated errno (-EAGAIN when
 * nothing is queued, -ECONNRESET after a reset).
 */
export function receiveQueued(fd: number, into: Uint8Array): number {
  if (into.length === 0) return -Errno.EAGAIN;
  const n = Number(libc().recv(fd, into, BigInt(into.length), MSG_DONTWAIT));
  return n >= 0 ? n : -lastErrno();
}

/**
 * Sends what fits in the socket's send buffer now, without waiting (`send` with MSG_DONTWAIT and
 * MSG_NOSIGNAL).
 *
 * @param fd The socket's file descriptor.
 * @param bytes What to send.
 * @returns The count of bytes sent, or a negated errno (-EAGAIN when the buffer is full, -EPIPE
 * or -ECONNRESET when the peer is gone).
 */
export function sendNow(fd: number, bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  const n = Number(libc().send(fd, bytes, BigInt(bytes.length), MSG_DONTWAIT | MSG_NOSIGNAL));
  return n >= 0 ? n : -lastErrno();
}

/**
 * Shuts the writing side of a socket (`shutdown(SHUT_WR)`): the peer reads an end of stream.
 *
 * @param fd The socket's file descriptor.
 * @returns False when the call failed, for example because the peer is gone.
 */
export function shutdownWrite(fd: number): boolean {
  return libc().shutdown(fd, SHUT_WR) === 0;
}

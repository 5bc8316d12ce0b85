/**
 * Taking connections off a listening socket with `accept4`, closing them with `close`, and the
 * facts the kernel keeps about each: the client's SYN headers (`TCP_SAVED_SYN`) and its RTT
 * estimate (`TCP_INFO`).
 *
 * Each function reuses module-level scratch buffers, so none allocates on the hot path beyond
 * its result.
 *
 * @module
 */
import { lastErrno, libc } from "./libc.ts";
import { Errno, ErrnoError } from "./errno_error.ts";
import {
  IPPROTO_TCP,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  TCP_INFO,
  TCP_SAVE_SYN,
  TCP_SAVED_SYN,
} from "./constants.ts";
import { decodeSockaddr, SOCKADDR_MAX, type SocketAddress } from "./sockaddr.ts";
import { setIntOption } from "./socket.ts";

/**
 * Offset of `__u32 tcpi_unacked` in `struct tcp_info` (linux/tcp.h): 8 bytes of `__u8`, then
 * `tcpi_rto`, `tcpi_ato`, `tcpi_snd_mss` and `tcpi_rcv_mss`. A listening socket reports its
 * accept queue's length there (`sk_ack_backlog`).
 */
const TCPI_UNACKED_OFFSET = 24;
/** Offset of `__u32 tcpi_sacked`, where a listening socket reports its accept queue's limit. */
const TCPI_SACKED_OFFSET = 28;
/** Offset of `__u32 tcpi_rtt` in `struct tcp_info` (linux/tcp.h): 8 bytes of `__u8`, 15 `__u32`. */
const TCPI_RTT_OFFSET = 68;
/** Bytes of `struct tcp_info` asked for: up to and including `tcpi_rtt`. */
const TCP_INFO_BYTES = TCPI_RTT_OFFSET + 4;
/**
 * Bytes for the saved SYN at first: an IPv4 header with options (60) and a TCP header with
 * options (60); IPv6 headers are 40 bytes plus rare extension headers. A longer one grows it.
 */
const SAVED_SYN_FIRST_BYTES = 256;
/** The longest saved SYN accepted, bytes; the kernel never saves more than the headers. */
const SAVED_SYN_MAX_BYTES = 4096;

const addressBytes = new Uint8Array(SOCKADDR_MAX);
const addressLength = new Uint32Array(1);
const optionLength = new Uint32Array(1);
const tcpInfo = new Uint8Array(TCP_INFO_BYTES);
const tcpInfoView = new DataView(tcpInfo.buffer);
let savedSyn = new Uint8Array(SAVED_SYN_FIRST_BYTES);

/** A connection taken off the accept queue. */
export interface AcceptedSocket {
  /** Its fd, nonblocking and close-on-exec. */
  readonly fd: number;
  /** The client's address from `accept4` itself, or `null` for a family other than IP. */
  readonly peer: SocketAddress | null;
}

/**
 * Takes one connection off a listening socket (`accept4` with `SOCK_NONBLOCK | SOCK_CLOEXEC`).
 * Unlike a `getpeername` after the accept, the address `accept4` fills in is there even for a
 * connection the client reset while it waited in the queue.
 *
 * @param listenerFd The listening socket, nonblocking.
 * @returns The connection, or a negated errno: -EAGAIN when the queue is empty, -EMFILE or
 * -ENFILE at the fd limits, -ECONNABORTED and others for one connection that failed.
 */
export function acceptConnection(listenerFd: number): AcceptedSocket | number {
  addressLength[0] = SOCKADDR_MAX;
  const fd = libc().accept4(listenerFd, addressBytes, addressLength, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return -lastErrno();
  return { fd, peer: decodeSockaddr(addressBytes) };
}

/**
 * Closes an fd (`close`). The kernel removes it from every epoll set it was in.
 *
 * @param fd The fd.
 * @returns 0, or a negated errno (-EBADF for an fd that was not open).
 */
export function closeFd(fd: number): number {
  return libc().close(fd) === 0 ? 0 : -lastErrno();
}

/**
 * Makes a listening socket keep the IP and TCP headers of each client's SYN
 * (`TCP_SAVE_SYN` = 1), for {@linkcode readSavedSyn} on each accepted connection.
 *
 * @param listenerFd The listening socket.
 * @throws {ErrnoError} When `setsockopt` fails.
 */
export function saveSyns(listenerFd: number): void {
  setIntOption(listenerFd, IPPROTO_TCP, TCP_SAVE_SYN, 1, "TCP_SAVE_SYN");
}

/**
 * Reads the SYN headers the kernel saved for an accepted connection (`TCP_SAVED_SYN`): the IP
 * header (IPv4 or IPv6, with its options or extension headers) and the TCP header. The kernel
 * hands them out once and then frees them.
 *
 * @param fd The accepted connection.
 * @returns The header bytes, valid until the next call (copy them to keep them), or `null` when
 * nothing was saved (SYN cookies under a flood, a failed allocation, or a second call).
 * @throws {ErrnoError} When `getsockopt` fails, such as for an fd that is not a TCP socket.
 */
export function readSavedSyn(fd: number): Uint8Array | null {
  for (;;) {
    optionLength[0] = savedSyn.length;
    if (libc().getsockopt(fd, IPPROTO_TCP, TCP_SAVED_SYN, savedSyn, optionLength) === 0) {
      const length = optionLength[0] ?? 0;
      return length === 0 ? null : savedSyn.subarray(0, length);
    }
    const errno = lastErrno();
    const needed = optionLength[0] ?? 0;
    // EINVAL with the length it needs: the buffer is short; grow it once and ask again.
    if (errno !== Errno.EINVAL || needed <= savedSyn.length || needed > SAVED_SYN_MAX_BYTES) {
      throw new ErrnoError("getsockopt(TCP_SAVED_SYN)", errno);
    }
    savedSyn = new Uint8Array(needed);
  }
}

/** `TCP_CLOSE_WAIT` (linux/tcp_states.h): the peer's FIN has arrived; it sends no more. */
export const TCP_CLOSE_WAIT = 8;
/** `TCP_LISTEN` (linux/tcp_states.h): a listening socket. */
const TCP_LISTEN = 10;

/**
 * Fills the module's `tcpInfo` buffer with the first {@linkcode TCP_INFO_BYTES} of a socket's
 * `struct tcp_info` (`getsockopt(TCP_INFO)`).
 *
 * @param fd The socket.
 * @returns False when `getsockopt` failed or gave fewer bytes.
 */
function fillTcpInfo(fd: number): boolean {
  optionLength[0] = TCP_INFO_BYTES;
  return libc().getsockopt(fd, IPPROTO_TCP, TCP_INFO, tcpInfo, optionLength) === 0 &&
    (optionLength[0] ?? 0) >= TCP_INFO_BYTES;
}

/** What {@linkcode readTcpInfo} reads from `struct tcp_info`. */
export interface TcpInfoFacts {
  /** `tcpi_rtt`: the smoothed round-trip time estimate, microseconds; -1 when unknown. */
  rttUs: number;
  /** `tcpi_state`: the connection's state, such as {@linkcode TCP_CLOSE_WAIT}; -1 when unknown. */
  state: number;
}

/**
 * Reads a TCP connection's state and the kernel's smoothed round-trip time estimate
 * (`TCP_INFO`: `tcpi_state` and `tcpi_rtt`) into an object the caller reuses. Right after
 * accept the RTT is the time from the SYN-ACK to the client's ACK.
 *
 * @param fd The connection.
 * @param into Where the facts go; both -1 when `getsockopt` fails.
 * @returns False when `getsockopt` failed.
 */
export function readTcpInfo(fd: number, into: TcpInfoFacts): boolean {
  if (!fillTcpInfo(fd)) {
    into.rttUs = -1;
    into.state = -1;
    return false;
  }
  into.rttUs = tcpInfoView.getUint32(TCPI_RTT_OFFSET, true);
  into.state = tcpInfo[0] ?? -1;
  return true;
}

const facts: TcpInfoFacts = { rttUs: -1, state: -1 };

/**
 * The kernel's smoothed round-trip time estimate of a TCP connection (`TCP_INFO` `tcpi_rtt`).
 * Right after accept it is the time from the SYN-ACK to the client's ACK.
 *
 * @param fd The connection.
 * @returns Microseconds, or -1 when `getsockopt` fails.
 */
export function roundTripMicros(fd: number): number {
  readTcpInfo(fd, facts);
  return facts.rttUs;
}

/** How full a listening socket's accept queue is, as {@linkcode readAcceptQueue} reads it. */
export interface AcceptQueue {
  /** Connections waiting to be accepted (`sk_ack_backlog`); -1 when unknown. */
  length: number;
  /** The most it holds (`sk_max_ack_backlog`: the listen backlog capped at somaxconn); -1 when
   * unknown. */
  limit: number;
}

/**
 * Reads how many connections wait in a listening socket's accept queue and how many it holds at
 * most (`TCP_INFO`, whose `tcpi_unacked` and `tcpi_sacked` a listener fills with them).
 *
 * @param listenerFd The listening socket.
 * @param into Where the counts go; both -1 when `getsockopt` fails or the socket is not
 * listening.
 * @returns False when they could not be read.
 */
export function readAcceptQueue(listenerFd: number, into: AcceptQueue): boolean {
  if (!fillTcpInfo(listenerFd) || tcpInfo[0] !== TCP_LISTEN) {
    into.length = -1;
    into.limit = -1;
    return false;
  }
  into.length = tcpInfoView.getUint32(TCPI_UNACKED_OFFSET, true);
  into.limit = tcpInfoView.getUint32(TCPI_SACKED_OFFSET, true);
  return true;
}

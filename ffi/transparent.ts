/**
 * Transparent sockets for TPROXY: `IP_TRANSPARENT` / `IPV6_TRANSPARENT`.
 *
 * netfilter's TPROXY target hands a packet to a local socket without rewriting its destination,
 * but only to a socket marked transparent. The mark is checked when each packet arrives, so it
 * may be set on a listener that is already bound: `Deno.listen` then `enableTransparent` works.
 * An accepted connection inherits the mark, and its local address is the address the client
 * dialled. Setting the option needs CAP_NET_ADMIN (the kernel also accepts CAP_NET_RAW).
 *
 * @module
 */
import { lastErrno, libc } from "./libc.ts";
import { Errno, ErrnoError } from "./errno_error.ts";
import { AF_INET6 } from "./sockaddr.ts";
import { SOL_IP, SOL_IPV6, SOL_SOCKET } from "./cmsg.ts";

/** `IP_TRANSPARENT` (linux/in.h). */
export const IP_TRANSPARENT = 19;
/** `IPV6_TRANSPARENT` (linux/in6.h). */
export const IPV6_TRANSPARENT = 75;
/** `SO_DOMAIN`: the socket's address family. */
const SO_DOMAIN = 39;

const intValue = new Int32Array(1);
const intLength = new Uint32Array(1);

/**
 * The address family a socket was made with (`SO_DOMAIN`).
 *
 * @param fd The socket's file descriptor.
 * @returns `AF_INET` (2) or `AF_INET6` (10), or another family.
 * @throws {ErrnoError} When the fd is not a socket.
 */
export function socketFamily(fd: number): number {
  intValue[0] = 0;
  intLength[0] = 4;
  if (libc().getsockopt(fd, SOL_SOCKET, SO_DOMAIN, intValue, intLength) !== 0) {
    throw new ErrnoError("getsockopt(SO_DOMAIN)", lastErrno());
  }
  return intValue[0] ?? 0;
}

/**
 * Marks a socket transparent, so TPROXY may deliver to it connections and datagrams addressed to
 * any address and port. On an IPv6 socket `IPV6_TRANSPARENT` sets the same flag as
 * `IP_TRANSPARENT`, and so covers the IPv4 half of a dual-stack socket too.
 *
 * @param fd The socket's file descriptor, bound or not.
 * @throws {ErrnoError} "Cannot set IP_TRANSPARENT for tproxy mode (it needs CAP_NET_ADMIN): EPERM"
 * when the process lacks the capability; another ErrnoError when the call fails otherwise.
 */
export function enableTransparent(fd: number): void {
  const ipv6 = socketFamily(fd) === AF_INET6;
  const [level, name, what] = ipv6
    ? [SOL_IPV6, IPV6_TRANSPARENT, "IPV6_TRANSPARENT"]
    : [SOL_IP, IP_TRANSPARENT, "IP_TRANSPARENT"];
  intValue[0] = 1;
  if (libc().setsockopt(fd, level, name, intValue, 4) !== 0) {
    const errno = lastErrno();
    if (errno === Errno.EPERM) {
      throw new ErrnoError(`set ${what} for tproxy mode (it needs CAP_NET_ADMIN)`, errno);
    }
    throw new ErrnoError(`setsockopt(${what})`, errno);
  }
}

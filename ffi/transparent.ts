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
import { libc } from "./libc.ts";
import { check, Errno, ErrnoError } from "./errno_error.ts";
import {
  AF_INET6,
  IP_TRANSPARENT,
  IPV6_TRANSPARENT,
  SO_DOMAIN,
  SOL_IP,
  SOL_IPV6,
  SOL_SOCKET,
} from "./constants.ts";
import { setIntOption } from "./socket.ts";

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
  check(libc().getsockopt(fd, SOL_SOCKET, SO_DOMAIN, intValue, intLength), "getsockopt(SO_DOMAIN)");
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
  try {
    setIntOption(fd, level, name, 1, what);
  } catch (error) {
    if (error instanceof ErrnoError && error.errno === Errno.EPERM) {
      throw new ErrnoError(`set ${what} for tproxy mode (it needs CAP_NET_ADMIN)`, error.errno);
    }
    throw error;
  }
}

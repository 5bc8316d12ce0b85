/**
 * Every C constant Spip passes to or reads from libc, in one place: address families, socket
 * types and flags, option levels, socket, IP and TCP options, message flags, epoll and eventfd
 * flags, and errno values. Values are those of Linux on x86_64 and aarch64 (they agree for all
 * of these); the header each comes from is named in its section.
 *
 * Struct sizes and field offsets are not here: they stay beside the code that lays the struct
 * out (`ffi/sockaddr.ts`, `ffi/cmsg.ts`, `ffi/epoll.ts`, `ffi/udp_socket.ts`).
 *
 * @module
 */

// --- Address families (bits/socket.h) ---

/** `AF_INET`: IPv4, the family of a `struct sockaddr_in`. */
export const AF_INET = 2;
/** `AF_INET6`: IPv6, the family of a `struct sockaddr_in6`. */
export const AF_INET6 = 10;

// --- Socket types and their flags (bits/socket_type.h) ---

/** `SOCK_STREAM`: a TCP socket. */
export const SOCK_STREAM = 1;
/** `SOCK_DGRAM`: a UDP socket. */
export const SOCK_DGRAM = 2;
/** `SOCK_NONBLOCK`, or'ed into a type (or given to `accept4`): the new fd is nonblocking. */
export const SOCK_NONBLOCK = 0o4000;
/** `SOCK_CLOEXEC`, or'ed into a type (or given to `accept4`): the new fd closes on exec. */
export const SOCK_CLOEXEC = 0o2000000;

// --- Option levels and protocols (bits/socket.h, netinet/in.h) ---

/** `SOL_SOCKET`: the level of the generic socket options. */
export const SOL_SOCKET = 1;
/** `IPPROTO_IP`: the level of the IPv4 options. */
export const IPPROTO_IP = 0;
/** `SOL_IP`, the same level as {@linkcode IPPROTO_IP}. */
export const SOL_IP = IPPROTO_IP;
/** `IPPROTO_TCP`: the level of the TCP options. */
export const IPPROTO_TCP = 6;
/** `SOL_TCP`, the same level as {@linkcode IPPROTO_TCP}. */
export const SOL_TCP = IPPROTO_TCP;
/** `IPPROTO_UDP`. */
export const IPPROTO_UDP = 17;
/** `IPPROTO_IPV6`: the level of the IPv6 options. */
export const IPPROTO_IPV6 = 41;
/** `SOL_IPV6`, the same level as {@linkcode IPPROTO_IPV6}. */
export const SOL_IPV6 = IPPROTO_IPV6;

// --- Socket options, level SOL_SOCKET (asm-generic/socket.h) ---

/** `SO_REUSEADDR`: bind a port that still has connections in TIME_WAIT. */
export const SO_REUSEADDR = 2;
/** `SO_ERROR`: read and clear the socket's pending error. */
export const SO_ERROR = 4;
/** `SO_SNDBUF`: the send buffer size, capped at `net.core.wmem_max`. */
export const SO_SNDBUF = 7;
/** `SO_RCVBUF`: the receive buffer size, capped at `net.core.rmem_max`. */
export const SO_RCVBUF = 8;
/** `SO_OOBINLINE`: keep TCP urgent bytes in the normal stream. */
export const SO_OOBINLINE = 10;
/** `SO_LINGER`: a `struct linger`; {1, 0} makes `close` send RST instead of FIN. */
export const SO_LINGER = 13;
/** `SO_REUSEPORT`: let several sockets bind the same address and port. */
export const SO_REUSEPORT = 15;
/** `SO_RCVTIMEO`: a `struct timeval`, the longest a blocking receive waits. */
export const SO_RCVTIMEO = 20;
/** `SO_ACCEPTCONN`: 1 for a listening socket. */
export const SO_ACCEPTCONN = 30;
/** `SO_RCVBUFFORCE`: {@linkcode SO_RCVBUF} past `rmem_max` (needs CAP_NET_ADMIN). */
export const SO_RCVBUFFORCE = 33;
/** `SO_DOMAIN`: the address family the socket was made with. */
export const SO_DOMAIN = 39;
/** `SO_RXQ_OVFL`: report, with each datagram, a `uint32_t` count of datagrams dropped so far. */
export const SO_RXQ_OVFL = 40;
/** `SO_MEMINFO`: the socket's memory counters, `uint32_t[SK_MEMINFO_VARS]` (read only). */
export const SO_MEMINFO = 55;
/** Index of `SK_MEMINFO_DROPS` (the socket's `sk_drops`) in {@linkcode SO_MEMINFO}'s array. */
export const SK_MEMINFO_DROPS = 8;
/** `SK_MEMINFO_VARS`: {@linkcode SO_MEMINFO}'s array length, `SK_MEMINFO_DROPS` included. */
export const SK_MEMINFO_VARS = 9;

// --- IPv4 options, level SOL_IP (linux/in.h, linux/netfilter_ipv4.h) ---

/** `IP_TTL`: the TTL of sent packets. */
export const IP_TTL = 2;
/** `IP_TRANSPARENT`: accept connections and datagrams for any address (TPROXY). */
export const IP_TRANSPARENT = 19;
/** `IP_RECVORIGDSTADDR`: report each datagram's original destination. */
export const IP_RECVORIGDSTADDR = 20;
/** `IP_ORIGDSTADDR`: the control record type of that report, a `struct sockaddr_in`. */
export const IP_ORIGDSTADDR = IP_RECVORIGDSTADDR;
/** `SO_ORIGINAL_DST` (linux/netfilter_ipv4.h): where a REDIRECTed IPv4 client dialled. */
export const SO_ORIGINAL_DST = 80;

// --- IPv6 options, level SOL_IPV6 (linux/in6.h, linux/netfilter_ipv6/ip6_tables.h) ---

/** `IPV6_UNICAST_HOPS`: the hop limit of sent packets. */
export const IPV6_UNICAST_HOPS = 16;
/** `IPV6_V6ONLY`: 0 lets an IPv6 socket also carry IPv4 (dual stack). */
export const IPV6_V6ONLY = 26;
/** `IPV6_RECVORIGDSTADDR`: report each datagram's original destination. */
export const IPV6_RECVORIGDSTADDR = 74;
/** `IPV6_ORIGDSTADDR`: the control record type of that report, a `struct sockaddr_in6`. */
export const IPV6_ORIGDSTADDR = IPV6_RECVORIGDSTADDR;
/** `IPV6_TRANSPARENT`: {@linkcode IP_TRANSPARENT} for IPv6 (and a dual-stack socket). */
export const IPV6_TRANSPARENT = 75;
/** `IP6T_SO_ORIGINAL_DST`: where a REDIRECTed IPv6 client dialled. */
export const IP6T_SO_ORIGINAL_DST = 80;

// --- TCP options, level IPPROTO_TCP (linux/tcp.h) ---

/** `TCP_NODELAY`: send small segments at once (no Nagle). */
export const TCP_NODELAY = 1;
/** `TCP_MAXSEG`: the maximum segment size. */
export const TCP_MAXSEG = 2;
/** `TCP_INFO`: a `struct tcp_info` with the connection's state, RTT and counters. */
export const TCP_INFO = 11;
/** `TCP_SAVE_SYN`: on a listener, keep each connection's SYN headers for `TCP_SAVED_SYN`. */
export const TCP_SAVE_SYN = 27;
/** `TCP_SAVED_SYN`: the IP and TCP headers of the connection's SYN, readable once. */
export const TCP_SAVED_SYN = 28;

// --- Message flags for send and receive (bits/socket.h) ---

/** `MSG_PEEK`: read without taking the bytes off the queue. */
export const MSG_PEEK = 0x2;
/** `MSG_TRUNC`: a receive reports each datagram's real length, not the bytes copied. */
export const MSG_TRUNC = 0x20;
/** `MSG_DONTWAIT`: this one call does not block. */
export const MSG_DONTWAIT = 0x40;
/** `MSG_NOSIGNAL`: a send to a reset peer fails with EPIPE instead of raising SIGPIPE. */
export const MSG_NOSIGNAL = 0x4000;
/** `MSG_WAITFORONE` (`recvmmsg`): wait for the first datagram only, then take what is queued. */
export const MSG_WAITFORONE = 0x10000;

// --- shutdown (sys/socket.h) ---

/** `SHUT_RD`: shut the reading side. */
export const SHUT_RD = 0;
/** `SHUT_WR`: shut the writing side; the peer reads an end of stream. */
export const SHUT_WR = 1;
/** `SHUT_RDWR`: shut both sides. */
export const SHUT_RDWR = 2;

// --- File status and open flags (fcntl.h) ---

/** `F_GETFL`: read an fd's status flags. */
export const F_GETFL = 3;
/** `F_SETFL`: set an fd's status flags. */
export const F_SETFL = 4;
/** `O_NONBLOCK`: the fd's reads and writes do not block. */
export const O_NONBLOCK = 0o4000;
/** `O_WRONLY`: `open` for writing only. */
export const O_WRONLY = 0o1;
/** `O_APPEND`: every write goes to the end of the file (Linux x86-64 and aarch64). */
export const O_APPEND = 0o2000;
/** `O_NOCTTY`: opening a terminal never makes it the controlling terminal. */
export const O_NOCTTY = 0o400;
/** `O_CLOEXEC`: the new fd closes on exec. */
export const O_CLOEXEC = 0o2000000;

// --- epoll and eventfd (sys/epoll.h, sys/eventfd.h) ---

/** `EPOLLIN`: readable, or a pending end of stream. */
export const EPOLLIN = 0x001;
/** `EPOLLOUT`: writable. */
export const EPOLLOUT = 0x004;
/** `EPOLLERR`: an error is pending on the socket (always reported). */
export const EPOLLERR = 0x008;
/** `EPOLLHUP`: both directions are shut (always reported). */
export const EPOLLHUP = 0x010;
/** `EPOLLRDHUP`: the peer shut its writing side. */
export const EPOLLRDHUP = 0x2000;
/** `EPOLL_CLOEXEC` (`epoll_create1`): the epoll fd closes on exec. */
export const EPOLL_CLOEXEC = 0o2000000;
/** `EPOLL_CTL_ADD`: register an fd. */
export const EPOLL_CTL_ADD = 1;
/** `EPOLL_CTL_DEL`: unregister an fd. */
export const EPOLL_CTL_DEL = 2;
/** `EPOLL_CTL_MOD`: change a registered fd's events or data. */
export const EPOLL_CTL_MOD = 3;
/** `EFD_NONBLOCK` (`eventfd`): the eventfd is nonblocking. */
export const EFD_NONBLOCK = 0o4000;
/** `EFD_CLOEXEC` (`eventfd`): the eventfd closes on exec. */
export const EFD_CLOEXEC = 0o2000000;

// --- errno values (asm-generic/errno-base.h, asm-generic/errno.h) ---

/**
 * The errno values Spip meets, by name. `ErrnoError` names an errno from this table, so adding a
 * value here also gives it a name in messages.
 */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EEXIST: 17,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOSPC: 28,
  EPIPE: 32,
  ENOTSOCK: 88,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
} as const;

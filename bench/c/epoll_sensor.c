/*
 * The bench's C baseline: the least a sensor can do, in plain C. One epoll loop on a dual-stack
 * listener ([::]:--port, backlog 4096): accept4 until EAGAIN, the original destination at once
 * (SO_ORIGINAL_DST, or IP6T_SO_ORIGINAL_DST for IPv6 clients), one recv (up to 4 KiB) when the
 * connection is readable, one JSON line (fields as the sensor's, seq 1), close. Output is
 * buffered and flushed at 64 KiB and whenever the loop would wait. No timeouts, no byte cap.
 *
 * On SIGTERM it flushes, prints one JSON stats line on stderr and exits 0.
 *
 * Build: gcc -O2 -o epoll_sensor epoll_sensor.c (bench/c_programs.ts does it at bench start).
 * Usage: epoll_sensor --port P
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define SO_ORIGINAL_DST 80
#define MAX_EVENTS 256
#define OUT_BYTES (1 << 16)
#define READ_BYTES 4096
#define MAX_FDS (1 << 20)

struct conn {
  char source_ip[INET6_ADDRSTRLEN];
  int source_port;
  char destination_ip[INET6_ADDRSTRLEN];
  int destination_port;
};

static struct conn *conns[MAX_FDS];
static char out[OUT_BYTES + 16384];
static size_t out_length;
static long accepted, written, accept_errors;
static volatile sig_atomic_t stopping;

static void flush(void) {
  size_t at = 0;
  while (at < out_length) {
    ssize_t n = write(1, out + at, out_length - at);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    at += (size_t)n;
  }
  out_length = 0;
}

static void address(const struct sockaddr_storage *a, char *ip, int *port) {
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *v4 = (const void *)a;
    inet_ntop(AF_INET, &v4->sin_addr, ip, INET6_ADDRSTRLEN);
    *port = ntohs(v4->sin_port);
    return;
  }
  const struct sockaddr_in6 *v6 = (const void *)a;
  if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], ip, INET6_ADDRSTRLEN);
  else inet_ntop(AF_INET6, &v6->sin6_addr, ip, INET6_ADDRSTRLEN);
  *port = ntohs(v6->sin6_port);
}

static void record(int fd, struct conn *c, const unsigned char *bytes, ssize_t n) {
  static const char hex[] = "0123456789abcdef";
  static long session;
  struct timeval now;
  gettimeofday(&now, NULL);
  long long ms = now.tv_sec * 1000LL + now.tv_usec / 1000;
  if (out_length + 2 * (size_t)n + 512 > sizeof out) flush();
  char *p = out + out_length;
  p += sprintf(p, "{\"timestamp\":%lld,\"payload_hex\":\"", ms / 1000);
  for (ssize_t i = 0; i < n; i++) {
    *p++ = hex[bytes[i] >> 4];
    *p++ = hex[bytes[i] & 15];
  }
  p += sprintf(p,
               "\",\"source_ip\":\"%s\",\"source_port\":%d,\"destination_ip\":\"%s\","
               "\"destination_port\":%d,\"session_id\":\"%ld\",\"seq\":1,\"timestamp_ms\":%lld}\n",
               c->source_ip, c->source_port, c->destination_ip, c->destination_port, ++session, ms);
  out_length = (size_t)(p - out);
  written++;
  if (out_length >= OUT_BYTES) flush();
  (void)fd;
}

static void on_term(int signal) {
  (void)signal;
  stopping = 1;
}

int main(int argc, char **argv) {
  int port = 12345;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = atoi(argv[++i]);
    else if (strncmp(argv[i], "--port=", 7) == 0) port = atoi(argv[i] + 7);
  }
  struct sigaction action = {.sa_handler = on_term};
  sigaction(SIGTERM, &action, NULL);
  signal(SIGPIPE, SIG_IGN);
  int listener = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int zero = 0, one = 1;
  setsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
  if (bind(listener, (struct sockaddr *)&any, sizeof any) < 0 || listen(listener, 4096) < 0) {
    perror("Cannot listen");
    return 1;
  }
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
  epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev);
  struct epoll_event events[MAX_EVENTS];
  unsigned char buffer[READ_BYTES];
  while (!stopping) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, 0);
    if (n == 0) {
      flush();
      n = epoll_wait(epfd, events, MAX_EVENTS, -1);
    }
    if (n < 0) continue; /* EINTR: SIGTERM */
    for (int e = 0; e < n; e++) {
      int fd = events[e].data.fd;
      if (fd == listener) {
        for (;;) {
          struct sockaddr_storage peer;
          socklen_t length = sizeof peer;
          int c = accept4(listener, (struct sockaddr *)&peer, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) {
            if (errno == EAGAIN) break;
            accept_errors++;
            if (errno == EMFILE || errno == ENFILE) break;
            continue;
          }
          if (c >= MAX_FDS) {
            close(c);
            continue;
          }
          accepted++;
          struct conn *conn = malloc(sizeof *conn);
          address(&peer, conn->source_ip, &conn->source_port);
          int v6 = strchr(conn->source_ip, ':') != NULL;
          struct sockaddr_storage original;
          length = sizeof original;
          if (getsockopt(c, v6 ? IPPROTO_IPV6 : IPPROTO_IP, SO_ORIGINAL_DST, &original, &length) != 0) {
            length = sizeof original;
            getsockname(c, (struct sockaddr *)&original, &length);
          }
          address(&original, conn->destination_ip, &conn->destination_port);
          conns[c] = conn;
          struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c};
          epoll_ctl(epfd, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      struct conn *conn = conns[fd];
      if (conn == NULL) continue;
      ssize_t got = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (got < 0 && errno == EAGAIN) continue;
      record(fd, conn, buffer, got < 0 ? 0 : got);
      conns[fd] = NULL;
      free(conn);
      close(fd);
    }
  }
  flush();
  fprintf(stderr,
          "{\"connections_accepted\":%ld,\"records_written\":%ld,\"records_shed\":0,"
          "\"accept_errors\":{\"all\":%ld}}\n",
          accepted, written, accept_errors);
  return 0;
}

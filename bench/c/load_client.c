/*
 * The bench's C load client: one epoll loop that dials --host on the ports
 * --port-min..--port-max in turn, --count connections with at most --concurrency in flight, and
 * sends each its own tokened payload (the format of bench/payload.ts), then closes it with FIN or,
 * with --close rst, with RST (SO_LINGER {1, 0}) right after the last byte is sent. With --hold it
 * first opens every connection without sending, prints {"event":"open",...}, waits for a line on
 * stdin, then sends and closes them all.
 *
 * It speaks the harness protocol of bench/client_protocol.ts: JSON events on stdout, ending with
 * {"event":"done","completed":N,"failed":[...],"errors":{...},"elapsed_ms":T,"cpu_us":U}.
 *
 * A Deno client costs about as much CPU per connection as the sensor it loads; this one costs a
 * few microseconds, so the sensor sets the pace, as it does under a real scanner.
 *
 * Build: gcc -O2 -o load_client load_client.c (bench/c_programs.ts does it at bench start).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define MAX_ERROR_KINDS 32

enum state { IDLE, CONNECTING, OPEN, SENDING };

struct slot {
  int fd;
  int index;
  int sent;
  enum state state;
};

static const char *host = "127.0.0.1";
static const char *run_id = "0";
static int count = 1, concurrency = 100, port_min = 1, port_max = 1000, size = 64;
static int close_rst = 0, hold = 0;
static long deadline_ms = 30000;

static unsigned char *completed;
static struct slot *slots;
static int epfd;
static struct sockaddr_storage target;
static socklen_t target_length;
static int family;

static const char *error_names[MAX_ERROR_KINDS];
static long error_counts[MAX_ERROR_KINDS];

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

static void count_error(int errnum) {
  const char *name = strerrorname_np(errnum);
  if (name == NULL) name = "unknown";
  for (int i = 0; i < MAX_ERROR_KINDS; i++) {
    if (error_names[i] == NULL) error_names[i] = name;
    if (strcmp(error_names[i], name) == 0) {
      error_counts[i]++;
      return;
    }
  }
}

static int payload(int index, unsigned char *into) {
  int header = snprintf((char *)into, size + 1, "SPIPBENCH %s %d ", run_id, index);
  if (header > size) return -1;
  for (int k = header; k < size; k++) into[k] = (unsigned char)((index * 7 + k * 13) & 0xff);
  return size;
}

static unsigned char *buffer;

static void finish(struct slot *s, int ok) {
  if (ok) completed[s->index] = 1;
  if (ok && close_rst) {
    struct linger linger = {1, 0};
    setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
  }
  close(s->fd);
  s->fd = -1;
  s->state = IDLE;
}

/* Sends what is left of the slot's payload; finishes it when all is sent. */
static void send_some(struct slot *s) {
  payload(s->index, buffer);
  while (s->sent < size) {
    ssize_t n = send(s->fd, buffer + s->sent, size - s->sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) {
        struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = s};
        epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &ev);
        s->state = SENDING;
        return;
      }
      count_error(errno);
      finish(s, 0);
      return;
    }
    s->sent += (int)n;
  }
  finish(s, 1);
}

/* Starts connection `index` in a free slot. */
static int start(struct slot *s, int index) {
  int port = port_min + index % (port_max - port_min + 1);
  struct sockaddr_storage to = target;
  if (family == AF_INET) ((struct sockaddr_in *)&to)->sin_port = htons(port);
  else ((struct sockaddr_in6 *)&to)->sin6_port = htons(port);
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    count_error(errno);
    return -1;
  }
  s->fd = fd;
  s->index = index;
  s->sent = 0;
  if (connect(fd, (struct sockaddr *)&to, target_length) < 0 && errno != EINPROGRESS) {
    count_error(errno);
    close(fd);
    s->fd = -1;
    return -1;
  }
  s->state = CONNECTING;
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = s};
  epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  return 0;
}

/* A connect finished: returns 1 when it succeeded. */
static int connected(struct slot *s) {
  int error = 0;
  socklen_t length = sizeof error;
  getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    count_error(error);
    finish(s, 0);
    return 0;
  }
  return 1;
}

/* Runs slots until every index below `total` has been started and ended, or the deadline. */
static void run_pool(int total, double deadline, int keep_open, int *next) {
  struct epoll_event events[MAX_EVENTS];
  int active = 0;
  for (;;) {
    for (int i = 0; i < concurrency && *next < total && now_ms() < deadline; i++) {
      if (slots[i].state != IDLE) continue;
      if (start(&slots[i], (*next)++) == 0) active++;
    }
    if (active == 0 || now_ms() > deadline + 15000) break;
    int n = epoll_wait(epfd, events, MAX_EVENTS, 100);
    for (int e = 0; e < n; e++) {
      struct slot *s = events[e].data.ptr;
      if (s->state == CONNECTING) {
        if (!connected(s)) {
          active--;
          continue;
        }
        if (keep_open) {
          epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
          s->state = OPEN;
          active--;
          continue;
        }
        send_some(s);
      } else if (s->state == SENDING) {
        send_some(s);
      }
      if (s->state == IDLE) active--;
    }
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    char *arg = argv[i];
    char *value = strchr(arg, '=');
    if (value != NULL) *value++ = '\0';
    else if (strcmp(arg, "--hold") != 0 && i + 1 < argc) value = argv[++i];
    if (strcmp(arg, "--host") == 0) host = value;
    else if (strcmp(arg, "--run-id") == 0) run_id = value;
    else if (strcmp(arg, "--count") == 0) count = atoi(value);
    else if (strcmp(arg, "--concurrency") == 0) concurrency = atoi(value);
    else if (strcmp(arg, "--port-min") == 0) port_min = atoi(value);
    else if (strcmp(arg, "--port-max") == 0) port_max = atoi(value);
    else if (strcmp(arg, "--size") == 0) size = atoi(value);
    else if (strcmp(arg, "--close") == 0) close_rst = strcmp(value, "rst") == 0;
    else if (strcmp(arg, "--deadline-ms") == 0) deadline_ms = atol(value);
    else if (strcmp(arg, "--hold") == 0) hold = 1;
    else {
      fprintf(stderr, "Cannot use %s: unknown flag\n", arg);
      return 2;
    }
  }
  if (count < 1 || concurrency < 1 || port_min < 1 || port_max < port_min || size < 1) {
    fprintf(stderr, "Cannot run: bad --count, --concurrency, --port-* or --size\n");
    return 2;
  }
  memset(&target, 0, sizeof target);
  if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&target)->sin_addr) == 1) {
    family = AF_INET;
    ((struct sockaddr_in *)&target)->sin_family = AF_INET;
    target_length = sizeof(struct sockaddr_in);
  } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&target)->sin6_addr) == 1) {
    family = AF_INET6;
    ((struct sockaddr_in6 *)&target)->sin6_family = AF_INET6;
    target_length = sizeof(struct sockaddr_in6);
  } else {
    fprintf(stderr, "Cannot use --host=%s: not an IP address\n", host);
    return 2;
  }
  buffer = malloc(size + 64);
  if (payload(0, buffer) < 0 || payload(count - 1, buffer) < 0) {
    fprintf(stderr, "Cannot build a payload of %d bytes: too small for the header\n", size);
    return 2;
  }
  completed = calloc(count, 1);
  int width = hold ? count : concurrency;
  slots = calloc(width, sizeof *slots);
  for (int i = 0; i < width; i++) slots[i].fd = -1;
  epfd = epoll_create1(EPOLL_CLOEXEC);
  double started = now_ms();
  double deadline = started + deadline_ms;
  int next = 0;
  if (!hold) {
    run_pool(count, deadline, 0, &next);
  } else {
    /* Open every connection (concurrency at a time in the connecting state). */
    int saved = concurrency;
    struct slot *all = slots;
    int opened = 0;
    for (int base = 0; base < count && now_ms() < deadline; base += saved) {
      slots = all + base;
      int batch = count - base < saved ? count - base : saved;
      concurrency = batch;
      int local = 0;
      /* Each slot of this window starts index base + its position. */
      struct epoll_event events[MAX_EVENTS];
      int active = 0;
      for (int i = 0; i < batch; i++) {
        if (start(&slots[i], base + i) == 0) active++;
        local++;
      }
      while (active > 0) {
        int n = epoll_wait(epfd, events, MAX_EVENTS, 100);
        for (int e = 0; e < n; e++) {
          struct slot *s = events[e].data.ptr;
          if (s->state != CONNECTING) continue;
          if (connected(s)) {
            epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
            s->state = OPEN;
          }
          active--;
        }
        if (now_ms() > deadline + 15000) break;
      }
      (void)local;
    }
    slots = all;
    concurrency = saved;
    for (int i = 0; i < count; i++) opened += slots[i].state == OPEN;
    printf("{\"event\":\"open\",\"open\":%d,\"elapsed_ms\":%.1f}\n", opened, now_ms() - started);
    fflush(stdout);
    char line[64];
    if (fgets(line, sizeof line, stdin) == NULL) { /* end of input: go on as told */ }
    /* Send on each open connection, `concurrency` sends in flight at most. */
    struct epoll_event events[MAX_EVENTS];
    int active = 0, at = 0;
    while (at < count || active > 0) {
      while (at < count && active < concurrency) {
        struct slot *s = &slots[at++];
        if (s->state != OPEN) continue;
        struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = s};
        epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev);
        send_some(s);
        if (s->state == SENDING) active++;
      }
      if (active == 0) continue;
      int n = epoll_wait(epfd, events, MAX_EVENTS, 100);
      for (int e = 0; e < n; e++) {
        struct slot *s = events[e].data.ptr;
        if (s->state != SENDING) continue;
        send_some(s);
        if (s->state == IDLE) active--;
      }
    }
  }
  double elapsed = now_ms() - started;
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  long cpu_us = usage.ru_utime.tv_sec * 1000000L + usage.ru_utime.tv_usec +
                usage.ru_stime.tv_sec * 1000000L + usage.ru_stime.tv_usec;
  int done = 0;
  for (int i = 0; i < count; i++) done += completed[i];
  printf("{\"event\":\"done\",\"completed\":%d,\"failed\":[", done);
  int first = 1;
  for (int i = 0; i < count; i++) {
    if (completed[i]) continue;
    printf(first ? "%d" : ",%d", i);
    first = 0;
  }
  printf("],\"errors\":{");
  for (int i = 0; i < MAX_ERROR_KINDS && error_names[i] != NULL; i++) {
    printf(i == 0 ? "\"%s\":%ld" : ",\"%s\":%ld", error_names[i], error_counts[i]);
  }
  printf("},\"elapsed_ms\":%.1f,\"cpu_us\":%ld}\n", elapsed, cpu_us);
  fflush(stdout);
  return 0;
}

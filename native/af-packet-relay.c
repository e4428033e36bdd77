// af-packet-relay: moves Ethernet frames between Linux interfaces and the Talaria switch
// process, which has no raw sockets of its own (Node cannot open AF_PACKET sockets).
//
// Usage: af-packet-relay IFNAME...   (needs CAP_NET_RAW)
//
// One AF_PACKET socket per interface, in promiscuous mode, receiving every frame that
// arrives on it (frames the interface sends are skipped). Frames travel over stdin and
// stdout with an 8-byte header: u16 interface index in argv order (0-based), u16 zero,
// u32 frame length, all big-endian, then the frame.
//   stdout: frames received on the interfaces; first a frame with index 0xffff and
//           length 0 once every socket is open (the ready signal).
//   stdin:  frames to send on an interface. End of stdin ends the relay.
// Errors are one line on stderr and exit status 1. The relay keeps no state besides the
// sockets, so a crash loses in-flight frames only. Built on first use by
// src/target/ports/af-packet-relay-build.ts with the system C compiler.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_INTERFACES 64
#define HEADER_BYTES 8
#define READY_INDEX 0xffff
// Large enough for a GSO frame a kernel may hand over when offloads are left on.
#define MAX_FRAME 65536 + 64

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

static void die(const char *what, const char *detail) {
  fprintf(stderr, "af-packet-relay: %s%s%s: %s\n", what, detail ? " " : "", detail ? detail : "",
          strerror(errno));
  exit(1);
}

static void write_all(int fd, const uint8_t *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("write to stdout", NULL);
    }
    buf += n;
    len -= (size_t)n;
  }
}

static void put_header(uint8_t *h, uint16_t index, uint32_t len) {
  h[0] = (uint8_t)(index >> 8);
  h[1] = (uint8_t)index;
  h[2] = 0;
  h[3] = 0;
  h[4] = (uint8_t)(len >> 24);
  h[5] = (uint8_t)(len >> 16);
  h[6] = (uint8_t)(len >> 8);
  h[7] = (uint8_t)len;
}

static int open_interface(const char *name) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) die("socket(AF_PACKET)", name);
  unsigned int ifindex = if_nametoindex(name);
  if (ifindex == 0) die("no interface", name);
  struct sockaddr_ll addr = {0};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = (int)ifindex;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind", name);
  struct packet_mreq mreq = {0};
  mreq.mr_ifindex = (int)ifindex;
  mreq.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0)
    die("promiscuous mode", name);
  // Older kernels lack this option; frames we send are then skipped by their pkttype.
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  return fd;
}

// Reads what stdin has and sends every complete frame; returns 0 at end of input.
static int pump_stdin(int *sockets, int count, uint8_t *buf, size_t *filled) {
  ssize_t n = read(STDIN_FILENO, buf + *filled, MAX_FRAME + HEADER_BYTES - *filled);
  if (n < 0) return errno == EINTR || errno == EAGAIN ? 1 : (die("read stdin", NULL), 0);
  if (n == 0) return 0;
  *filled += (size_t)n;
  size_t offset = 0;
  while (*filled - offset >= HEADER_BYTES) {
    const uint8_t *h = buf + offset;
    uint16_t index = (uint16_t)(h[0] << 8 | h[1]);
    uint32_t len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
    if (len > MAX_FRAME || index >= count) {
      errno = EINVAL;
      die("bad frame header on stdin", NULL);
    }
    if (*filled - offset < HEADER_BYTES + len) break;
    // A full socket buffer drops the frame, as a busy link would.
    if (send(sockets[index], h + HEADER_BYTES, len, MSG_DONTWAIT) < 0 && errno != EAGAIN &&
        errno != ENOBUFS && errno != ENETDOWN && errno != ENXIO)
      die("send", NULL);
    offset += HEADER_BYTES + len;
  }
  memmove(buf, buf + offset, *filled - offset);
  *filled -= offset;
  return 1;
}

static void pump_socket(int fd, uint16_t index, uint8_t *frame) {
  for (;;) {
    struct sockaddr_ll from;
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(fd, frame + HEADER_BYTES, MAX_FRAME, MSG_TRUNC, (struct sockaddr *)&from,
                         &from_len);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      if (errno == ENETDOWN) return;
      die("recv", NULL);
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    if (n > MAX_FRAME) continue;  // truncated: never forward a partial frame
    put_header(frame, index, (uint32_t)n);
    write_all(STDOUT_FILENO, frame, HEADER_BYTES + (size_t)n);
  }
}

int main(int argc, char **argv) {
  int count = argc - 1;
  if (count < 1 || count > MAX_INTERFACES) {
    fprintf(stderr, "usage: af-packet-relay IFNAME... (1 to %d interfaces)\n", MAX_INTERFACES);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int sockets[MAX_INTERFACES];
  struct pollfd fds[MAX_INTERFACES + 1];
  for (int i = 0; i < count; i++) {
    sockets[i] = open_interface(argv[i + 1]);
    fds[i].fd = sockets[i];
    fds[i].events = POLLIN;
  }
  fds[count].fd = STDIN_FILENO;
  fds[count].events = POLLIN;

  static uint8_t in_buf[MAX_FRAME + HEADER_BYTES];
  static uint8_t out_buf[MAX_FRAME + HEADER_BYTES];
  size_t in_filled = 0;
  uint8_t ready[HEADER_BYTES];
  put_header(ready, READY_INDEX, 0);
  write_all(STDOUT_FILENO, ready, HEADER_BYTES);

  for (;;) {
    if (poll(fds, (nfds_t)count + 1, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll", NULL);
    }
    for (int i = 0; i < count; i++) {
      if (fds[i].revents & POLLIN) pump_socket(sockets[i], (uint16_t)i, out_buf);
      if (fds[i].revents & POLLERR) {
        // The link went down or away: clear the pending error and keep serving the others.
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(sockets[i], SOL_SOCKET, SO_ERROR, &error, &len);
      }
    }
    if (fds[count].revents & (POLLIN | POLLHUP)) {
      if (!pump_stdin(sockets, count, in_buf, &in_filled)) return 0;
    }
  }
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* TCP and UDP header access: the ports and the TCP flags the flow logic needs. */
#ifndef TALARIA_LIB_L4_H
#define TALARIA_LIB_L4_H

#include "compiler.h"

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

/* What the flow logic reads from a TCP or UDP header. */
struct l4_ports {
	__be16 sport;
	__be16 dport;
	__u8 tcp_flags; /* 0 for UDP */
};

/*
 * Reads ports (and for TCP the flags) of the L4 header at byte `off`. Returns false when
 * the protocol is neither TCP nor UDP or the header is truncated.
 */
static __always_inline bool l4_read_ports(struct __sk_buff *skb, __u32 off, __u8 protocol,
					  struct l4_ports *ports)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u8 *l4 = data + off;

	if (protocol == IPPROTO_TCP) {
		/* Ports at 0 and 2, flags at 13 of the 20-byte TCP header. */
		if ((void *)(l4 + 20) > data_end)
			return false;
		ports->tcp_flags = l4[13];
	} else if (protocol == IPPROTO_UDP) {
		if ((void *)(l4 + 8) > data_end)
			return false;
		ports->tcp_flags = 0;
	} else {
		return false;
	}
	__builtin_memcpy(&ports->sport, l4, sizeof(ports->sport));
	__builtin_memcpy(&ports->dport, l4 + 2, sizeof(ports->dport));
	return true;
}

/* A TCP segment that opens a connection (SYN without ACK): it gets a fresh backend choice. */
static __always_inline bool l4_is_tcp_open(__u8 protocol, const struct l4_ports *ports)
{
	return protocol == IPPROTO_TCP &&
	       (ports->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
}

#endif /* TALARIA_LIB_L4_H */

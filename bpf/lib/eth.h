/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Ethernet header access. */
#ifndef TALARIA_LIB_ETH_H
#define TALARIA_LIB_ETH_H

#include "compiler.h"

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_8021Q 0x8100

/* The 14-byte Ethernet II header (linux/if_ether.h needs the libc headers, which a BPF build has not). */
struct eth_hdr {
	__u8 dst[ETH_ALEN];
	__u8 src[ETH_ALEN];
	__be16 proto;
} __attribute__((packed));

_Static_assert(sizeof(struct eth_hdr) == ETH_HLEN, "Ethernet header is 14 bytes");

/* The Ethernet header at the start of the packet, or NULL when the frame is shorter. */
static __always_inline struct eth_hdr *eth_header(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct eth_hdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	return eth;
}

/* Byte by byte: a BPF build has no memcmp() to call. */
static __always_inline bool eth_addr_equal(const __u8 *a, const __u8 *b)
{
	__u8 diff = 0;

#pragma unroll
	for (int i = 0; i < ETH_ALEN; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/* Writes destination and source MAC of the packet, leaving its EtherType as it is. */
static __always_inline int eth_store_macs(struct __sk_buff *skb, const __u8 *dst, const __u8 *src)
{
	__u8 macs[2 * ETH_ALEN];

	__builtin_memcpy(macs, dst, ETH_ALEN);
	__builtin_memcpy(macs + ETH_ALEN, src, ETH_ALEN);
	return bpf_skb_store_bytes(skb, 0, macs, sizeof(macs), 0);
}

#endif /* TALARIA_LIB_ETH_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* IPv4 header access and checks. */
#ifndef TALARIA_LIB_IPV4_H
#define TALARIA_LIB_IPV4_H

#include "compiler.h"

#define IPV4_HLEN 20 /* without options */
#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff

struct ipv4_hdr {
	__u8 version_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__sum16 check;
	__be32 saddr;
	__be32 daddr;
} __attribute__((packed));

_Static_assert(sizeof(struct ipv4_hdr) == IPV4_HLEN, "IPv4 header without options is 20 bytes");

enum ipv4_check {
	IPV4_OK = 0,
	IPV4_TRUNCATED,   /* the buffer ends inside the header */
	IPV4_MALFORMED,   /* version is not 4, IHL < 5, or total length disagrees with the frame */
	IPV4_HAS_OPTIONS, /* IHL > 5 */
};

/*
 * The IPv4 header at byte `off` of the packet. Sets *ip only when the header is complete;
 * the checks are those the switch applies (docs/wire-format.md: PARSE_ERROR, IPV4_OPTIONS).
 */
static __always_inline enum ipv4_check ipv4_header(struct __sk_buff *skb, __u32 off,
						   struct ipv4_hdr **ip)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv4_hdr *hdr = data + off;
	__u16 tot_len;

	if ((void *)(hdr + 1) > data_end)
		return IPV4_TRUNCATED;
	if ((hdr->version_ihl >> 4) != 4 || (hdr->version_ihl & 0xf) < 5)
		return IPV4_MALFORMED;
	/* The frame may carry Ethernet padding after the datagram, never less than it. */
	tot_len = bpf_ntohs(hdr->tot_len);
	if (tot_len < IPV4_HLEN || off + tot_len > skb->len)
		return IPV4_MALFORMED;
	*ip = hdr;
	if ((hdr->version_ihl & 0xf) != 5)
		return IPV4_HAS_OPTIONS;
	return IPV4_OK;
}

/* Whether the datagram is a fragment (first or later): its L4 ports are not all there. */
static __always_inline bool ipv4_is_fragment(const struct ipv4_hdr *ip)
{
	return (ip->frag_off & bpf_htons(IPV4_MF | IPV4_OFFSET_MASK)) != 0;
}

#endif /* TALARIA_LIB_IPV4_H */

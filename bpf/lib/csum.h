/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Incremental checksum updates for address, port and TTL rewrites (RFC 1624 through the
 * kernel's csum helpers). The host programs never rewrite IPv4 or L4 headers; the switch
 * stand-in of the tests (bpf/tests/switch_standin.c) does, as the switch does.
 */
#ifndef TALARIA_LIB_CSUM_H
#define TALARIA_LIB_CSUM_H

#include "compiler.h"
#include "ipv4.h"
#include "l4.h"

#define IPV4_CSUM_OFF __builtin_offsetof(struct ipv4_hdr, check)
#define IPV4_SADDR_OFF __builtin_offsetof(struct ipv4_hdr, saddr)
#define IPV4_DADDR_OFF __builtin_offsetof(struct ipv4_hdr, daddr)
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6

static __always_inline __u32 l4_csum_off(__u8 protocol)
{
	return protocol == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF;
}

/* UDP's checksum 0 means "none": keep it so, and never write a computed 0. */
static __always_inline __u64 l4_csum_flags(__u8 protocol)
{
	return protocol == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
}

/*
 * Rewrites the IPv4 address at `addr_off` (IPV4_SADDR_OFF or IPV4_DADDR_OFF) of the header
 * at `ip_off`, fixing the IPv4 checksum and the TCP/UDP one (pseudo header) at `l4_off`.
 */
static __always_inline int csum_rewrite_addr(struct __sk_buff *skb, __u32 ip_off, __u32 l4_off,
					     __u8 protocol, __u32 addr_off, __be32 old_addr,
					     __be32 new_addr)
{
	int ret;

	ret = bpf_l4_csum_replace(skb, l4_off + l4_csum_off(protocol), old_addr, new_addr,
				  BPF_F_PSEUDO_HDR | l4_csum_flags(protocol) | sizeof(new_addr));
	if (ret < 0)
		return ret;
	ret = bpf_l3_csum_replace(skb, ip_off + IPV4_CSUM_OFF, old_addr, new_addr, sizeof(new_addr));
	if (ret < 0)
		return ret;
	return bpf_skb_store_bytes(skb, ip_off + addr_off, &new_addr, sizeof(new_addr), 0);
}

/* Rewrites the L4 port at `port_off` (0 source, 2 destination), fixing the L4 checksum. */
static __always_inline int csum_rewrite_port(struct __sk_buff *skb, __u32 l4_off, __u8 protocol,
					     __u32 port_off, __be16 old_port, __be16 new_port)
{
	int ret;

	ret = bpf_l4_csum_replace(skb, l4_off + l4_csum_off(protocol), old_port, new_port,
				  l4_csum_flags(protocol) | sizeof(new_port));
	if (ret < 0)
		return ret;
	return bpf_skb_store_bytes(skb, l4_off + port_off, &new_port, sizeof(new_port), 0);
}

/* Decrements the TTL of the IPv4 header at `ip_off` (whose TTL is above 1), fixing its checksum. */
static __always_inline int csum_decrement_ttl(struct __sk_buff *skb, __u32 ip_off, __u8 ttl,
					      __u8 protocol)
{
	/* TTL and protocol form one 16-bit word of the checksum. */
	__be16 old_word = bpf_htons(((__u16)ttl << 8) | protocol);
	__be16 new_word = bpf_htons(((__u16)(ttl - 1) << 8) | protocol);
	__u8 new_ttl = ttl - 1;
	int ret;

	ret = bpf_l3_csum_replace(skb, ip_off + IPV4_CSUM_OFF, old_word, new_word, sizeof(new_word));
	if (ret < 0)
		return ret;
	return bpf_skb_store_bytes(skb, ip_off + __builtin_offsetof(struct ipv4_hdr, ttl), &new_ttl,
				   sizeof(new_ttl), 0);
}

#endif /* TALARIA_LIB_CSUM_H */

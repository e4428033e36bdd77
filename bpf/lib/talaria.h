/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The Talaria header for C: docs/wire-format.md, version 1, byte for byte. A 16-byte shim
 * after the Ethernet header (EtherType 0x88B5) carrying the connection's cookie. The P4
 * program (p4/include/define.p4, header.p4) and src/wire must agree with every value here.
 */
#ifndef TALARIA_LIB_TALARIA_H
#define TALARIA_LIB_TALARIA_H

#include "compiler.h"
#include "eth.h"

#define TALARIA_ETHERTYPE 0x88B5 /* IEEE 802 Local Experimental EtherType 1 */
#define TALARIA_HLEN 16
#define TALARIA_VERSION 1

/* Flags: the low nibble of byte 0. */
#define TALARIA_FLAG_COOKIE 0x1 /* slot and tag are valid */
#define TALARIA_FLAG_REPLY 0x2	/* the packet goes backend -> client */
#define TALARIA_FLAGS_RESERVED 0xc /* zero on send, ignored on receive (as the switch does) */

/* Byte offsets within the header (docs/wire-format.md, "Byte layout"). */
#define TALARIA_OFF_VERSION_FLAGS 0
#define TALARIA_OFF_RESERVED 1
#define TALARIA_OFF_NEXT_TYPE 2
#define TALARIA_OFF_SERVICE_ID 4
#define TALARIA_OFF_SLOT 8
#define TALARIA_OFF_KEY_EPOCH 10
#define TALARIA_OFF_TAG 12

/*
 * The cookie as it sits on the wire, bytes 4..15 of the header: what hosts copy whole, never
 * compute (the key epoch included: docs/wire-format.md, "Key epochs").
 */
struct talaria_cookie {
	__be32 service_id;
	__be16 slot;
	__be16 key_epoch; /* epoch of the switch key that made the tag */
	__be32 tag;
} __attribute__((packed));

struct talaria_hdr {
	__u8 version_flags; /* version in bits 7..4, flags in bits 3..0 */
	__u8 reserved;	    /* zero on send, ignored on receive */
	__be16 next_type;   /* EtherType of what follows: 0x0800 */
	struct talaria_cookie cookie;
} __attribute__((packed));

_Static_assert(sizeof(struct talaria_cookie) == 12, "cookie is bytes 4..15 of the header");
_Static_assert(sizeof(struct talaria_hdr) == TALARIA_HLEN, "Talaria header is 16 bytes");
_Static_assert(__builtin_offsetof(struct talaria_hdr, next_type) == TALARIA_OFF_NEXT_TYPE,
	       "next_type at byte 2");
_Static_assert(__builtin_offsetof(struct talaria_hdr, cookie.service_id) == TALARIA_OFF_SERVICE_ID,
	       "service_id at byte 4");
_Static_assert(__builtin_offsetof(struct talaria_hdr, cookie.slot) == TALARIA_OFF_SLOT,
	       "slot at byte 8");
_Static_assert(__builtin_offsetof(struct talaria_hdr, cookie.key_epoch) == TALARIA_OFF_KEY_EPOCH,
	       "key_epoch at byte 10");
_Static_assert(__builtin_offsetof(struct talaria_hdr, cookie.tag) == TALARIA_OFF_TAG,
	       "tag at byte 12");

static __always_inline __u8 talaria_version(const struct talaria_hdr *hdr)
{
	return hdr->version_flags >> 4;
}

/* The defined flags of a received header; reserved bits are ignored. */
static __always_inline __u8 talaria_flags(const struct talaria_hdr *hdr)
{
	return hdr->version_flags & (TALARIA_FLAG_COOKIE | TALARIA_FLAG_REPLY);
}

/* The Talaria header after the Ethernet header, or NULL when the frame ends inside it. */
static __always_inline struct talaria_hdr *talaria_header(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct talaria_hdr *hdr = data + ETH_HLEN;

	if ((void *)(hdr + 1) > data_end)
		return NULL;
	return hdr;
}

/*
 * Inserts `hdr` between the Ethernet header and the IPv4 header of an IPv4 frame and writes
 * the Ethernet header in front of it (`dst`, `src`, EtherType 0x88B5). The IPv4 and L4
 * headers are not touched, so their checksums stay right (docs/wire-format.md).
 * Invalidates every packet pointer.
 */
static __always_inline int talaria_push(struct __sk_buff *skb, const struct talaria_hdr *hdr,
					const __u8 *dst, const __u8 *src)
{
	struct {
		struct eth_hdr eth;
		struct talaria_hdr talaria;
	} __attribute__((packed)) head;
	int ret;

	ret = bpf_skb_adjust_room(skb, TALARIA_HLEN, BPF_ADJ_ROOM_MAC, 0);
	if (ret < 0)
		return ret;
	__builtin_memcpy(head.eth.dst, dst, ETH_ALEN);
	__builtin_memcpy(head.eth.src, src, ETH_ALEN);
	head.eth.proto = bpf_htons(TALARIA_ETHERTYPE);
	head.talaria = *hdr;
	return bpf_skb_store_bytes(skb, 0, &head, sizeof(head), 0);
}

/*
 * Removes the Talaria header of a frame received with it, leaving an Ethernet frame of
 * EtherType `next_type` (network order) whose skb->protocol is `next_type` as well.
 *
 * Why the VLAN round trip: bpf_skb_adjust_room() refuses (-ENOTSUPP) an skb whose
 * skb->protocol is neither IPv4 nor IPv6, and a frame received with the Talaria EtherType
 * has skb->protocol 0x88B5. No helper sets skb->protocol, but popping an in-band VLAN tag
 * sets it from the tag's encapsulated EtherType. So: write next_type into the EtherType;
 * push a VLAN tag twice (the first goes to the skb's tag field, the second push moves that
 * one into the packet, in front of our EtherType); pop twice (the first pop drops the tag
 * field and moves the in-band tag back to it, setting skb->protocol = next_type; the second
 * drops it). Then adjust_room removes the 16 bytes. Invalidates every packet pointer.
 */
static __always_inline int talaria_strip(struct __sk_buff *skb, __be16 next_type)
{
	int ret;

	ret = bpf_skb_store_bytes(skb, __builtin_offsetof(struct eth_hdr, proto), &next_type,
				  sizeof(next_type), 0);
	if (ret < 0)
		return ret;
	ret = bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 0);
	if (ret < 0)
		return ret;
	ret = bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 0);
	if (ret < 0)
		return ret;
	ret = bpf_skb_vlan_pop(skb);
	if (ret < 0)
		return ret;
	ret = bpf_skb_vlan_pop(skb);
	if (ret < 0)
		return ret;
	if (skb->protocol != next_type || skb->vlan_present)
		return -1;
	return bpf_skb_adjust_room(skb, -TALARIA_HLEN, BPF_ADJ_ROOM_MAC, 0);
}

#endif /* TALARIA_LIB_TALARIA_H */

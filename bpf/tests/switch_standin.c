/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A stand-in for the top-of-rack switch, for the kernel tests and the benchmark where the
 * project's P4 pipeline is not at hand (docs/host-path.md). Attached to the TC ingress hook
 * of every switch port (veths in a "switch" network namespace), it does what
 * docs/wire-format.md says the switch does, for the state its maps hold:
 *
 * - a Talaria header only from an agent host's port (sw_agent_ports), never a cookie on a
 *   TCP SYN;
 * - request with a Talaria header to a frontend (sw_frontends): without cookie, choose a
 *   slot by a hash of the 5-tuple and write COOKIE, service_id, slot, key epoch and the
 *   HalfSipHash-2-4 tag; with a cookie, check service_id, epoch and tag, keep the slot and
 *   re-stamp with the current key. Rewrite the destination to the slot's backend
 *   (sw_backends);
 * - reply (REPLY flag): check the tag against the frontend of service_id
 *   (sw_reply_frontends), check that the source is the slot's backend, rewrite the source
 *   back to the VIP and re-stamp with the current key;
 * - then, like any IPv4 packet with or without header: route by destination (sw_routes),
 *   decrement the TTL, set the MACs and send it out of the route's port, header kept.
 *
 * Drops are counted by the shared reasons in sw_stats; the verdicts by SW_STAT_*. It keeps
 * no per-connection state, like the real switch. Not part of the product.
 */
#include "../lib/compiler.h"
#include "../lib/csum.h"
#include "../lib/drop_reasons.h"
#include "../lib/eth.h"
#include "../lib/ipv4.h"
#include "../lib/l4.h"
#include "../lib/map_types.h"
#include "../lib/talaria.h"

struct sw_frontend {
	__u32 service_id;
	__u32 backend_count; /* slots 0 .. backend_count-1 take new connections */
};

struct sw_backend_key {
	__u32 service_id;
	__u32 slot;
};

struct sw_backend {
	__be32 addr;
	__be16 port;
	__u16 pad;
};

struct sw_route_key {
	__u32 prefixlen;
	__be32 addr;
};

struct sw_route {
	__u32 ifindex;
	__u8 dst_mac[ETH_ALEN]; /* the host's uplink */
	__u8 src_mac[ETH_ALEN]; /* the switch port's */
};

/* tag_key of the P4 program: the epoch the switch stamps with and the keys as (k0, k1). */
struct sw_config {
	__u16 key_epoch;
	__u16 pad;
	__u32 current_key[2];
	__u32 previous_key[2];
};

struct sw_counter {
	__u64 packets;
	__u64 bytes;
};

/* Verdicts besides the shared drop reasons; index 0 counts frames that are not routed at all. */
enum sw_stat {
	SW_STAT_NOT_IPV4 = 0,
	SW_STAT_NEW_CONNECTION = 150,
	SW_STAT_COOKIE = 151,
	SW_STAT_REPLY = 152,
	SW_STAT_ROUTED = 153,
};

/* (VIP, port, protocol) -> the Service and how many slots take new connections. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct vip_key);
	__type(value, struct sw_frontend);
} sw_frontends SEC(".maps");

/* service_id -> its frontend, for replies. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct vip_key);
} sw_reply_frontends SEC(".maps");

/* (service_id, slot) -> backend address and port. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct sw_backend_key);
	__type(value, struct sw_backend);
} sw_backends SEC(".maps");

/* Destination prefix -> port and MACs. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sw_route_key);
	__type(value, struct sw_route);
} sw_routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_config);
} sw_config SEC(".maps");

/* Ingress ifindex of a port whose host runs the agent -> 1 (agent_ports of the P4 program). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, __u8);
} sw_agent_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct sw_counter);
} sw_stats SEC(".maps");

static __always_inline int count(__u32 code, __u32 bytes, int verdict)
{
	struct sw_counter *counter = bpf_map_lookup_elem(&sw_stats, &code);

	if (counter) {
		counter->packets++;
		counter->bytes += bytes;
	}
	return verdict;
}

/* Input of crc32_ieee(): up to 24 bytes (the slot hash uses 13). */
struct crc_input {
	__u8 bytes[24];
	__u32 len;
};

/*
 * The reflected IEEE CRC-32 (zlib's), bit by bit. A global function, so the verifier checks
 * it once for any input instead of unrolling it into every caller with the values it knows
 * there.
 */
__attribute__((noinline)) __u32 crc32_ieee(const struct crc_input *input)
{
	__u32 crc = 0xffffffff;

	if (!input)
		return 0;
	for (__u32 i = 0; i < sizeof(input->bytes) && i < input->len; i++) {
		crc ^= input->bytes[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
	}
	return ~crc;
}

/* The HalfSipHash-2-4 input of a tag: the key (k0, k1) and the five message words. */
struct tag_input {
	__u32 key[2];
	__u32 m[5];
};

#define ROTL32(x, b) (((x) << (b)) | ((x) >> (32 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v2 += v3;                                                                          \
		v1 = ROTL32(v1, 5) ^ v0;                                                           \
		v3 = ROTL32(v3, 8) ^ v2;                                                           \
		v0 = ROTL32(v0, 16);                                                               \
		v2 += v1;                                                                          \
		v0 += v3;                                                                          \
		v1 = ROTL32(v1, 13) ^ v2;                                                          \
		v3 = ROTL32(v3, 7) ^ v0;                                                           \
		v2 = ROTL32(v2, 16);                                                               \
	} while (0)

/*
 * HalfSipHash-2-4, 32-bit output, of the five words (docs/wire-format.md, "The tag"); a
 * global function for the same reason as crc32_ieee().
 */
__attribute__((noinline)) __u32 halfsiphash24(const struct tag_input *input)
{
	__u32 v0, v1, v2, v3;

	if (!input)
		return 0;
	v0 = input->key[0];
	v1 = input->key[1];
	v2 = input->key[0] ^ 0x6c796765;
	v3 = input->key[1] ^ 0x74656462;
	for (int i = 0; i < 5; i++) {
		__u32 m = input->m[i];

		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v1 ^ v3;
}

/* The tag of a cookie over the client-side tuple (network-order fields), in network order. */
static __always_inline __be32 cookie_tag(const __u32 key[2], __be32 client_addr, __be32 vip_addr,
					 __be16 client_port, __be16 vip_port, __u8 protocol,
					 __u32 service_id, __u16 slot)
{
	struct tag_input input = {
		.key = { key[0], key[1] },
		.m = {
			bpf_ntohl(client_addr),
			bpf_ntohl(vip_addr),
			((__u32)bpf_ntohs(client_port) << 16) | bpf_ntohs(vip_port),
			service_id,
			(19u << 24) | ((__u32)protocol << 16) | slot,
		},
	};

	return bpf_htonl(halfsiphash24(&input));
}

/*
 * Checks a cookie's epoch and tag (docs/wire-format.md, "Key epochs"); returns 0 or the
 * drop reason. *stamp gets the tag under the current key, which the switch always writes.
 */
static __always_inline __u32 cookie_check(const struct sw_config *config,
					  const struct talaria_hdr *hdr, __be32 client_addr,
					  __be32 vip_addr, __be16 client_port, __be16 vip_port,
					  __u8 protocol, __u32 service_id, __u16 slot, __be32 *stamp)
{
	__u16 epoch = bpf_ntohs(hdr->cookie.key_epoch);
	__be32 verify;

	*stamp = cookie_tag(config->current_key, client_addr, vip_addr, client_port, vip_port,
			    protocol, service_id, slot);
	if (epoch == config->key_epoch)
		verify = *stamp;
	else if (epoch == (__u16)(config->key_epoch - 1))
		verify = cookie_tag(config->previous_key, client_addr, vip_addr, client_port,
				    vip_port, protocol, service_id, slot);
	else
		return DROP_REASON_STALE_KEY_EPOCH;
	return verify == hdr->cookie.tag ? 0 : DROP_REASON_BAD_TAG;
}

/* The slot of a new connection: a hash of its 5-tuple, like the switch's action selector. */
static __always_inline __u32 select_slot(const struct ipv4_hdr *ip, const struct l4_ports *ports,
					 __u32 backend_count)
{
	struct crc_input tuple = { .len = 13 };

	__builtin_memcpy(tuple.bytes, &ip->saddr, 4);
	__builtin_memcpy(tuple.bytes + 4, &ip->daddr, 4);
	__builtin_memcpy(tuple.bytes + 8, &ports->sport, 2);
	__builtin_memcpy(tuple.bytes + 10, &ports->dport, 2);
	tuple.bytes[12] = ip->protocol;
	return crc32_ieee(&tuple) % backend_count;
}

SEC("tc")
int switch_standin(struct __sk_buff *skb)
{
	__u32 bytes = skb->len;
	__u32 zero = 0, ip_off = ETH_HLEN, l4_off, code = SW_STAT_ROUTED;
	struct talaria_hdr *hdr = NULL;
	struct sw_route_key route_key;
	struct sw_config *config;
	struct sw_route *route;
	struct ipv4_hdr *ip;
	struct l4_ports ports;
	struct eth_hdr *eth;
	__u8 ttl, protocol;
	__be32 daddr;

	eth = eth_header(skb);
	if (!eth)
		return count(DROP_REASON_PARSE_ERROR, bytes, TC_ACT_SHOT);
	if (eth->proto == bpf_htons(TALARIA_ETHERTYPE)) {
		hdr = talaria_header(skb);
		if (!hdr)
			return count(DROP_REASON_PARSE_ERROR, bytes, TC_ACT_SHOT);
		if (talaria_version(hdr) != TALARIA_VERSION)
			return count(DROP_REASON_BAD_VERSION, bytes, TC_ACT_SHOT);
		if (hdr->next_type != bpf_htons(ETH_P_IP))
			return count(DROP_REASON_UNSUPPORTED_NEXT_TYPE, bytes, TC_ACT_SHOT);
		ip_off += TALARIA_HLEN;
	} else if (eth->proto != bpf_htons(ETH_P_IP)) {
		return count(SW_STAT_NOT_IPV4, bytes, TC_ACT_SHOT);
	}
	switch (ipv4_header(skb, ip_off, &ip)) {
	case IPV4_OK:
		break;
	case IPV4_HAS_OPTIONS:
		return count(DROP_REASON_IPV4_OPTIONS, bytes, TC_ACT_SHOT);
	default:
		return count(DROP_REASON_PARSE_ERROR, bytes, TC_ACT_SHOT);
	}
	if (ip->ttl <= 1)
		return count(DROP_REASON_TTL_EXPIRED, bytes, TC_ACT_SHOT);
	l4_off = ip_off + IPV4_HLEN;
	protocol = ip->protocol;

	/* Only an agent host may send a header (docs/p4-pipeline.md, "Header admission"). */
	if (hdr) {
		__u32 ifindex = skb->ingress_ifindex;

		if (!bpf_map_lookup_elem(&sw_agent_ports, &ifindex))
			return count(DROP_REASON_NOT_AGENT_PORT, bytes, TC_ACT_SHOT);
	}

	if (hdr && !ipv4_is_fragment(ip) && l4_read_ports(skb, l4_off, protocol, &ports)) {
		__u8 flags = talaria_flags(hdr);
		__u32 service_id = bpf_ntohl(hdr->cookie.service_id);
		__u16 slot = bpf_ntohs(hdr->cookie.slot);
		struct sw_backend_key backend_key = {};
		struct sw_backend *backend;
		__u32 reason;
		__be32 tag;

		if ((flags & TALARIA_FLAG_COOKIE) && l4_is_tcp_open(protocol, &ports))
			return count(DROP_REASON_SYN_WITH_COOKIE, bytes, TC_ACT_SHOT);
		config = bpf_map_lookup_elem(&sw_config, &zero);
		if (!config)
			return count(DROP_REASON_NO_ROUTE, bytes, TC_ACT_SHOT);

		if (flags & TALARIA_FLAG_REPLY) {
			struct vip_key *vip = bpf_map_lookup_elem(&sw_reply_frontends, &service_id);
			__be32 backend_addr = ip->saddr;
			__be16 backend_port = ports.sport;
			struct {
				__be16 key_epoch;
				__be32 tag;
			} __attribute__((packed)) restamp;

			if (!vip)
				return count(DROP_REASON_UNKNOWN_SERVICE, bytes, TC_ACT_SHOT);
			if (!(flags & TALARIA_FLAG_COOKIE))
				return count(DROP_REASON_BAD_TAG, bytes, TC_ACT_SHOT);
			reason = cookie_check(config, hdr, ip->daddr, vip->addr, ports.dport,
					      vip->port, protocol, service_id, slot, &tag);
			if (reason)
				return count(reason, bytes, TC_ACT_SHOT);
			backend_key.service_id = service_id;
			backend_key.slot = slot;
			backend = bpf_map_lookup_elem(&sw_backends, &backend_key);
			if (!backend)
				return count(DROP_REASON_UNKNOWN_SLOT, bytes, TC_ACT_SHOT);
			if (backend->addr != backend_addr || backend->port != backend_port)
				return count(DROP_REASON_REPLY_NOT_FROM_BACKEND, bytes, TC_ACT_SHOT);
			restamp.key_epoch = bpf_htons(config->key_epoch);
			restamp.tag = tag;
			if (bpf_skb_store_bytes(skb, ETH_HLEN + TALARIA_OFF_KEY_EPOCH, &restamp,
						sizeof(restamp), 0) < 0 ||
			    csum_rewrite_addr(skb, ip_off, l4_off, protocol, IPV4_SADDR_OFF,
					      backend_addr, vip->addr) < 0 ||
			    csum_rewrite_port(skb, l4_off, protocol, 0, backend_port, vip->port) < 0)
				return count(DROP_REASON_PARSE_ERROR, bytes, TC_ACT_SHOT);
			code = SW_STAT_REPLY;
		} else {
			struct vip_key vip = {
				.addr = ip->daddr,
				.port = ports.dport,
				.protocol = protocol,
			};
			struct sw_frontend *frontend = bpf_map_lookup_elem(&sw_frontends, &vip);
			struct talaria_hdr stamped = {};

			if (!frontend)
				goto route;
			if (flags & TALARIA_FLAG_COOKIE) {
				if (service_id != frontend->service_id)
					return count(DROP_REASON_SERVICE_MISMATCH, bytes, TC_ACT_SHOT);
				reason = cookie_check(config, hdr, ip->saddr, vip.addr, ports.sport,
						      vip.port, protocol, service_id, slot, &tag);
				if (reason)
					return count(reason, bytes, TC_ACT_SHOT);
				code = SW_STAT_COOKIE;
			} else {
				if (frontend->backend_count == 0)
					return count(DROP_REASON_NO_BACKEND, bytes, TC_ACT_SHOT);
				service_id = frontend->service_id;
				slot = select_slot(ip, &ports, frontend->backend_count);
				tag = cookie_tag(config->current_key, ip->saddr, vip.addr, ports.sport,
						 vip.port, protocol, service_id, slot);
				code = SW_STAT_NEW_CONNECTION;
			}
			backend_key.service_id = service_id;
			backend_key.slot = slot;
			backend = bpf_map_lookup_elem(&sw_backends, &backend_key);
			if (!backend)
				return count(DROP_REASON_UNKNOWN_SLOT, bytes, TC_ACT_SHOT);
			/* The header afresh, with the current key, as the P4 program writes it. */
			stamped.version_flags = (TALARIA_VERSION << 4) | TALARIA_FLAG_COOKIE;
			stamped.next_type = bpf_htons(ETH_P_IP);
			stamped.cookie.service_id = bpf_htonl(service_id);
			stamped.cookie.slot = bpf_htons(slot);
			stamped.cookie.key_epoch = bpf_htons(config->key_epoch);
			stamped.cookie.tag = tag;
			if (bpf_skb_store_bytes(skb, ETH_HLEN, &stamped, sizeof(stamped), 0) < 0 ||
			    csum_rewrite_addr(skb, ip_off, l4_off, protocol, IPV4_DADDR_OFF, vip.addr,
					      backend->addr) < 0 ||
			    csum_rewrite_port(skb, l4_off, protocol, 2, vip.port, backend->port) < 0)
				return count(DROP_REASON_PARSE_ERROR, bytes, TC_ACT_SHOT);
		}
		/* The helpers above moved the packet: find the IPv4 header again. */
		if (ipv4_header(skb, ip_off, &ip) != IPV4_OK)
			return count(DROP_REASON_PARSE_ERROR, bytes, TC_ACT_SHOT);
	}

route:
	daddr = ip->daddr;
	ttl = ip->ttl;
	route_key.prefixlen = 32;
	route_key.addr = daddr;
	route = bpf_map_lookup_elem(&sw_routes, &route_key);
	if (!route)
		return count(DROP_REASON_NO_ROUTE, bytes, TC_ACT_SHOT);
	if (csum_decrement_ttl(skb, ip_off, ttl, protocol) < 0 ||
	    eth_store_macs(skb, route->dst_mac, route->src_mac) < 0)
		return count(DROP_REASON_PARSE_ERROR, bytes, TC_ACT_SHOT);
	count(code, bytes, 0);
	return bpf_redirect(route->ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

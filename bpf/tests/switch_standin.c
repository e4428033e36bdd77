/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A stand-in for the top-of-rack switch, for the kernel tests and the benchmark where the
 * project's P4 pipeline is not at hand (docs/host-path.md). Attached to the TC ingress hook
 * of every switch port (veths in a "switch" network namespace), it does what
 * docs/wire-format.md says the switch does, for the state its maps hold:
 *
 * - request with a Talaria header to a frontend (sw_frontends): without cookie, choose a
 *   slot by a hash of the 5-tuple and write COOKIE, service_id, slot and the CRC-32 tag;
 *   with a cookie, check service_id and tag and keep the slot. Rewrite the destination to
 *   the slot's backend (sw_backends);
 * - reply (REPLY flag): check the tag against the frontend of service_id
 *   (sw_reply_frontends) and rewrite the source back to the VIP;
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

struct sw_config {
	__u32 tag_key;
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

/* Input of crc32_ieee(): the 23 bytes of a tag, or fewer for the slot hash. */
struct crc_input {
	__u8 bytes[24];
	__u32 len;
};

/*
 * The reflected IEEE CRC-32 (zlib's), bit by bit: 23 bytes per packet is little work. A
 * global function, so the verifier checks it once for any input instead of unrolling it
 * into every caller with the values it knows there.
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

/* docs/wire-format.md, "The tag": over the client-side tuple, big-endian fields. */
static __always_inline __be32 cookie_tag(__u32 key, __be32 client_addr, __be32 vip_addr,
					 __be16 client_port, __be16 vip_port, __u8 protocol,
					 __u32 service_id, __u16 slot)
{
	struct crc_input input = { .len = 23 };
	__be32 key_be = bpf_htonl(key);
	__be32 service_be = bpf_htonl(service_id);
	__be16 slot_be = bpf_htons(slot);

	__builtin_memcpy(input.bytes, &key_be, 4);
	__builtin_memcpy(input.bytes + 4, &client_addr, 4);
	__builtin_memcpy(input.bytes + 8, &vip_addr, 4);
	__builtin_memcpy(input.bytes + 12, &client_port, 2);
	__builtin_memcpy(input.bytes + 14, &vip_port, 2);
	input.bytes[16] = protocol;
	__builtin_memcpy(input.bytes + 17, &service_be, 4);
	__builtin_memcpy(input.bytes + 21, &slot_be, 2);
	return bpf_htonl(crc32_ieee(&input));
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

	if (hdr && !ipv4_is_fragment(ip) && l4_read_ports(skb, l4_off, protocol, &ports)) {
		__u8 flags = talaria_flags(hdr);
		__u32 service_id = bpf_ntohl(hdr->cookie.service_id);
		__u16 slot = bpf_ntohs(hdr->cookie.slot);

		config = bpf_map_lookup_elem(&sw_config, &zero);
		if (!config)
			return count(DROP_REASON_NO_ROUTE, bytes, TC_ACT_SHOT);

		if (flags & TALARIA_FLAG_REPLY) {
			struct vip_key *vip = bpf_map_lookup_elem(&sw_reply_frontends, &service_id);
			__be32 backend_addr = ip->saddr;
			__be16 backend_port = ports.sport;

			if (!vip)
				return count(DROP_REASON_UNKNOWN_SERVICE, bytes, TC_ACT_SHOT);
			if (hdr->cookie.tag != cookie_tag(config->tag_key, ip->daddr, vip->addr,
							  ports.dport, vip->port, protocol,
							  service_id, slot))
				return count(DROP_REASON_BAD_TAG, bytes, TC_ACT_SHOT);
			if (csum_rewrite_addr(skb, ip_off, l4_off, protocol, IPV4_SADDR_OFF,
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
			struct sw_backend_key backend_key = {};
			struct sw_backend *backend;

			if (!frontend)
				goto route;
			if (flags & TALARIA_FLAG_COOKIE) {
				if (service_id != frontend->service_id)
					return count(DROP_REASON_SERVICE_MISMATCH, bytes, TC_ACT_SHOT);
				if (hdr->cookie.tag != cookie_tag(config->tag_key, ip->saddr, vip.addr,
								  ports.sport, vip.port, protocol,
								  service_id, slot))
					return count(DROP_REASON_BAD_TAG, bytes, TC_ACT_SHOT);
				code = SW_STAT_COOKIE;
			} else {
				struct talaria_hdr stamped = {};

				if (frontend->backend_count == 0)
					return count(DROP_REASON_NO_BACKEND, bytes, TC_ACT_SHOT);
				service_id = frontend->service_id;
				slot = select_slot(ip, &ports, frontend->backend_count);
				stamped.version_flags = (TALARIA_VERSION << 4) | TALARIA_FLAG_COOKIE;
				stamped.next_type = bpf_htons(ETH_P_IP);
				stamped.cookie.service_id = bpf_htonl(service_id);
				stamped.cookie.slot = bpf_htons(slot);
				stamped.cookie.tag = cookie_tag(config->tag_key, ip->saddr, vip.addr,
								ports.sport, vip.port, protocol,
								service_id, slot);
				if (bpf_skb_store_bytes(skb, ETH_HLEN, &stamped, sizeof(stamped), 0) < 0)
					return count(DROP_REASON_PARSE_ERROR, bytes, TC_ACT_SHOT);
				code = SW_STAT_NEW_CONNECTION;
			}
			backend_key.service_id = service_id;
			backend_key.slot = slot;
			backend = bpf_map_lookup_elem(&sw_backends, &backend_key);
			if (!backend)
				return count(DROP_REASON_UNKNOWN_SLOT, bytes, TC_ACT_SHOT);
			if (csum_rewrite_addr(skb, ip_off, l4_off, protocol, IPV4_DADDR_OFF, vip.addr,
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

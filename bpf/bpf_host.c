/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Wire side of the host fast path (docs/host-path.md). Attached by the node agent to the TC ingress
 * hook of the uplink, so it sees every frame from the top-of-rack switch:
 *
 * - a frame with a Talaria header for a local pod: the cookie is learned (REPLY: this host
 *   is the client; kept only for a flow the pod started, in its client flow entry by the
 *   client-side 5-tuple) or remembered (no REPLY: a local backend serves the connection;
 *   kept in the backend flow maps by the backend-side 5-tuple, half-open until the client
 *   confirms the flow: flow.h), the header is stripped, and the packet is delivered straight
 *   into the pod with bpf_redirect_peer();
 * - a valid Talaria frame for anything else: stripped and left to the kernel;
 * - a malformed or forged header: dropped and counted by reason (drop_reasons.h);
 * - a frame without the header: left to the kernel untouched.
 *
 * A header without COOKIE to a local pod ends the backend flow of its 5-tuple, as
 * talaria_to_pod (bpf_lxc.c) does for connections that take the kernel's path.
 */
#include "lib/compiler.h"
#include "lib/drop_reasons.h"
#include "lib/eth.h"
#include "lib/flow.h"
#include "lib/ipv4.h"
#include "lib/l4.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/talaria.h"

/* The checks a host can make of a header it cannot authenticate (only the switch knows the key). */
static __always_inline __u32 header_drop_reason(const struct talaria_hdr *hdr)
{
	__u8 flags = talaria_flags(hdr);

	if (talaria_version(hdr) != TALARIA_VERSION)
		return DROP_REASON_BAD_VERSION;
	if (hdr->next_type != bpf_htons(ETH_P_IP))
		return DROP_REASON_UNSUPPORTED_NEXT_TYPE;
	if ((flags & TALARIA_FLAG_REPLY) && !(flags & TALARIA_FLAG_COOKIE))
		return HOST_DROP_REPLY_WITHOUT_COOKIE;
	if ((flags & TALARIA_FLAG_COOKIE) && hdr->cookie.service_id == 0)
		return HOST_DROP_COOKIE_WITHOUT_SERVICE;
	return 0;
}

/*
 * Stores the cookie in the flow map of this host's role in the connection. Returns the stat
 * code of the delivery.
 */
static __always_inline __u32 learn(struct __sk_buff *skb, const struct talaria_hdr *hdr,
				   const struct ipv4_hdr *ip)
{
	__u8 flags = talaria_flags(hdr);
	struct l4_ports ports;
	struct flow_key key;

	if (ipv4_is_fragment(ip) ||
	    !l4_read_ports(skb, ETH_HLEN + TALARIA_HLEN + IPV4_HLEN, ip->protocol, &ports)) {
		if (!(flags & TALARIA_FLAG_COOKIE))
			return STAT_FWD_TO_POD_NO_COOKIE;
		stats_count(STAT_EVENT_NOT_LEARNABLE, 0);
		return flags & TALARIA_FLAG_REPLY ? STAT_FWD_TO_POD_CLIENT : STAT_FWD_TO_POD_BACKEND;
	}
	if (!(flags & TALARIA_FLAG_COOKIE)) {
		flow_end_backend(ip->saddr, ip->daddr, &ports, ip->protocol);
		return STAT_FWD_TO_POD_NO_COOKIE;
	}
	if (flags & TALARIA_FLAG_REPLY) {
		/*
		 * Backend -> client after the switch restored the VIP as source. Only a flow the
		 * pod started (bpf_lxc.c made its entry) keeps the cookie: a cookie from the wire
		 * never creates a flow whose packets this host would stamp.
		 */
		flow_key_set(&key, ip->daddr, ip->saddr, ports.dport, ports.sport, ip->protocol);
		if (!flow_refresh(&tl_client_flow, &key, &hdr->cookie) &&
		    !flow_refresh(&tl_client_half, &key, &hdr->cookie))
			stats_count(STAT_EVENT_REPLY_NOT_STARTED, 0);
		return STAT_FWD_TO_POD_CLIENT;
	}
	/* Client -> backend after the switch rewrote the destination to the backend. */
	flow_key_set(&key, ip->saddr, ip->daddr, ports.sport, ports.dport, ip->protocol);
	if (l4_is_tcp_open(ip->protocol, &ports)) {
		/* A new connection, maybe on a reused 5-tuple: half-open until confirmed. */
		bpf_map_delete_elem(&tl_backend_flow, &key);
		flow_remember(&tl_backend_half, &key, &hdr->cookie);
		return STAT_FWD_TO_POD_BACKEND;
	}
	if (flow_refresh(&tl_backend_flow, &key, &hdr->cookie))
		return STAT_FWD_TO_POD_BACKEND;
	if (flow_confirms(ip->protocol, &ports) && bpf_map_lookup_elem(&tl_backend_half, &key))
		flow_promote(&tl_backend_half, &tl_backend_flow, &key, &hdr->cookie);
	else
		flow_remember(&tl_backend_half, &key, &hdr->cookie);
	return STAT_FWD_TO_POD_BACKEND;
}

SEC("tc")
int talaria_from_uplink(struct __sk_buff *skb)
{
	__u32 bytes = skb->len;
	struct talaria_hdr *hdr;
	struct local_pod *pod;
	struct ipv4_hdr *ip;
	struct eth_hdr *eth;
	__be16 next_type;
	__u32 reason;
	__u32 code;
	__be32 daddr;

	eth = eth_header(skb);
	if (!eth || eth->proto != bpf_htons(TALARIA_ETHERTYPE))
		return pass(STAT_PASS_NOT_TALARIA, bytes);
	hdr = talaria_header(skb);
	if (!hdr)
		return drop(DROP_REASON_PARSE_ERROR, bytes);
	reason = header_drop_reason(hdr);
	if (reason)
		return drop(reason, bytes);
	switch (ipv4_header(skb, ETH_HLEN + TALARIA_HLEN, &ip)) {
	case IPV4_OK:
		break;
	case IPV4_HAS_OPTIONS:
		return drop(DROP_REASON_IPV4_OPTIONS, bytes);
	default:
		return drop(DROP_REASON_PARSE_ERROR, bytes);
	}

	daddr = ip->daddr;
	next_type = hdr->next_type;
	pod = bpf_map_lookup_elem(&tl_local_pods, &daddr);
	code = pod ? learn(skb, hdr, ip) : STAT_PASS_NOT_LOCAL_POD;

	if (talaria_strip(skb, next_type) < 0)
		return drop(HOST_DROP_STRIP_FAILED, bytes);
	if (!pod)
		return pass(code, bytes);
	if (eth_store_macs(skb, pod->pod_mac, pod->host_mac) < 0)
		return drop(HOST_DROP_STRIP_FAILED, bytes);
	stats_count(code, bytes);
	return bpf_redirect_peer(pod->host_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

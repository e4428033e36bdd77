/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Pod side of the host fast path (issue 7). talaria_from_pod is attached by the node agent
 * to the TC ingress hook of each pod's host-side veth, so it sees every packet the pod
 * sends:
 *
 * - to an offloaded Service VIP: adds the Talaria header, with the connection's cookie when
 *   the client flow map has one and flags 0 on the first packet, and redirects it to the
 *   uplink with the uplink's and the switch's MACs;
 * - a backend pod's reply to a connection that came through the switch (backend flow map):
 *   adds the header with COOKIE|REPLY and the remembered cookie, and redirects it likewise;
 * - anything else, including traffic to pods on other hosts, continues on the kernel's
 *   path untouched (docs/host-path.md says why pod-to-pod stays there).
 *
 * The IPv4 and L4 headers leave the host as the pod wrote them: no TTL change, no checksum
 * change (docs/wire-format.md). Every verdict is counted (stats.h).
 *
 * talaria_to_pod is attached to the TC egress hook of the same veth: it sees what the
 * kernel's path delivers to the pod (bpf_redirect_peer() deliveries from the uplink skip
 * that hook), and a new connection there ends the backend flow of its 5-tuple.
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

/* Adds `hdr` and sends the packet to the switch. */
static __always_inline int to_switch(struct __sk_buff *skb, const struct datapath_config *config,
				     const struct talaria_hdr *hdr, __u32 code, __u32 bytes)
{
	if (talaria_push(skb, hdr, config->switch_mac, config->uplink_mac) < 0)
		return drop(HOST_DROP_PUSH_FAILED, bytes);
	stats_count(code, bytes);
	return bpf_redirect(config->uplink_ifindex, 0);
}

static __always_inline void header_init(struct talaria_hdr *hdr, __u8 flags)
{
	__builtin_memset(hdr, 0, sizeof(*hdr));
	hdr->version_flags = (TALARIA_VERSION << 4) | flags;
	hdr->next_type = bpf_htons(ETH_P_IP);
}

/* A pod's packet to an offloaded VIP: stamp the cookie it has, or ask the switch for one. */
static __always_inline int client_to_vip(struct __sk_buff *skb,
					 const struct datapath_config *config,
					 const struct ipv4_hdr *ip, const struct l4_ports *ports,
					 __u32 bytes)
{
	struct talaria_hdr hdr;
	struct flow_key key;
	struct flow_entry *entry;
	bool expired;

	flow_key_set(&key, ip->saddr, ip->daddr, ports->sport, ports->dport, ip->protocol);
	if (l4_is_tcp_open(ip->protocol, ports)) {
		/* A new connection on a reused 5-tuple gets a fresh choice, never a stale slot. */
		if (bpf_map_delete_elem(&tl_client_flow, &key) == 0)
			stats_count(STAT_EVENT_CLIENT_FLOW_RESET, 0);
		entry = NULL;
	} else {
		entry = flow_lookup(&tl_client_flow, &key, config, &expired);
		if (expired)
			stats_count(STAT_EVENT_CLIENT_FLOW_EXPIRED, 0);
	}
	if (!entry) {
		header_init(&hdr, 0);
		return to_switch(skb, config, &hdr, STAT_FWD_FIRST_PACKET, bytes);
	}
	header_init(&hdr, TALARIA_FLAG_COOKIE);
	hdr.cookie = entry->cookie;
	return to_switch(skb, config, &hdr, STAT_FWD_COOKIE, bytes);
}

SEC("tc")
int talaria_from_pod(struct __sk_buff *skb)
{
	__u32 bytes = skb->len;
	struct datapath_config *config;
	struct flow_entry *entry;
	struct talaria_hdr hdr;
	struct vip_info *vip;
	struct ipv4_hdr *ip;
	struct l4_ports ports;
	struct vip_key vip_key;
	struct flow_key key;
	struct eth_hdr *eth;
	__u32 zero = 0;
	bool expired;

	eth = eth_header(skb);
	if (!eth)
		return pass(STAT_PASS_NOT_IPV4, bytes);
	if (eth->proto == bpf_htons(TALARIA_ETHERTYPE))
		return drop(HOST_DROP_POD_SENT_TALARIA, bytes);
	if (eth->proto != bpf_htons(ETH_P_IP))
		return pass(STAT_PASS_NOT_IPV4, bytes);

	config = bpf_map_lookup_elem(&tl_config, &zero);
	if (!config || !(config->flags & CONFIG_F_ENABLED) || config->uplink_ifindex == 0)
		return pass(STAT_PASS_DISABLED, bytes);

	switch (ipv4_header(skb, ETH_HLEN, &ip)) {
	case IPV4_OK:
		break;
	case IPV4_HAS_OPTIONS:
		return pass(STAT_PASS_IPV4_OPTIONS, bytes);
	default:
		return pass(STAT_PASS_MALFORMED_IPV4, bytes);
	}
	if (ipv4_is_fragment(ip))
		return pass(STAT_PASS_FRAGMENT, bytes);
	if (!l4_read_ports(skb, ETH_HLEN + IPV4_HLEN, ip->protocol, &ports))
		return pass(STAT_PASS_NOT_SERVICE, bytes);

	vip_key.addr = ip->daddr;
	vip_key.port = ports.dport;
	vip_key.protocol = ip->protocol;
	vip_key.pad = 0;
	vip = bpf_map_lookup_elem(&tl_vips, &vip_key);
	if (vip) {
		if (!(vip->flags & VIP_F_OFFLOADED))
			return pass(STAT_PASS_NOT_OFFLOADED, bytes);
		if (skb->gso_size != 0)
			return pass(STAT_PASS_GSO, bytes);
		return client_to_vip(skb, config, ip, &ports, bytes);
	}

	/* A reply of a local backend: the request's client is this packet's destination. */
	flow_key_set(&key, ip->daddr, ip->saddr, ports.dport, ports.sport, ip->protocol);
	entry = flow_lookup(&tl_backend_flow, &key, config, &expired);
	if (!entry)
		return pass(expired ? STAT_PASS_BACKEND_FLOW_EXPIRED : STAT_PASS_NOT_SERVICE, bytes);
	if (skb->gso_size != 0)
		return pass(STAT_PASS_GSO, bytes);
	header_init(&hdr, TALARIA_FLAG_COOKIE | TALARIA_FLAG_REPLY);
	hdr.cookie = entry->cookie;
	return to_switch(skb, config, &hdr, STAT_FWD_REPLY, bytes);
}

SEC("tc")
int talaria_to_pod(struct __sk_buff *skb)
{
	__u32 bytes = skb->len;
	struct l4_ports ports;
	struct ipv4_hdr *ip;
	struct eth_hdr *eth;

	eth = eth_header(skb);
	if (eth && eth->proto == bpf_htons(ETH_P_IP) &&
	    ipv4_header(skb, ETH_HLEN, &ip) == IPV4_OK && !ipv4_is_fragment(ip) &&
	    l4_read_ports(skb, ETH_HLEN + IPV4_HLEN, ip->protocol, &ports) &&
	    (ip->protocol == IPPROTO_UDP || l4_is_tcp_open(ip->protocol, &ports)))
		flow_end_backend(ip->saddr, ip->daddr, &ports, ip->protocol);
	return pass(STAT_PASS_TO_POD, bytes);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

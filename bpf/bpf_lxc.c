/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Pod side of the host fast path (docs/host-path.md). talaria_from_pod is attached by the node agent
 * to the TC ingress hook of each pod's host-side veth, so it sees every packet the pod
 * sends:
 *
 * - an IPv4 packet whose source address is not the pod behind this veth, or whose source MAC
 *   is not that pod's: dropped (HOST_DROP_SPOOFED_SOURCE) before anything else, so no pod
 *   gets a cookie stamped that another pod's flow left (docs/security.md);
 * - to an offloaded Service VIP: adds the Talaria header, with the connection's cookie when
 *   the client flow map has one and flags 0 on the first packet, and redirects it to the
 *   uplink with the uplink's and the switch's MACs; a flow gets a cookie only when this pod
 *   started it here (flow.h, half-open flows);
 * - a backend pod's reply to a connection that came through the switch (backend flow map):
 *   adds the header with COOKIE|REPLY and the remembered cookie, and redirects it likewise;
 * - from a pod an egress NetworkPolicy selects (tl_policy_clients) to a VIP: left to the
 *   kernel's path, where the policy is enforced;
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

/* Sets `hdr` to carry `cookie` with `flags` (COOKIE, and REPLY for a backend's reply). */
static __always_inline void header_set_cookie(struct talaria_hdr *hdr, __u8 flags,
					      const struct talaria_cookie *cookie)
{
	header_init(hdr, flags);
	hdr->cookie = *cookie;
}

/*
 * The header of a pod's packet to an offloaded VIP: the cookie its flow has, or none (the
 * switch chooses). The pod starting a flow (SYN, or any packet of a flow without an entry)
 * opens a half-open entry; bpf_host.c fills in the cookie of the switch's reply, and the
 * pod's confirming packet moves it to tl_client_flow. Returns the stat code.
 */
static __always_inline __u32 client_header(const struct datapath_config *config,
					   const struct ipv4_hdr *ip, const struct l4_ports *ports,
					   struct talaria_hdr *hdr)
{
	struct talaria_cookie no_cookie = {};
	struct flow_entry *entry;
	struct flow_key key;
	bool expired;

	header_init(hdr, 0);
	flow_key_set(&key, ip->saddr, ip->daddr, ports->sport, ports->dport, ip->protocol);
	if (l4_is_tcp_open(ip->protocol, ports)) {
		/* A new connection on a reused 5-tuple gets a fresh choice, never a stale slot. */
		if (bpf_map_delete_elem(&tl_client_flow, &key) == 0)
			stats_count(STAT_EVENT_CLIENT_FLOW_RESET, 0);
		flow_remember(&tl_client_half, &key, &no_cookie);
		return STAT_FWD_FIRST_PACKET;
	}
	entry = flow_lookup(&tl_client_flow, &key, config, &expired);
	if (expired)
		stats_count(STAT_EVENT_CLIENT_FLOW_EXPIRED, 0);
	if (entry) {
		header_set_cookie(hdr, TALARIA_FLAG_COOKIE, &entry->cookie);
		return STAT_FWD_COOKIE;
	}

	entry = flow_lookup(&tl_client_half, &key, config, &expired);
	/* Keeps clang from merging the two lookups' pointers with an OR the verifier refuses. */
	barrier_var(entry);
	if (!entry) {
		flow_remember(&tl_client_half, &key, &no_cookie);
		return STAT_FWD_FIRST_PACKET;
	}
	if (entry->cookie.service_id == 0) /* the switch's reply has not come yet */
		return STAT_FWD_FIRST_PACKET;
	header_set_cookie(hdr, TALARIA_FLAG_COOKIE, &entry->cookie);
	if (flow_confirms(ip->protocol, ports))
		flow_promote(&tl_client_half, &tl_client_flow, &key, &hdr->cookie);
	return STAT_FWD_COOKIE;
}

/*
 * Whether an IPv4 packet comes from the pod behind this veth: tl_local_pods maps its source
 * address to a pod whose veth is the one it arrived on (skb->ifindex, the host side at TC
 * ingress) and whose MAC is its source MAC.
 */
static __always_inline bool from_own_pod(const struct __sk_buff *skb, const struct eth_hdr *eth,
					 __be32 saddr)
{
	const struct local_pod *pod = bpf_map_lookup_elem(&tl_local_pods, &saddr);

	return pod && pod->host_ifindex == skb->ifindex && eth_addr_equal(eth->src, pod->pod_mac);
}

SEC("tc")
int talaria_from_pod(struct __sk_buff *skb)
{
	__u32 bytes = skb->len;
	struct datapath_config *config;
	enum ipv4_check ipv4_check;
	struct flow_entry *entry;
	struct talaria_hdr hdr;
	struct vip_info *vip;
	struct ipv4_hdr *ip;
	struct l4_ports ports;
	struct vip_key vip_key;
	struct flow_key key;
	struct eth_hdr *eth;
	bool half_expired = false;
	__u32 zero = 0;
	__u32 code;
	bool expired;

	eth = eth_header(skb);
	if (!eth)
		return pass(STAT_PASS_NOT_IPV4, bytes);
	if (eth->proto == bpf_htons(TALARIA_ETHERTYPE))
		return drop(HOST_DROP_POD_SENT_TALARIA, bytes);
	if (eth->proto != bpf_htons(ETH_P_IP))
		return pass(STAT_PASS_NOT_IPV4, bytes);
	ipv4_check = ipv4_header(skb, ETH_HLEN, &ip);
	if (ipv4_check != IPV4_OK && ipv4_check != IPV4_HAS_OPTIONS)
		return pass(STAT_PASS_MALFORMED_IPV4, bytes);
	if (!from_own_pod(skb, eth, ip->saddr))
		return drop(HOST_DROP_SPOOFED_SOURCE, bytes);

	config = bpf_map_lookup_elem(&tl_config, &zero);
	if (!config || !(config->flags & CONFIG_F_ENABLED) || config->uplink_ifindex == 0)
		return pass(STAT_PASS_DISABLED, bytes);
	if (ipv4_check == IPV4_HAS_OPTIONS)
		return pass(STAT_PASS_IPV4_OPTIONS, bytes);
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
		if (bpf_map_lookup_elem(&tl_policy_clients, &ip->saddr))
			return pass(STAT_PASS_POLICY_CLIENT, bytes);
		if (skb->gso_size != 0)
			return pass(STAT_PASS_GSO, bytes);
		code = client_header(config, ip, &ports, &hdr);
		return to_switch(skb, config, &hdr, code, bytes);
	}

	/* A reply of a local backend: the request's client is this packet's destination. */
	flow_key_set(&key, ip->daddr, ip->saddr, ports.dport, ports.sport, ip->protocol);
	entry = flow_lookup(&tl_backend_flow, &key, config, &expired);
	if (!entry) {
		entry = flow_lookup(&tl_backend_half, &key, config, &half_expired);
		/* Keeps clang from merging the two lookups' pointers with an OR the verifier refuses. */
		barrier_var(entry);
	}
	if (!entry)
		return pass(expired || half_expired ? STAT_PASS_BACKEND_FLOW_EXPIRED
						    : STAT_PASS_NOT_SERVICE,
			    bytes);
	if (skb->gso_size != 0)
		return pass(STAT_PASS_GSO, bytes);
	header_set_cookie(&hdr, TALARIA_FLAG_COOKIE | TALARIA_FLAG_REPLY, &entry->cookie);
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

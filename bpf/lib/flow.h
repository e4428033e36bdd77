/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The flow maps: looking up a cookie with its idle timeout, and remembering one. */
#ifndef TALARIA_LIB_FLOW_H
#define TALARIA_LIB_FLOW_H

#include "compiler.h"
#include "l4.h"
#include "maps.h"
#include "stats.h"

static __always_inline void flow_key_set(struct flow_key *key, __be32 client_addr,
					 __be32 server_addr, __be16 client_port,
					 __be16 server_port, __u8 protocol)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->client_addr = client_addr;
	key->server_addr = server_addr;
	key->client_port = client_port;
	key->server_port = server_port;
	key->protocol = protocol;
}

/*
 * Whether an entry has been idle longer than its protocol's timeout (docs/host-path.md: UDP flows
 * expire by idle time; TCP ones only when a TCP timeout is configured, the LRU otherwise).
 */
static __always_inline bool flow_expired(const struct flow_entry *entry, __u8 protocol,
					 const struct datapath_config *config, __u64 now)
{
	__u64 timeout = protocol == IPPROTO_UDP ? config->udp_idle_timeout_ns
						: config->tcp_idle_timeout_ns;

	return timeout != 0 && now - entry->last_seen_ns > timeout;
}

/*
 * The live entry of `key` in `map`, with its last-seen time refreshed; an expired entry is
 * deleted and reported as *expired.
 */
static __always_inline struct flow_entry *flow_lookup(void *map, const struct flow_key *key,
						      const struct datapath_config *config,
						      bool *expired)
{
	struct flow_entry *entry = bpf_map_lookup_elem(map, key);
	__u64 now = bpf_ktime_get_ns();

	*expired = false;
	if (!entry)
		return NULL;
	if (flow_expired(entry, key->protocol, config, now)) {
		bpf_map_delete_elem(map, key);
		*expired = true;
		return NULL;
	}
	entry->last_seen_ns = now;
	return entry;
}

/*
 * Half-open and established flows (docs/host-path.md, "Half-open flows"). A new flow goes to
 * the side's half-open map (tl_client_half, tl_backend_half) and moves to the established
 * map (tl_client_flow, tl_backend_flow) only when a packet confirms it, so a flood of new
 * flows evicts other new flows and never an established one (as conntrack's early drop
 * evicts unreplied entries first, and Katran keeps floods out of its connection table).
 *
 * A packet confirms its flow when it shows that its sender got an answer: for TCP an ACK
 * without SYN or RST (the client's third handshake packet, and every later one; a SYN-ACK
 * or the RST a flooder's kernel answers it with confirm nothing), for UDP a later datagram.
 * On the client's host the confirming packet comes from the local pod; on the backend's
 * host, from the client through the switch.
 */
static __always_inline bool flow_confirms(__u8 protocol, const struct l4_ports *ports)
{
	if (protocol != IPPROTO_TCP)
		return true;
	return (ports->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_ACK)) == TCP_FLAG_ACK;
}

/* Stores the cookie of a packet; a failure is counted and does not stop delivery. */
static __always_inline void flow_remember(void *map, const struct flow_key *key,
					  const struct talaria_cookie *cookie)
{
	struct flow_entry entry = {
		.cookie = *cookie,
		.last_seen_ns = bpf_ktime_get_ns(),
	};

	if (bpf_map_update_elem(map, key, &entry, BPF_ANY) < 0)
		stats_count(STAT_EVENT_LEARN_FAILED, 0);
}

/* Refreshes the entry of `key` in `map` with the packet's cookie; false when it has none. */
static __always_inline bool flow_refresh(void *map, const struct flow_key *key,
					 const struct talaria_cookie *cookie)
{
	struct flow_entry *entry = bpf_map_lookup_elem(map, key);

	if (!entry)
		return false;
	entry->cookie = *cookie;
	entry->last_seen_ns = bpf_ktime_get_ns();
	return true;
}

/* Moves a confirmed flow from its side's half-open map to the established one. */
static __always_inline void flow_promote(void *half_map, void *map, const struct flow_key *key,
					 const struct talaria_cookie *cookie)
{
	flow_remember(map, key, cookie);
	bpf_map_delete_elem(half_map, key);
	stats_count(STAT_EVENT_FLOW_CONFIRMED, 0);
}

/*
 * Forgets the cookie a local backend's 5-tuple may still have from an earlier fast-path
 * connection: called when a new connection on it reaches the pod without a cookie (a
 * Service that fell back to kube-proxy, a client port reused), whose replies would
 * otherwise be stamped with the old cookie and rewritten to the wrong VIP by the switch.
 */
static __always_inline void flow_end_backend(__be32 client_addr, __be32 server_addr,
					     const struct l4_ports *ports, __u8 protocol)
{
	struct flow_key key;

	flow_key_set(&key, client_addr, server_addr, ports->sport, ports->dport, protocol);
	if (bpf_map_delete_elem(&tl_backend_flow, &key) == 0)
		stats_count(STAT_EVENT_BACKEND_FLOW_ENDED, 0);
	bpf_map_delete_elem(&tl_backend_half, &key);
}

#endif /* TALARIA_LIB_FLOW_H */

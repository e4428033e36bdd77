/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps of the host data path, shared by bpf_lxc.c and bpf_host.c. The agent pins them
 * under <bpffs>/talaria/maps/<name> and reuses them across restarts, so established flows
 * survive an agent restart. Names stay under 16 bytes (the kernel's limit).
 */
#ifndef TALARIA_LIB_MAPS_H
#define TALARIA_LIB_MAPS_H

#include "compiler.h"
#include "config.h"
#include "map_types.h"

/* Uplink, MACs, idle timeouts and the on/off switch of the fast path. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct datapath_config);
} tl_config SEC(".maps");

/* Offloaded Service frontends: (VIP, port, protocol) -> flags. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VIPS_MAX);
	__type(key, struct vip_key);
	__type(value, struct vip_info);
} tl_vips SEC(".maps");

/* Cookies learned from replies, stamped on the client's later packets. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CLIENT_FLOWS_MAX);
	__type(key, struct flow_key);
	__type(value, struct flow_entry);
} tl_client_flow SEC(".maps");

/* Cookies of requests to local backends, stamped on their replies. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BACKEND_FLOWS_MAX);
	__type(key, struct flow_key);
	__type(value, struct flow_entry);
} tl_backend_flow SEC(".maps");

/*
 * Flows a local client pod started (TCP SYN, first datagram) and that are not confirmed yet
 * (flow.h, flow_confirms()): the cookie once the switch's reply brought it, else zero.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HALF_OPEN_FLOWS_MAX);
	__type(key, struct flow_key);
	__type(value, struct flow_entry);
} tl_client_half SEC(".maps");

/* Requests to local backends not confirmed yet by a second packet of their client. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HALF_OPEN_FLOWS_MAX);
	__type(key, struct flow_key);
	__type(value, struct flow_entry);
} tl_backend_half SEC(".maps");

/* Pods of this host by IPv4 address: where and how to deliver to them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOCAL_PODS_MAX);
	__type(key, __be32);
	__type(value, struct local_pod);
} tl_local_pods SEC(".maps");

/*
 * Local client pods that an egress NetworkPolicy selects (IPv4 -> 1): their Service
 * traffic keeps the kernel's path, where the policy is enforced (docs/security.md).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOCAL_PODS_MAX);
	__type(key, __be32);
	__type(value, __u32);
} tl_policy_clients SEC(".maps");

/* Packets and bytes per drop reason and stat code. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STATS_MAX);
	__type(key, __u32);
	__type(value, struct stat_counter);
} tl_stats SEC(".maps");

#endif /* TALARIA_LIB_MAPS_H */

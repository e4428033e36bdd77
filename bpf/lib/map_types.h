/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Keys and values of the maps shared with user space. src/agent/datapath-maps.ts encodes
 * and decodes them byte for byte; test/kernel/bpf-verifier.test.ts checks its sizes against
 * the BTF of the compiled objects. Addresses and ports are in network order, as in the
 * packet; everything else in host order.
 */
#ifndef TALARIA_LIB_MAP_TYPES_H
#define TALARIA_LIB_MAP_TYPES_H

#include "compiler.h"
#include "eth.h"
#include "talaria.h"

/* tl_config: one entry, written by the agent. */
struct datapath_config {
	__u32 flags;	      /* CONFIG_F_* */
	__u32 uplink_ifindex; /* where pod traffic to Services is redirected */
	__u8 uplink_mac[ETH_ALEN];
	__u8 switch_mac[ETH_ALEN];
	__u32 pad;
	__u64 tcp_idle_timeout_ns; /* 0: TCP flows never expire (LRU eviction only) */
	__u64 udp_idle_timeout_ns; /* 0: UDP flows never expire */
};

/* Clear: every pod packet goes the normal kernel path (switch unreachable, agent stopping). */
#define CONFIG_F_ENABLED 0x1

/* tl_vips key: a Service frontend. */
struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 protocol;
	__u8 pad;
};

struct vip_info {
	__u32 flags; /* VIP_F_* */
};

/* Clear: the frontend is known but the switch does not serve it: leave it to kube-proxy. */
#define VIP_F_OFFLOADED 0x1

/*
 * tl_client_flow and tl_backend_flow key, always in the client's orientation: the server is
 * the VIP (client flows) or the backend pod (backend flows).
 */
struct flow_key {
	__be32 client_addr;
	__be32 server_addr;
	__be16 client_port;
	__be16 server_port;
	__u8 protocol;
	__u8 pad[3];
};

struct flow_entry {
	struct talaria_cookie cookie; /* as on the wire */
	__u32 pad;
	__u64 last_seen_ns; /* bpf_ktime_get_ns() of the last packet either way */
};

/* tl_local_pods value, keyed by the pod's IPv4 address (__be32). */
struct local_pod {
	__u32 host_ifindex;	 /* the host side of the pod's veth */
	__u8 pod_mac[ETH_ALEN];	 /* destination MAC of packets delivered to the pod */
	__u8 host_mac[ETH_ALEN]; /* their source MAC: the host side's, the pod's gateway */
};

/* tl_stats value (per CPU), indexed by drop reason or stat code. */
struct stat_counter {
	__u64 packets;
	__u64 bytes;
};

_Static_assert(sizeof(struct datapath_config) == 40, "datapath_config layout");
_Static_assert(sizeof(struct vip_key) == 8, "vip_key layout");
_Static_assert(sizeof(struct flow_key) == 16, "flow_key layout");
_Static_assert(sizeof(struct flow_entry) == 24, "flow_entry layout");
_Static_assert(sizeof(struct local_pod) == 16, "local_pod layout");

#endif /* TALARIA_LIB_MAP_TYPES_H */

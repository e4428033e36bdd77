/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Counting every verdict: each packet a program sees is counted once, under the drop reason
 * (drop_reasons.h) or the stat code below that says what happened to it. Events are counted
 * in addition. src/agent/datapath-stats.ts names the same codes.
 */
#ifndef TALARIA_LIB_STATS_H
#define TALARIA_LIB_STATS_H

#include "compiler.h"
#include "maps.h"

enum stat_code {
	/* Forwarded on the fast path. */
	STAT_FWD_FIRST_PACKET = 150,	 /* pod -> VIP, no cookie yet: header with flags 0 */
	STAT_FWD_COOKIE = 151,		 /* pod -> VIP with the learned cookie */
	STAT_FWD_REPLY = 152,		 /* backend pod's reply, COOKIE|REPLY */
	STAT_FWD_TO_POD_CLIENT = 153,	 /* uplink -> client pod, cookie learned */
	STAT_FWD_TO_POD_BACKEND = 154,	 /* uplink -> backend pod, cookie remembered */
	STAT_FWD_TO_POD_NO_COOKIE = 155, /* uplink -> pod, header without cookie */

	/* Left to the kernel's normal path (TC_ACT_OK). */
	STAT_PASS_NOT_IPV4 = 170,		/* ARP, IPv6, ... */
	STAT_PASS_DISABLED = 171,		/* CONFIG_F_ENABLED clear: fallback */
	STAT_PASS_MALFORMED_IPV4 = 172,		/* from a pod; the kernel drops it */
	STAT_PASS_IPV4_OPTIONS = 173,		/* from a pod; the switch does not balance them */
	STAT_PASS_FRAGMENT = 174,		/* from a pod; no ports to match */
	STAT_PASS_NOT_SERVICE = 175,		/* no VIP, no backend flow */
	STAT_PASS_NOT_OFFLOADED = 176,		/* VIP without VIP_F_OFFLOADED */
	STAT_PASS_GSO = 177,			/* a GSO packet cannot carry the shim */
	STAT_PASS_BACKEND_FLOW_EXPIRED = 178,	/* reply of an idle-expired UDP flow */
	STAT_PASS_NOT_TALARIA = 179,		/* uplink frame without the header */
	STAT_PASS_NOT_LOCAL_POD = 180,		/* uplink, header stripped, not for a pod */
	STAT_PASS_TO_POD = 181,			/* kernel path into a pod (talaria_to_pod) */
	STAT_PASS_POLICY_CLIENT = 182,		/* VIP traffic of a pod an egress policy selects */

	/* Events, counted besides the packet's verdict. */
	STAT_EVENT_CLIENT_FLOW_EXPIRED = 200,	/* idle cookie dropped, packet sent without */
	STAT_EVENT_CLIENT_FLOW_RESET = 201,	/* TCP SYN: old cookie dropped */
	STAT_EVENT_LEARN_FAILED = 202,		/* flow map update failed (delivered anyway) */
	STAT_EVENT_NOT_LEARNABLE = 203,		/* cookie on a fragment or non-TCP/UDP packet */
	STAT_EVENT_BACKEND_FLOW_ENDED = 204,	/* a connection without cookie took over a 5-tuple */
	STAT_EVENT_FLOW_CONFIRMED = 205,	/* a half-open flow moved to the established map */
	STAT_EVENT_REPLY_NOT_STARTED = 206,	/* cookie for a flow no local pod started: not kept */
};

static __always_inline void stats_count(__u32 code, __u32 bytes)
{
	struct stat_counter *counter = bpf_map_lookup_elem(&tl_stats, &code);

	if (likely(counter)) {
		counter->packets++;
		counter->bytes += bytes;
	}
}

/* Counts the drop and returns the TC verdict for it. */
static __always_inline int drop(__u32 reason, __u32 bytes)
{
	stats_count(reason, bytes);
	return TC_ACT_SHOT;
}

/* Counts the pass and lets the packet continue on the kernel's path. */
static __always_inline int pass(__u32 code, __u32 bytes)
{
	stats_count(code, bytes);
	return TC_ACT_OK;
}

#endif /* TALARIA_LIB_STATS_H */

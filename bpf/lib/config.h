/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Map sizes. Each is a default the compiler can override (-DCLIENT_FLOWS_MAX=...); the node
 * agent creates the pinned maps itself with the sizes of its configuration, and a loaded
 * program uses whatever size the pinned map has (src/agent/datapath-maps.ts).
 */
#ifndef TALARIA_LIB_CONFIG_H
#define TALARIA_LIB_CONFIG_H

/* Connections this host is a client of (cookie learned from the replies). */
#ifndef CLIENT_FLOWS_MAX
#define CLIENT_FLOWS_MAX 65536
#endif

/* Connections a local backend pod serves (cookie remembered for the replies). */
#ifndef BACKEND_FLOWS_MAX
#define BACKEND_FLOWS_MAX 65536
#endif

/*
 * Half-open connections of each side (tl_client_half, tl_backend_half): a new flow waits
 * here until it is confirmed, so a flood of new flows evicts only other new flows.
 */
#ifndef HALF_OPEN_FLOWS_MAX
#define HALF_OPEN_FLOWS_MAX 16384
#endif

/* Offloaded Service frontends (VIP, protocol, port). */
#ifndef VIPS_MAX
#define VIPS_MAX 65536
#endif

/* Pods on this host. */
#ifndef LOCAL_PODS_MAX
#define LOCAL_PODS_MAX 4096
#endif

/* Stats map indexes: drop reasons and the codes of stats.h all fit below this. */
#define STATS_MAX 256

#endif /* TALARIA_LIB_CONFIG_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Why a packet was dropped. DROP_REASON_* is the one list shared with the P4 program
 * (p4/include/define.p4) and TypeScript (src/wire/drop-reasons.ts): codes and names exactly
 * as in docs/wire-format.md, "Drop reasons"; a unit test checks the three agree. Hosts meet
 * only some of them (marked "host:"), the switch all.
 *
 * HOST_DROP_* are drops only a host makes, in their own range from 100 so they never clash
 * with a code the switch may add (docs/host-path.md lists them). Every code is an index of
 * the stats map (stats.h).
 */
#ifndef TALARIA_LIB_DROP_REASONS_H
#define TALARIA_LIB_DROP_REASONS_H

enum drop_reason {
	DROP_REASON_PARSE_ERROR = 1,	       /* host: truncated Talaria or IPv4 header, bad length */
	DROP_REASON_BAD_IPV4_CHECKSUM = 2,
	DROP_REASON_IPV4_OPTIONS = 3,	       /* host: a Talaria packet whose IPv4 header has options */
	DROP_REASON_TTL_EXPIRED = 4,
	DROP_REASON_BAD_VERSION = 5,	       /* host: Talaria version is not 1 */
	DROP_REASON_UNSUPPORTED_NEXT_TYPE = 6, /* host: next_type is not IPv4 */
	DROP_REASON_SERVICE_MISMATCH = 7,
	DROP_REASON_BAD_TAG = 8,
	DROP_REASON_UNKNOWN_SLOT = 9,
	DROP_REASON_NO_BACKEND = 10,
	DROP_REASON_NO_ROUTE = 11,
	DROP_REASON_UNKNOWN_SERVICE = 12,
	DROP_REASON_NOT_AGENT_PORT = 13,
	DROP_REASON_REPLY_NOT_FROM_BACKEND = 14,
	DROP_REASON_SYN_WITH_COOKIE = 15,
	DROP_REASON_STALE_KEY_EPOCH = 16,
};

enum host_drop_reason {
	/* A pod sent a frame with the Talaria EtherType: a forged cookie never leaves the host. */
	HOST_DROP_POD_SENT_TALARIA = 100,
	/* REPLY without COOKIE: a reply always carries the cookie it was sent with. */
	HOST_DROP_REPLY_WITHOUT_COOKIE = 101,
	/* COOKIE with service_id 0: a cookie always names its Service. */
	HOST_DROP_COOKIE_WITHOUT_SERVICE = 102,
	/* The header could not be added or the MACs written (no memory). */
	HOST_DROP_PUSH_FAILED = 103,
	/* The header could not be removed or the MACs rewritten (no memory). */
	HOST_DROP_STRIP_FAILED = 104,
	/*
	 * An IPv4 packet from a pod veth whose source address is not the pod's behind that veth,
	 * or whose source MAC is not that pod's: a pod never speaks with another's address, so
	 * it never gets another's cookie stamped on its packets.
	 */
	HOST_DROP_SPOOFED_SOURCE = 105,
};

#endif /* TALARIA_LIB_DROP_REASONS_H */

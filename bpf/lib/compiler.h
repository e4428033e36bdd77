/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Compiler helpers and the includes every Talaria eBPF program needs. */
#ifndef TALARIA_LIB_COMPILER_H
#define TALARIA_LIB_COMPILER_H

#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* Evaluates to 1 when a configuration macro is defined to 1, for `if (is_defined(X))`. */
#define is_defined(macro) (macro + 0 == 1)

/*
 * Flags of bpf_skb_adjust_room() newer than the uapi headers of Debian 12 (6.1); the values
 * are uapi and never change.
 */
#ifndef BPF_F_ADJ_ROOM_NO_CSUM_RESET
#define BPF_F_ADJ_ROOM_NO_CSUM_RESET (1ULL << 5)
#endif

#endif /* TALARIA_LIB_COMPILER_H */

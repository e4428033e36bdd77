/**
 * Why the switch (or a host's eBPF) drops a packet: docs/wire-format.md, "Drop reasons".
 * One list shared with p4/include/define.p4 and bpf/lib/drop_reasons.h;
 * test/unit/wire-drop-reasons.test.ts checks that the three agree.
 */
export const DROP_REASONS = {
  PARSE_ERROR: 1,
  BAD_IPV4_CHECKSUM: 2,
  IPV4_OPTIONS: 3,
  TTL_EXPIRED: 4,
  BAD_VERSION: 5,
  UNSUPPORTED_NEXT_TYPE: 6,
  SERVICE_MISMATCH: 7,
  BAD_TAG: 8,
  UNKNOWN_SLOT: 9,
  NO_BACKEND: 10,
  NO_ROUTE: 11,
  UNKNOWN_SERVICE: 12,
  NOT_AGENT_PORT: 13,
  REPLY_NOT_FROM_BACKEND: 14,
  SYN_WITH_COOKIE: 15,
  STALE_KEY_EPOCH: 16,
} as const;

export type DropReason = keyof typeof DROP_REASONS;

/**
 * The switch's drop_counter also counts, at index 0, frames it does not route at all
 * (neither IPv4 nor Talaria: ARP, IPv6, LLDP). Not a drop reason: hosts never use it.
 */
export const NOT_IPV4_COUNTER_INDEX = 0;

/** Every index of the switch's drop_counter that counts something, by name. */
export const DROP_COUNTER_INDICES = { NOT_IPV4: NOT_IPV4_COUNTER_INDEX, ...DROP_REASONS } as const;

export type DropCounterName = keyof typeof DROP_COUNTER_INDICES;

export const DROP_REASON_NAMES = Object.keys(DROP_REASONS) as DropReason[];
export const DROP_COUNTER_NAMES = Object.keys(DROP_COUNTER_INDICES) as DropCounterName[];

/** The name of a drop reason code, or undefined for a code outside the list. */
export function dropReasonName(code: number): DropReason | undefined {
  return DROP_REASON_NAMES.find((name) => DROP_REASONS[name] === code);
}

import { DROP_REASONS } from '../wire/drop-reasons.ts';
import { dumpPerCpuMap } from './bpftool.ts';
import { decodeStatsKey, sumStatCounters, type StatCounter } from './datapath-maps.ts';

/**
 * Names of the stats map's indexes: the shared drop reasons (src/wire/drop-reasons.ts), the
 * host-only drops of bpf/lib/drop_reasons.h and the verdict codes of bpf/lib/stats.h.
 * test/unit/agent-datapath-stats.test.ts checks these lists against the C headers.
 */

/** HOST_DROP_* of bpf/lib/drop_reasons.h. */
export const HOST_DROP_REASONS = {
  POD_SENT_TALARIA: 100,
  REPLY_WITHOUT_COOKIE: 101,
  COOKIE_WITHOUT_SERVICE: 102,
  PUSH_FAILED: 103,
  STRIP_FAILED: 104,
  SPOOFED_SOURCE: 105,
} as const;

/** STAT_* of bpf/lib/stats.h. */
export const STAT_CODES = {
  FWD_FIRST_PACKET: 150,
  FWD_COOKIE: 151,
  FWD_REPLY: 152,
  FWD_TO_POD_CLIENT: 153,
  FWD_TO_POD_BACKEND: 154,
  FWD_TO_POD_NO_COOKIE: 155,
  PASS_NOT_IPV4: 170,
  PASS_DISABLED: 171,
  PASS_MALFORMED_IPV4: 172,
  PASS_IPV4_OPTIONS: 173,
  PASS_FRAGMENT: 174,
  PASS_NOT_SERVICE: 175,
  PASS_NOT_OFFLOADED: 176,
  PASS_GSO: 177,
  PASS_BACKEND_FLOW_EXPIRED: 178,
  PASS_NOT_TALARIA: 179,
  PASS_NOT_LOCAL_POD: 180,
  PASS_TO_POD: 181,
  PASS_POLICY_CLIENT: 182,
  EVENT_CLIENT_FLOW_EXPIRED: 200,
  EVENT_CLIENT_FLOW_RESET: 201,
  EVENT_LEARN_FAILED: 202,
  EVENT_NOT_LEARNABLE: 203,
  EVENT_BACKEND_FLOW_ENDED: 204,
  EVENT_FLOW_CONFIRMED: 205,
  EVENT_REPLY_NOT_STARTED: 206,
} as const;

/** A stats index by name: `DROP_<reason>`, `HOST_DROP_<reason>` or the stat code's name. */
export const STATS_INDEX: Readonly<Record<string, number>> = Object.fromEntries([
  ...Object.entries(DROP_REASONS).map(([name, code]) => [`DROP_${name}`, code]),
  ...Object.entries(HOST_DROP_REASONS).map(([name, code]) => [`HOST_DROP_${name}`, code]),
  ...Object.entries(STAT_CODES),
]);

const NAME_OF_INDEX = new Map(Object.entries(STATS_INDEX).map(([name, code]) => [code, name]));

/** The counters of the stats map that are not zero, by name (`CODE_<n>` for unknown indexes). */
export async function readDatapathStats(statsPin: string): Promise<Map<string, StatCounter>> {
  const stats = new Map<string, StatCounter>();
  for (const entry of await dumpPerCpuMap(statsPin)) {
    const counter = sumStatCounters(entry.values);
    if (counter.packets === 0n) continue;
    const code = decodeStatsKey(entry.key);
    stats.set(NAME_OF_INDEX.get(code) ?? `CODE_${code}`, counter);
  }
  return stats;
}

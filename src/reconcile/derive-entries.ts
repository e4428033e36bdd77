import { ipv4ToNumber } from '../wire/addresses.ts';
import type { Frontend, HostRoute, L4Protocol } from '../model/desired-state.ts';
import { assignBuckets, resizeBuckets } from './bucket-assignment.ts';
import { wantedBucketCount, type BucketSizing } from './bucket-sizing.ts';
import { endpointKey, type ServiceSlots } from './id-allocator.ts';
import {
  memberIdOfSlot,
  type BucketHash,
  type Selector,
  type SwitchEntry,
} from './switch-entries.ts';

/**
 * The switch entries of one frontend or route: pure apart from the slot bookkeeping of
 * the frontend's service (assign, drain, release), which is the point of deriving them.
 */

export type SelectorMode = 'groups' | 'one-shot';

export const PROTOCOL_NUMBER: Record<L4Protocol, number> = { TCP: 6, UDP: 17 };

export interface DerivationContext {
  readonly selectorMode: SelectorMode;
  readonly drainMs: number;
  readonly now: number;
  /** The P4Info's max_group_size of each selector (0: no limit). */
  readonly maxGroupSize?: Readonly<Record<Selector, number>>;
  /** Bucket tables (backendChoice 'buckets'); absent: every Service uses the selectors. */
  readonly buckets?: BucketContext;
}

export interface BucketContext {
  readonly sizing: BucketSizing;
  /** The table size service `serviceId` gets when it wants `wanted` (0: no room, selectors). */
  reserve(serviceId: number, wanted: number): number;
  release(serviceId: number): void;
}

export type Derivation =
  | {
      readonly ok: true;
      readonly entries: readonly SwitchEntry[];
      /**
       * When to derive this service again: the next draining slot expires, or a new
       * backend's ClientIP affinity delay ends.
       */
      readonly drainExpiry: number | undefined;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Entries of an IPv4 frontend with service id `serviceId`: the VIP entry, the reply entry,
 * one backends entry per slot (active, terminating and draining backends), and when it
 * has active backends, its selector entry (a group of shared pick_slot members, or a
 * one-shot action set). Removed backends start draining; expired drains free their slot.
 */
export function deriveFrontend(
  frontend: Frontend,
  serviceId: number,
  slots: ServiceSlots,
  context: DerivationContext,
): Derivation {
  const wanted = new Set<string>();
  for (const backend of frontend.backends) {
    if (backend.family === 4) wanted.add(endpointKey(backend.ip, backend.port));
  }
  for (const [slot, holder] of slots.entries()) {
    if (wanted.has(holder.endpoint)) continue;
    slots.startDraining(slot, context.now + context.drainMs);
    if (holder.drainingUntil! <= context.now) slots.release(slot);
  }
  const active: number[] = [];
  for (const backend of frontend.backends) {
    if (backend.family !== 4) continue;
    const slot = slots.assign(backend.ip, backend.port, context.now);
    if (slot === undefined) {
      const draining = slots.entries().filter(([, h]) => h.drainingUntil !== undefined).length;
      return {
        ok: false,
        reason: `no free backend slot: ${wanted.size} backends and ${draining} draining slots exceed the limit of ${slots.maxSlots}`,
      };
    }
    if (backend.state === 'active') active.push(slot);
  }
  const protocol = PROTOCOL_NUMBER[frontend.protocol];
  const entries: SwitchEntry[] = [
    { kind: 'frontend', vip: frontend.ip, protocol, port: frontend.port, serviceId },
    { kind: 'reply', serviceId, vip: frontend.ip, port: frontend.port, protocol },
  ];
  let drainExpiry: number | undefined;
  for (const [slot, holder] of slots.entries()) {
    entries.push({ kind: 'backend', serviceId, slot, addr: holder.addr, port: holder.port });
    if (holder.drainingUntil !== undefined) {
      drainExpiry = Math.min(drainExpiry ?? Infinity, holder.drainingUntil);
    }
  }
  active.sort((a, b) => a - b);
  const unique = active.filter((slot, i) => i === 0 || active[i - 1] !== slot);
  if (context.buckets !== undefined) {
    const buckets = bucketEntries(frontend, serviceId, slots, unique, context);
    if (buckets.entries.length > 0) {
      const next = Math.min(drainExpiry ?? Infinity, buckets.joinAt ?? Infinity);
      return {
        ok: true,
        entries: [...entries, ...buckets.entries],
        drainExpiry: next === Infinity ? undefined : next,
      };
    }
  }
  const selector: Selector = frontend.clientIpAffinity ? 'affinity' : 'backend';
  const maxGroupSize = context.maxGroupSize?.[selector] ?? 0;
  if (maxGroupSize > 0 && unique.length > maxGroupSize) {
    return {
      ok: false,
      reason: `${unique.length} active backends exceed the ${selector} selector's max group size of ${maxGroupSize}`,
    };
  }
  if (unique.length > 0) {
    if (context.selectorMode === 'groups') {
      const memberIds = unique.map(memberIdOfSlot);
      for (const slot of unique) {
        entries.push({ kind: 'member', selector, memberId: memberIdOfSlot(slot), slot });
      }
      entries.push({ kind: 'group', selector, groupId: serviceId, memberIds });
      entries.push({
        kind: 'select',
        selector,
        serviceId,
        target: { kind: 'group', groupId: serviceId },
      });
    } else {
      entries.push({
        kind: 'select',
        selector,
        serviceId,
        target: { kind: 'slots', slots: unique },
      });
    }
  }
  return { ok: true, entries, drainExpiry };
}

/**
 * The bucket_services and bucket_select entries of a Service with active backends, or none
 * when it has no active backend or no room in the switch's bucket budget (then the
 * selectors choose). Each bucket has two slots: `slot` for packets without a header, where
 * a terminating backend keeps the buckets it holds (but gets no new ones), and `newSlot`
 * for in-cluster connection openings, the table without terminating backends; with
 * ClientIP affinity a new backend joins the table only `timeoutSeconds` after it was
 * added, so no client moves on an addition before then (docs/reconcile.md, "Bucket
 * tables"). `joinAt`: when the next waiting backend joins.
 */
function bucketEntries(
  frontend: Frontend,
  serviceId: number,
  slots: ServiceSlots,
  activeSlots: readonly number[],
  derivation: DerivationContext,
): { entries: SwitchEntry[]; joinAt: number | undefined } {
  const context = derivation.buckets!;
  const hash: BucketHash = frontend.clientIpAffinity ? 'client' : 'flow';
  const previous = slots.buckets?.hash === hash ? slots.buckets.table : undefined;
  const terminating: number[] = [];
  if (previous !== undefined) {
    const owners = new Set(previous);
    for (const backend of frontend.backends) {
      if (backend.family !== 4 || backend.state !== 'terminating') continue;
      const slot = slots.slotOf(endpointKey(backend.ip, backend.port));
      if (slot !== undefined && owners.has(slot)) terminating.push(slot);
    }
  }
  let active = activeSlots;
  let joinAt: number | undefined;
  const affinity = frontend.clientIpAffinity;
  if (affinity !== undefined && previous !== undefined) {
    const owners = new Set(previous);
    const delayMs = affinity.timeoutSeconds * 1000;
    const joined = activeSlots.filter((slot) => {
      const joins = slots.holder(slot)!.since + delayMs;
      if (owners.has(slot) || joins <= derivation.now) return true;
      joinAt = Math.min(joinAt ?? Infinity, joins);
      return false;
    });
    if (joined.length > 0) active = joined;
    else joinAt = undefined;
  }
  const wanted =
    active.length === 0
      ? 0
      : wantedBucketCount(
          active.length + terminating.length,
          previous?.length ?? 0,
          context.sizing,
        );
  const size = wanted === 0 ? 0 : context.reserve(serviceId, wanted);
  if (size === 0) {
    context.release(serviceId);
    slots.buckets = undefined;
    return { entries: [], joinAt: undefined };
  }
  const prior =
    previous !== undefined && previous.length < size ? resizeBuckets(previous, size) : previous;
  const table = assignBuckets(prior, active, size, terminating);
  // What the table becomes when the terminating backends leave: openings go there now.
  const opening = terminating.length === 0 ? table : assignBuckets(table, active, size);
  slots.buckets = { hash, table };
  const entries: SwitchEntry[] = table.map((slot, bucket) => ({
    kind: 'bucket',
    serviceId,
    bucket,
    slot,
    newSlot: opening[bucket]!,
  }));
  entries.push({ kind: 'bucketService', serviceId, hash, size });
  return { entries, joinAt };
}

/**
 * Whether switch `switchName` holds `route`: a switch forwards only to the nodes attached
 * to it; a route without a switch name (a single-switch state) goes to every switch.
 */
export function isRouteOfSwitch(route: HostRoute, switchName: string): boolean {
  return route.switchName === undefined || route.switchName === switchName;
}

/** The l3_forward entry of an IPv4 host route, or why it cannot have one. */
export function deriveRoute(route: HostRoute): SwitchEntry | string {
  const [address = '', lengthText = ''] = route.prefix.split('/');
  const prefixLen = Number(lengthText);
  if (!/^\d{1,2}$/.test(lengthText) || prefixLen > 32)
    return `route ${route.prefix}: bad prefix length`;
  let value: number;
  try {
    value = ipv4ToNumber(address, `route ${route.prefix}`);
  } catch (error) {
    return (error as Error).message;
  }
  if (value % 2 ** (32 - prefixLen) !== 0)
    return `route ${route.prefix}: address has bits set beyond /${prefixLen}`;
  return {
    kind: 'route',
    prefix: address,
    prefixLen,
    port: route.port,
    smac: route.switchMac.toLowerCase(),
    dmac: route.hostMac.toLowerCase(),
    ...(route.external === true ? { external: true } : {}),
  };
}

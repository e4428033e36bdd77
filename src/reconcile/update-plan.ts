import type { DesiredTables } from './desired-tables.ts';
import { entryKey, type EntryKind, type HeldEntry, type SwitchEntry } from './switch-entries.ts';

/**
 * The writes that take a switch from what it holds to what it should hold, in phases
 * that are written one after the other, each only once the previous one is acknowledged
 * (a device may apply the updates of one batch in any order):
 *
 *   make:  backends, reply_frontends, l3_forward, tag key -> selector members -> groups,
 *          bucket_select -> backend_select/affinity_select, bucket_services -> frontends
 *   break: the same in reverse, deletes only
 *
 * so a VIP entry only ever points at a selector entry or a full bucket table that exists, which only points at
 * groups and members that exist, which only pick slots that have a backend; and nothing
 * is deleted while something still points at it.
 */

export type UpdateOp = 'INSERT' | 'MODIFY' | 'DELETE';

export interface PlannedUpdate {
  readonly op: UpdateOp;
  readonly key: string;
  /** For INSERT and MODIFY the desired entry; for DELETE the held one (its key). */
  readonly entry: SwitchEntry;
  readonly value: string;
  /** The frontend or route this update is for (undefined for shared members). */
  readonly owner: string | undefined;
  /** Keys whose updates must have succeeded for this one to make sense (a group's members). */
  readonly dependsOn: readonly string[];
}

export interface Phase {
  readonly name: string;
  readonly updates: PlannedUpdate[];
}

const MAKE_RANK: Record<EntryKind, number> = {
  backend: 0,
  reply: 0,
  route: 0,
  tagKey: 0,
  member: 1,
  group: 2,
  bucket: 2,
  select: 3,
  bucketService: 3,
  frontend: 4,
};

const PHASE_NAMES = [
  'make: backends, replies, routes, tag key',
  'make: selector members',
  'make: selector groups, buckets',
  'make: selector entries, bucket services',
  'make: frontends',
  'break: frontends',
  'break: selector entries, bucket services',
  'break: selector groups, buckets',
  'break: selector members',
  'break: backends, replies, routes',
];

/**
 * Diffs `keys` (or every key on either side when `keys` is 'all') between the desired
 * tables and the entries the switch holds, and orders the resulting updates in phases.
 * Empty phases are dropped.
 */
export function planUpdates(
  desired: DesiredTables,
  holding: ReadonlyMap<string, HeldEntry>,
  keys: Iterable<string> | 'all',
): Phase[] {
  const phases: PlannedUpdate[][] = PHASE_NAMES.map(() => []);
  const consider = (key: string): void => {
    const want = desired.get(key);
    const have = holding.get(key);
    if (want !== undefined && have !== undefined && want.value === have.value) return;
    if (want !== undefined) {
      const op: UpdateOp = have !== undefined || want.entry.kind === 'tagKey' ? 'MODIFY' : 'INSERT';
      phases[MAKE_RANK[want.entry.kind]]!.push(plannedUpdate(op, key, want, desired));
    } else if (have !== undefined && have.entry.kind !== 'tagKey') {
      // The default entry cannot be deleted; with no key wanted it is left as it is.
      phases[9 - MAKE_RANK[have.entry.kind]]!.push(plannedUpdate('DELETE', key, have, desired));
    }
  };
  if (keys === 'all') {
    for (const key of desired.keys()) consider(key);
    for (const key of holding.keys()) if (desired.get(key) === undefined) consider(key);
  } else {
    for (const key of keys) consider(key);
  }
  return phases
    .map((updates, i) => ({ name: PHASE_NAMES[i]!, updates }))
    .filter((phase) => phase.updates.length > 0);
}

function plannedUpdate(
  op: UpdateOp,
  key: string,
  source: HeldEntry,
  desired: DesiredTables,
): PlannedUpdate {
  const entry = source.entry;
  const dependsOn =
    op !== 'DELETE' && entry.kind === 'group'
      ? entry.memberIds.map((memberId) =>
          entryKey({ kind: 'member', selector: entry.selector, memberId, slot: 0 }),
        )
      : [];
  return {
    op,
    key,
    entry,
    value: source.value,
    owner: entry.kind === 'member' ? undefined : desired.ownerOf(key),
    dependsOn,
  };
}

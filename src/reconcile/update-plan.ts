import type { EntryTable } from './entry-table.ts';
import { entryKey, sameEntry, type EntryKind, type SwitchEntry } from './switch-entries.ts';

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
  agentPort: 0,
  member: 1,
  group: 2,
  bucket: 2,
  select: 3,
  bucketService: 3,
  frontend: 4,
};

const PHASE_NAMES = [
  'make: backends, replies, routes, tag key, agent ports',
  'make: selector members',
  'make: selector groups, buckets',
  'make: selector entries, bucket services',
  'make: frontends',
  'break: frontends',
  'break: selector entries, bucket services',
  'break: selector groups, buckets',
  'break: selector members',
  'break: backends, replies, routes, agent ports',
];

const NO_DEPENDENCIES: readonly string[] = [];

/**
 * Diffs `keys` (or every key when `keys` is 'all') between the desired and the held side
 * of `table`, and orders the resulting updates in phases. Empty phases are dropped.
 */
export function planUpdates(table: EntryTable, keys: Iterable<string> | 'all'): Phase[] {
  const phases: PlannedUpdate[][] = PHASE_NAMES.map(() => []);
  for (const key of keys === 'all' ? table.keys() : keys) {
    const record = table.get(key);
    if (record === undefined) continue;
    const { desired: want, held: have } = record;
    if (want !== undefined && have !== undefined && !record.heldInvalid && sameEntry(want, have))
      continue;
    if (want !== undefined) {
      const op: UpdateOp = have !== undefined || want.kind === 'tagKey' ? 'MODIFY' : 'INSERT';
      phases[MAKE_RANK[want.kind]]!.push(plannedUpdate(op, key, want, record.owner));
    } else if (have !== undefined && have.kind !== 'tagKey') {
      // The default entry cannot be deleted; with no key wanted it is left as it is.
      phases[9 - MAKE_RANK[have.kind]]!.push(plannedUpdate('DELETE', key, have, record.owner));
    }
  }
  return phases
    .map((updates, i) => ({ name: PHASE_NAMES[i]!, updates }))
    .filter((phase) => phase.updates.length > 0);
}

function plannedUpdate(
  op: UpdateOp,
  key: string,
  entry: SwitchEntry,
  owner: string | undefined,
): PlannedUpdate {
  const dependsOn =
    op !== 'DELETE' && entry.kind === 'group'
      ? entry.memberIds.map((memberId) =>
          entryKey({ kind: 'member', selector: entry.selector, memberId, slot: 0 }),
        )
      : NO_DEPENDENCIES;
  return { op, key, entry, owner: entry.kind === 'member' ? undefined : owner, dependsOn };
}

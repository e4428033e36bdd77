/**
 * Resilient bucket assignment (docs/reconcile.md, "Bucket tables"): which member (a backend
 * slot) owns each bucket of a Service's bucket table, given what the table held before.
 *
 * The rule, in the spirit of Linux's resilient nexthop groups:
 * - every member gets floor(size / n) or ceil(size / n) buckets (members already holding
 *   more get the ceilings first), so loads differ by at most one bucket;
 * - a bucket stays with its owner while the owner is a member and within its quota, so
 *   removing a member moves only its own buckets and adding one moves about size / (n + 1)
 *   buckets, all of them to the new member;
 * - freed buckets go round-robin, in bucket order, to the members below their quota, in
 *   member order.
 *
 * Pure and deterministic: the same previous table and members give the same table, and a
 * table this function produced is its own fixed point (a restarted controller that reads
 * the table back from the switch computes it again and writes nothing).
 */

/** A bucket nobody owns (no members). */
export const NO_MEMBER = -1;

/**
 * The table of `size` buckets for `members` (distinct non-negative ids, any order),
 * keeping what it can of `previous` (ignored unless it has `size` entries). All buckets
 * are NO_MEMBER when there are no members.
 *
 * `frozen` members (terminating backends) keep the buckets they hold, up to the quota
 * they would have as members, but are given none: their cookie-less flows stay, and no
 * bucket moves to them. Without other members they are ordinary members.
 */
export function assignBuckets(
  previous: readonly number[] | undefined,
  members: readonly number[],
  size: number,
  frozen: readonly number[] = [],
): number[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`bucket table size ${size}`);
  const frozenSet = new Set(frozen);
  const all = [...new Set([...members, ...frozen])].sort((a, b) => a - b);
  const table = new Array<number>(size).fill(NO_MEMBER);
  if (all.length === 0) return table;
  const prior = previous?.length === size ? previous : undefined;
  let takers = all.filter((m) => !frozenSet.has(m));
  if (takers.length === 0) {
    takers = all;
    frozenSet.clear();
  }

  const held = new Map<number, number>(all.map((m) => [m, 0]));
  if (prior !== undefined) {
    for (const owner of prior) {
      const count = held.get(owner);
      if (count !== undefined) held.set(owner, count + 1);
    }
  }
  const moreHeldFirst = (a: number, b: number): number => held.get(b)! - held.get(a)! || a - b;
  const shares = (ids: readonly number[], total: number): Map<number, number> => {
    const base = Math.floor(total / ids.length);
    const extra = total % ids.length;
    return new Map([...ids].sort(moreHeldFirst).map((m, i) => [m, base + (i < extra ? 1 : 0)]));
  };
  // Frozen members keep at most what they would get as members; the takers share the rest.
  const quota = new Map<number, number>();
  let frozenKept = 0;
  for (const [member, share] of shares(all, size)) {
    if (!frozenSet.has(member)) continue;
    const keep = Math.min(share, held.get(member)!);
    quota.set(member, keep);
    frozenKept += keep;
  }
  for (const [member, share] of shares(takers, size - frozenKept)) quota.set(member, share);

  const kept = new Map<number, number>(all.map((m) => [m, 0]));
  const free: number[] = [];
  for (let bucket = 0; bucket < size; bucket++) {
    const owner = prior?.[bucket];
    const count = owner === undefined ? undefined : kept.get(owner);
    if (count !== undefined && count < quota.get(owner!)!) {
      table[bucket] = owner!;
      kept.set(owner!, count + 1);
    } else {
      free.push(bucket);
    }
  }
  let next = 0;
  for (const bucket of free) {
    // Some taker is below quota for as long as free buckets remain (quotas sum to size).
    while (kept.get(takers[next]!)! >= quota.get(takers[next]!)!) next = (next + 1) % takers.length;
    const member = takers[next]!;
    table[bucket] = member;
    kept.set(member, kept.get(member)! + 1);
    next = (next + 1) % takers.length;
  }
  return table;
}

/**
 * `table` resized to `size` buckets (a power-of-two multiple or fraction of its length)
 * for a bucket mask of size - 1: growing copies the table, so every flow keeps its owner
 * (hash & new mask picks a copy of the bucket hash & old mask picked); assignBuckets then
 * moves at most one bucket per member to even out the doubled loads.
 */
export function resizeBuckets(table: readonly number[], size: number): number[] {
  return Array.from({ length: size }, (_, bucket) => table[bucket % table.length]!);
}

/** How many buckets differ between two tables of equal size. */
export function movedBuckets(before: readonly number[], after: readonly number[]): number {
  let moved = 0;
  for (let i = 0; i < after.length; i++) if (before[i] !== after[i]) moved++;
  return moved;
}

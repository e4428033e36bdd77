import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assignBuckets,
  movedBuckets,
  NO_MEMBER,
  resizeBuckets,
} from '../../src/reconcile/bucket-assignment.ts';

const sizes = fc.constantFrom(64, 256, 1024, 4096);
/** Distinct member ids (backend slots), 1 to 64 of them. */
const memberSets = fc.uniqueArray(fc.integer({ min: 0, max: 500 }), {
  minLength: 1,
  maxLength: 64,
});

function loads(table: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const owner of table) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
}

/** A table reached through a history of member sets, as a long-running controller has. */
function afterHistory(history: readonly (readonly number[])[], size: number): number[] {
  let table: number[] | undefined;
  for (const members of history) table = assignBuckets(table, members, size);
  return table!;
}

const histories = fc.array(memberSets, { minLength: 1, maxLength: 5 });

describe('assignBuckets', () => {
  it('gives every member floor or ceil of size / n buckets, and only members', () => {
    fc.assert(
      fc.property(histories, sizes, (history, size) => {
        const members = history.at(-1)!;
        const table = afterHistory(history, size);
        const counts = loads(table);
        const base = Math.floor(size / members.length);
        for (const member of members) {
          const count = counts.get(member) ?? 0;
          expect(count).toBeGreaterThanOrEqual(base);
          expect(count).toBeLessThanOrEqual(base + 1);
        }
        expect([...counts.keys()].every((owner) => members.includes(owner))).toBe(true);
      }),
    );
  });

  it('moves only the removed member’s buckets on a removal', () => {
    fc.assert(
      fc.property(histories, sizes, fc.nat(), (history, size, pick) => {
        const members = history.at(-1)!;
        fc.pre(members.length >= 2);
        const before = afterHistory(history, size);
        const removed = members[pick % members.length]!;
        const after = assignBuckets(
          before,
          members.filter((m) => m !== removed),
          size,
        );
        const expected = before.map((owner, i) => (owner === removed ? after[i] : owner));
        expect(after).toEqual(expected);
        expect(after.includes(removed)).toBe(false);
      }),
    );
  });

  it('moves about size / (n + 1) buckets on an addition, nearly all to the new member', () => {
    fc.assert(
      fc.property(histories, sizes, fc.integer({ min: 501, max: 600 }), (history, size, added) => {
        const members = history.at(-1)!;
        const before = afterHistory(history, size);
        const after = assignBuckets(before, [...members, added], size);
        const n = members.length + 1;
        const toNew = after.filter((owner, i) => owner === added && before[i] !== added).length;
        const moved = movedBuckets(before, after);
        // The new member's quota, plus at most one bucket per old member when floor(size / n)
        // equals floor(size / (n - 1)) and a ceiling changes hands.
        expect(toNew).toBeGreaterThanOrEqual(Math.floor(size / n));
        expect(toNew).toBeLessThanOrEqual(Math.ceil(size / n));
        expect(moved).toBeLessThanOrEqual(Math.ceil(size / n) + members.length);
      }),
    );
  });

  it('is its own fixed point: recomputing from the table read back changes nothing', () => {
    fc.assert(
      fc.property(histories, sizes, (history, size) => {
        const members = history.at(-1)!;
        const table = afterHistory(history, size);
        // A restarted controller knows only the table and the members, in any order.
        const shuffled = [...members].reverse();
        expect(assignBuckets([...table], shuffled, size)).toEqual(table);
      }),
    );
  });

  it('is deterministic: the same inputs give the same table', () => {
    fc.assert(
      fc.property(histories, sizes, (history, size) => {
        expect(afterHistory(history, size)).toEqual(afterHistory(history, size));
      }),
    );
  });

  it('lets a terminating (frozen) member keep its buckets and gives it none', () => {
    fc.assert(
      fc.property(histories, sizes, fc.nat(), fc.nat(), (history, size, pick, pick2) => {
        const members = history.at(-1)!;
        fc.pre(members.length >= 3);
        const before = afterHistory(history, size);
        const terminating = members[pick % members.length]!;
        const others = members.filter((m) => m !== terminating);
        // The member turns terminating: nothing moves.
        const frozen = assignBuckets(before, others, size, [terminating]);
        expect(frozen).toEqual(before);
        // Another member leaves meanwhile: its buckets go to the others only.
        const removed = others[pick2 % others.length]!;
        const after = assignBuckets(
          frozen,
          others.filter((m) => m !== removed),
          size,
          [terminating],
        );
        expect(after.filter((o) => o === terminating).length).toBe(
          frozen.filter((o) => o === terminating).length,
        );
        expect(after.filter((o, i) => o !== frozen[i] && frozen[i] !== removed)).toEqual([]);
        expect(
          assignBuckets(
            [...after],
            others.filter((m) => m !== removed),
            size,
            [terminating],
          ),
        ).toEqual(after);
      }),
    );
  });

  it('keeps every flow’s owner when the table doubles, but for one bucket per member', () => {
    fc.assert(
      fc.property(histories, fc.constantFrom(64, 256, 1024), (history, size) => {
        const members = history.at(-1)!;
        const table = afterHistory(history, size);
        const copied = resizeBuckets(table, size * 2);
        // A flow with hash h sits in bucket h & (size - 1), then h & (2 size - 1).
        for (const hash of [0, 1, size - 1, size, size + 3, 2 * size - 1]) {
          expect(copied[hash & (2 * size - 1)]).toBe(table[hash & (size - 1)]);
        }
        // Doubled loads of floor + 1 can exceed the new ceiling by one.
        const grown = assignBuckets(copied, members, size * 2);
        expect(movedBuckets(copied, grown)).toBeLessThanOrEqual(members.length);
      }),
    );
  });

  it('fills a fresh table round-robin in member order', () => {
    expect(assignBuckets(undefined, [7, 3, 5], 8)).toEqual([3, 5, 7, 3, 5, 7, 3, 5]);
  });

  it('leaves every bucket unowned without members, and refuses a bad size', () => {
    expect(assignBuckets([1, 2], [], 2)).toEqual([NO_MEMBER, NO_MEMBER]);
    expect(() => assignBuckets(undefined, [1], 0)).toThrow(RangeError);
  });

  it('ignores a previous table of another size', () => {
    expect(assignBuckets([9, 9], [1, 2], 4)).toEqual([1, 2, 1, 2]);
  });
});

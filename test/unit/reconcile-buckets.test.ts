import { describe, expect, it } from 'vitest';
import type { Backend, Frontend } from '../../src/model/desired-state.ts';
import { BucketBudget, DEFAULT_BUCKET_SIZING } from '../../src/reconcile/bucket-sizing.ts';
import { deriveFrontend, type DerivationContext } from '../../src/reconcile/derive-entries.ts';
import { EntryTable } from '../../src/reconcile/entry-table.ts';
import { ServiceSlots } from '../../src/reconcile/id-allocator.ts';
import type { SwitchEntry } from '../../src/reconcile/switch-entries.ts';

// deriveFrontend with bucket tables (docs/reconcile.md, "Bucket tables").

const backend = (n: number, state: Backend['state'] = 'active'): Backend => ({
  ip: `10.244.2.${n}`,
  port: 8080,
  family: 4,
  state,
});

function frontend(backends: Backend[], affinitySeconds?: number): Frontend {
  return {
    key: '10.96.0.10|TCP|80',
    ip: '10.96.0.10',
    family: 4,
    protocol: 'TCP',
    port: 80,
    kind: 'ClusterIP',
    service: { namespace: 'default', name: 'web', portName: 'http' },
    ...(affinitySeconds === undefined
      ? {}
      : { clientIpAffinity: { timeoutSeconds: affinitySeconds } }),
    backends,
  };
}

function contextWith(budget: BucketBudget, now = 0): DerivationContext {
  return {
    selectorMode: 'groups',
    drainMs: 1000,
    now,
    buckets: {
      sizing: DEFAULT_BUCKET_SIZING,
      reserve: (id, wanted) => budget.reserve(id, wanted),
      release: (id) => budget.release(id),
    },
  };
}

function derive(f: Frontend, slots: ServiceSlots, context: DerivationContext) {
  const derivation = deriveFrontend(f, 7, slots, context);
  if (!derivation.ok) throw new Error(derivation.reason);
  return derivation;
}

const bucketSlots = (entries: readonly SwitchEntry[]): number[] =>
  entries.flatMap((e) => (e.kind === 'bucket' ? [e.slot] : []));

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

describe('bucket tables', () => {
  it('gives a Service a bucket table instead of a selector entry', () => {
    const { entries } = derive(
      frontend(range(3).map((n) => backend(n))),
      new ServiceSlots(16),
      contextWith(new BucketBudget(262_144)),
    );
    expect(entries).toContainEqual({
      kind: 'bucketService',
      serviceId: 7,
      hash: 'flow',
      size: 256,
    });
    expect(bucketSlots(entries)).toHaveLength(256);
    expect(new Set(bucketSlots(entries))).toEqual(new Set([0, 1, 2]));
    expect(entries.some((e) => e.kind === 'select' || e.kind === 'group')).toBe(false);
  });

  it('writes only the buckets that changed owner when a backend is added', () => {
    const budget = new BucketBudget(262_144);
    const slots = new ServiceSlots(64);
    const tables = new EntryTable();
    const ten = range(10).map((n) => backend(n));
    tables.setOwner('web', derive(frontend(ten), slots, contextWith(budget)).entries);
    tables.takeTouched();
    tables.setOwner(
      'web',
      derive(frontend([...ten, backend(11)]), slots, contextWith(budget)).entries,
    );
    const touched = [...tables.takeTouched()];
    // 512 buckets (10 x 32 rounded up); the new backend takes 46 or 47 of them, plus its
    // backends entry.
    expect(touched.filter((k) => k.startsWith('k')).length).toBeGreaterThanOrEqual(46);
    expect(touched.filter((k) => k.startsWith('k')).length).toBeLessThanOrEqual(47);
    expect(touched.filter((k) => !k.startsWith('k'))).toEqual(['b7.10']);
  });

  it('lets a terminating backend keep its buckets’ flows; openings go to the others', () => {
    const budget = new BucketBudget(262_144);
    const slots = new ServiceSlots(16);
    const before = derive(
      frontend(range(4).map((n) => backend(n))),
      slots,
      contextWith(budget),
    ).entries;
    const terminating = derive(
      frontend([backend(1), backend(2, 'terminating'), backend(3), backend(4)]),
      slots,
      contextWith(budget),
    ).entries;
    const terminatingSlot = 1;
    // Packets without a header: nothing moves.
    expect(bucketSlots(terminating)).toEqual(bucketSlots(before));
    // Openings: only the terminating backend's buckets go elsewhere.
    const opening = terminating.flatMap((e) => (e.kind === 'bucket' ? [e.newSlot] : []));
    expect(opening.includes(terminatingSlot)).toBe(false);
    expect(opening.filter((slot, i) => slot !== bucketSlots(before)[i])).toHaveLength(
      bucketSlots(before).filter((slot) => slot === terminatingSlot).length,
    );
    // When it leaves, header-less flows follow where openings already went.
    const gone = derive(
      frontend([backend(1), backend(3), backend(4)]),
      slots,
      contextWith(budget),
    ).entries;
    expect(bucketSlots(gone)).toEqual(opening);
  });

  it('uses the selectors when the switch has no room for the table', () => {
    const budget = new BucketBudget(100);
    const { entries } = derive(
      frontend(range(2).map((n) => backend(n))),
      new ServiceSlots(16),
      contextWith(budget),
    );
    expect(entries.some((e) => e.kind === 'bucket' || e.kind === 'bucketService')).toBe(false);
    expect(entries.some((e) => e.kind === 'select')).toBe(true);
    expect(budget.inUse).toBe(0);
  });

  it('ClientIP affinity: hashes the client address; a new backend joins only after timeoutSeconds', () => {
    const budget = new BucketBudget(262_144);
    const slots = new ServiceSlots(16);
    const first = derive(frontend([backend(1), backend(2)], 60), slots, contextWith(budget, 0));
    expect(first.entries).toContainEqual({
      kind: 'bucketService',
      serviceId: 7,
      hash: 'client',
      size: 256,
    });
    const added = derive(
      frontend([backend(1), backend(2), backend(3)], 60),
      slots,
      contextWith(budget, 5_000),
    );
    // No client moves on the addition; the service is derived again when the delay ends.
    expect(bucketSlots(added.entries)).toEqual(bucketSlots(first.entries));
    expect(added.drainExpiry).toBe(65_000);
    const joined = derive(
      frontend([backend(1), backend(2), backend(3)], 60),
      slots,
      contextWith(budget, 65_000),
    );
    const moved = bucketSlots(joined.entries).filter(
      (slot, i) => slot !== bucketSlots(first.entries)[i],
    );
    expect(moved.length).toBe(85);
    expect(new Set(moved)).toEqual(new Set([2]));
  });
});

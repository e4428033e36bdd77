import { describe, expect, it } from 'vitest';
import type { Backend, Frontend } from '../../src/model/desired-state.ts';
import {
  deriveFrontend,
  deriveRoute,
  type DerivationContext,
} from '../../src/reconcile/derive-entries.ts';
import { EntryTable } from '../../src/reconcile/entry-table.ts';
import { ServiceSlots } from '../../src/reconcile/id-allocator.ts';
import { entryKey, type SwitchEntry } from '../../src/reconcile/switch-entries.ts';
import { planUpdates, type Phase } from '../../src/reconcile/update-plan.ts';

const backend = (ip: string, state: Backend['state'] = 'active'): Backend => ({
  ip,
  port: 8080,
  family: 4,
  state,
});

function frontend(backends: Backend[], affinity = false): Frontend {
  return {
    key: '10.96.0.10|TCP|80',
    ip: '10.96.0.10',
    family: 4,
    protocol: 'TCP',
    port: 80,
    kind: 'ClusterIP',
    service: { namespace: 'default', name: 'web', portName: 'http' },
    ...(affinity ? { clientIpAffinity: { timeoutSeconds: 60 } } : {}),
    backends,
  };
}

const groups: DerivationContext = { selectorMode: 'groups', drainMs: 1000, now: 0 };

function derive(f: Frontend, slots: ServiceSlots, context = groups): readonly SwitchEntry[] {
  const derivation = deriveFrontend(f, 7, slots, context);
  if (!derivation.ok) throw new Error(derivation.reason);
  return derivation.entries;
}

const summary = (phases: Phase[]): string[] =>
  phases.flatMap((phase) =>
    phase.updates.map((u) => `${phase.name.split(':')[0]} ${u.op} ${u.key}`),
  );

/** The switch holds what `tables` desires, plus `extra` entries. */
function holdDesired(tables: EntryTable, extra: SwitchEntry[] = []): void {
  const desired = [...tables.keys()].map((key) => tables.get(key)!.desired!);
  tables.setHolding([...desired, ...extra].map((entry) => ({ entry })));
}

describe('deriveFrontend', () => {
  it('derives VIP, reply, slot entries and a group of shared members', () => {
    const entries = derive(
      frontend([backend('10.244.1.5'), backend('10.244.2.6')]),
      new ServiceSlots(16),
    );
    expect(entries.map(entryKey)).toEqual([
      'f10.96.0.10:80/6',
      'r7',
      'b7.0',
      'b7.1',
      'mb1',
      'mb2',
      'gb7',
      'sb7',
    ]);
    expect(entries).toContainEqual({
      kind: 'frontend',
      vip: '10.96.0.10',
      protocol: 6,
      port: 80,
      serviceId: 7,
    });
    expect(entries).toContainEqual({
      kind: 'backend',
      serviceId: 7,
      slot: 1,
      addr: '10.244.2.6',
      port: 8080,
    });
    expect(entries).toContainEqual({
      kind: 'group',
      selector: 'backend',
      groupId: 7,
      memberIds: [1, 2],
    });
  });

  it('uses the affinity selector for ClientIP affinity, and one-shot sets when configured', () => {
    const entries = derive(frontend([backend('10.244.1.5')], true), new ServiceSlots(16), {
      ...groups,
      selectorMode: 'one-shot',
    });
    expect(entries.filter((e) => e.kind === 'select')).toEqual([
      { kind: 'select', selector: 'affinity', serviceId: 7, target: { kind: 'slots', slots: [0] } },
    ]);
    expect(entries.some((e) => e.kind === 'member' || e.kind === 'group')).toBe(false);
  });

  it("keeps a terminating backend's slot entry but takes it out of the selector", () => {
    const entries = derive(
      frontend([backend('10.244.1.5'), backend('10.244.2.6', 'terminating')]),
      new ServiceSlots(16),
    );
    expect(entries.filter((e) => e.kind === 'backend')).toHaveLength(2);
    expect(entries).toContainEqual({
      kind: 'group',
      selector: 'backend',
      groupId: 7,
      memberIds: [1],
    });
  });

  it('drains a removed backend for the drain time, without reusing its slot, then frees it', () => {
    const slots = new ServiceSlots(16);
    derive(frontend([backend('10.244.1.5'), backend('10.244.2.6')]), slots);
    const draining = deriveFrontend(
      frontend([backend('10.244.1.5'), backend('10.244.3.7')]),
      7,
      slots,
      {
        ...groups,
        now: 10,
      },
    );
    expect(draining.ok && draining.drainExpiry).toBe(1010);
    const drainingEntries = draining.ok ? draining.entries : [];
    expect(drainingEntries).toContainEqual({
      kind: 'backend',
      serviceId: 7,
      slot: 1,
      addr: '10.244.2.6',
      port: 8080,
    });
    expect(drainingEntries).toContainEqual({
      kind: 'backend',
      serviceId: 7,
      slot: 2,
      addr: '10.244.3.7',
      port: 8080,
    });
    expect(drainingEntries).toContainEqual({
      kind: 'group',
      selector: 'backend',
      groupId: 7,
      memberIds: [1, 3],
    });
    const later = derive(frontend([backend('10.244.1.5'), backend('10.244.3.7')]), slots, {
      ...groups,
      now: 1010,
    });
    expect(
      later.filter((e) => e.kind === 'backend').map((e) => (e.kind === 'backend' ? e.slot : -1)),
    ).toEqual([0, 2]);
  });

  it('reports running out of slots instead of wrapping', () => {
    const derivation = deriveFrontend(
      frontend([backend('10.244.1.1'), backend('10.244.1.2'), backend('10.244.1.3')]),
      7,
      new ServiceSlots(2),
      groups,
    );
    expect(derivation).toEqual({
      ok: false,
      reason: 'no free backend slot: 3 backends and 0 draining slots exceed the limit of 2',
    });
  });

  it("refuses more active backends than the selector's max group size", () => {
    const derivation = deriveFrontend(
      frontend([backend('10.244.1.1'), backend('10.244.1.2'), backend('10.244.1.3')]),
      7,
      new ServiceSlots(16),
      { ...groups, maxGroupSize: { backend: 2, affinity: 0 } },
    );
    expect(derivation).toEqual({
      ok: false,
      reason: "3 active backends exceed the backend selector's max group size of 2",
    });
  });

  it('leaves out the selector entry of a frontend without active backends', () => {
    const entries = derive(frontend([backend('10.244.1.5', 'terminating')]), new ServiceSlots(16));
    expect(entries.map((e) => e.kind)).toEqual(['frontend', 'reply', 'backend']);
  });
});

describe('deriveRoute', () => {
  const route = (prefix: string) => ({
    prefix,
    family: 4 as const,
    nodeName: 'node-1',
    port: 3,
    hostMac: '02:00:00:00:00:0B',
    switchMac: '02:00:00:00:00:01',
  });

  it('derives an l3_forward entry with lower-case MACs', () => {
    expect(deriveRoute(route('10.244.1.0/24'))).toEqual({
      kind: 'route',
      prefix: '10.244.1.0',
      prefixLen: 24,
      port: 3,
      smac: '02:00:00:00:00:01',
      dmac: '02:00:00:00:00:0b',
    });
  });

  it('says why a prefix cannot be a route', () => {
    expect(deriveRoute(route('10.244.1.1/24'))).toBe(
      'route 10.244.1.1/24: address has bits set beyond /24',
    );
    expect(deriveRoute(route('10.244.1.0'))).toBe('route 10.244.1.0: bad prefix length');
    expect(deriveRoute(route('10.244.1.0/33'))).toBe('route 10.244.1.0/33: bad prefix length');
  });
});

describe('planUpdates', () => {
  it('inserts from empty in make-before-break order: leaves, members, groups, selector entries, VIPs', () => {
    const tables = new EntryTable();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), new ServiceSlots(16)));
    expect(summary(planUpdates(tables, 'all'))).toEqual([
      'make INSERT r7',
      'make INSERT b7.0',
      'make INSERT mb1',
      'make INSERT gb7',
      'make INSERT sb7',
      'make INSERT f10.96.0.10:80/6',
    ]);
  });

  it('deletes in reverse order: VIPs first, slot entries last', () => {
    const tables = new EntryTable();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), new ServiceSlots(16)));
    holdDesired(tables);
    tables.removeOwner('web');
    expect(summary(planUpdates(tables, tables.takeTouched()))).toEqual([
      'break DELETE f10.96.0.10:80/6',
      'break DELETE sb7',
      'break DELETE gb7',
      'break DELETE mb1',
      'break DELETE r7',
      'break DELETE b7.0',
    ]);
  });

  it('writes nothing when the switch already holds the desired entries', () => {
    const tables = new EntryTable();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), new ServiceSlots(16)));
    expect((holdDesired(tables), planUpdates(tables, 'all'))).toEqual([]);
  });

  it('adds a backend before the group modify that uses it; the removed one keeps its slot entry', () => {
    const slots = new ServiceSlots(16);
    const tables = new EntryTable();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5'), backend('10.244.1.6')]), slots));
    holdDesired(tables);
    tables.takeTouched();
    tables.setOwner('web', derive(frontend([backend('10.244.1.6'), backend('10.244.1.7')]), slots));
    expect(summary(planUpdates(tables, tables.takeTouched()))).toEqual([
      'make INSERT b7.2',
      'make INSERT mb3',
      'make MODIFY gb7',
      'break DELETE mb1',
    ]);
  });

  it("with no drain time, gives a removed backend's slot to the next new backend", () => {
    const slots = new ServiceSlots(16);
    const tables = new EntryTable();
    const noDrain = { ...groups, drainMs: 0 };
    tables.setOwner(
      'web',
      derive(frontend([backend('10.244.1.5'), backend('10.244.1.6')]), slots, noDrain),
    );
    holdDesired(tables);
    tables.takeTouched();
    tables.setOwner(
      'web',
      derive(frontend([backend('10.244.1.6'), backend('10.244.1.7')]), slots, noDrain),
    );
    expect(summary(planUpdates(tables, tables.takeTouched()))).toEqual(['make MODIFY b7.0']);
  });

  it('moves a frontend between selectors by inserting the new entry before deleting the old', () => {
    const slots = new ServiceSlots(16);
    const tables = new EntryTable();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), slots));
    holdDesired(tables);
    tables.takeTouched();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')], true), slots));
    expect(summary(planUpdates(tables, tables.takeTouched()))).toEqual([
      'make INSERT ma1',
      'make INSERT ga7',
      'make INSERT sa7',
      'break DELETE sb7',
      'break DELETE gb7',
      'break DELETE mb1',
    ]);
  });

  it('rewrites wrong values with MODIFY and removes entries nobody wants', () => {
    const tables = new EntryTable();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), new ServiceSlots(16)));
    const read = [...tables.keys()].map((key) => {
      const entry = tables.get(key)!.desired!;
      if (entry.kind === 'frontend') return { entry: { ...entry, serviceId: 99 } };
      // Read back with another action: equal fields, but not what the reconciler writes.
      if (entry.kind === 'reply') return { entry, invalid: 'action NoAction' };
      return { entry };
    });
    const stray: SwitchEntry = {
      kind: 'backend',
      serviceId: 42,
      slot: 3,
      addr: '10.1.1.1',
      port: 1,
    };
    tables.setHolding([...read, { entry: stray }]);
    expect(summary(planUpdates(tables, 'all'))).toEqual([
      'make MODIFY r7',
      'make MODIFY f10.96.0.10:80/6',
      'break DELETE b42.3',
    ]);
  });

  it('shares selector members between services and deletes one only when no group needs it', () => {
    const tables = new EntryTable();
    tables.setOwner('a', [{ kind: 'member', selector: 'backend', memberId: 1, slot: 0 }]);
    tables.setOwner('b', [{ kind: 'member', selector: 'backend', memberId: 1, slot: 0 }]);
    holdDesired(tables);
    tables.takeTouched();
    tables.removeOwner('a');
    expect(planUpdates(tables, tables.takeTouched())).toEqual([]);
    tables.removeOwner('b');
    expect(summary(planUpdates(tables, tables.takeTouched()))).toEqual(['break DELETE mb1']);
  });

  it('attributes updates to their owner and makes groups depend on their members', () => {
    const tables = new EntryTable();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), new ServiceSlots(16)));
    const updates = planUpdates(tables, 'all').flatMap((phase) => phase.updates);
    expect(updates.find((u) => u.entry.kind === 'group')).toMatchObject({
      owner: 'web',
      dependsOn: ['mb1'],
    });
    expect(updates.find((u) => u.entry.kind === 'member')?.owner).toBeUndefined();
    expect(updates.find((u) => u.entry.kind === 'frontend')?.owner).toBe('web');
  });

  it('always MODIFYs the tag key default entry and never deletes it', () => {
    const tables = new EntryTable();
    const keys = { kind: 'tagKey', epoch: 3, current: 5n, previous: 4n } as const;
    tables.setOwner('tag key', [keys]);
    expect(summary(planUpdates(tables, 'all'))).toEqual(['make MODIFY t']);
    tables.setHolding([{ entry: keys }]);
    tables.removeOwner('tag key');
    expect(planUpdates(tables, 'all')).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { Backend, Frontend } from '../../src/model/desired-state.ts';
import {
  deriveFrontend,
  deriveRoute,
  type DerivationContext,
} from '../../src/reconcile/desired-entries.ts';
import { DesiredTables } from '../../src/reconcile/desired-tables.ts';
import { ServiceSlots } from '../../src/reconcile/id-allocator.ts';
import {
  entryKey,
  held,
  type HeldEntry,
  type SwitchEntry,
} from '../../src/reconcile/switch-entries.ts';
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

function holdingOf(tables: DesiredTables): Map<string, HeldEntry> {
  return new Map([...tables.keys()].map((key) => [key, tables.get(key)!]));
}

describe('deriveFrontend', () => {
  it('derives VIP, reply, slot entries and a group of shared members', () => {
    const entries = derive(
      frontend([backend('10.244.1.5'), backend('10.244.2.6')]),
      new ServiceSlots(16),
    );
    expect(entries.map(entryKey)).toEqual([
      'frontend|10.96.0.10|6|80',
      'reply|7',
      'backend|7|0',
      'backend|7|1',
      'member|backend|1',
      'member|backend|2',
      'group|backend|7',
      'select|backend|7',
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
    const tables = new DesiredTables();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), new ServiceSlots(16)));
    expect(summary(planUpdates(tables, new Map(), 'all'))).toEqual([
      'make INSERT reply|7',
      'make INSERT backend|7|0',
      'make INSERT member|backend|1',
      'make INSERT group|backend|7',
      'make INSERT select|backend|7',
      'make INSERT frontend|10.96.0.10|6|80',
    ]);
  });

  it('deletes in reverse order: VIPs first, slot entries last', () => {
    const tables = new DesiredTables();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), new ServiceSlots(16)));
    const holding = holdingOf(tables);
    tables.removeOwner('web');
    expect(summary(planUpdates(tables, holding, tables.takeTouched()))).toEqual([
      'break DELETE frontend|10.96.0.10|6|80',
      'break DELETE select|backend|7',
      'break DELETE group|backend|7',
      'break DELETE member|backend|1',
      'break DELETE reply|7',
      'break DELETE backend|7|0',
    ]);
  });

  it('writes nothing when the switch already holds the desired entries', () => {
    const tables = new DesiredTables();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), new ServiceSlots(16)));
    expect(planUpdates(tables, holdingOf(tables), 'all')).toEqual([]);
  });

  it('adds a backend before the group modify that uses it; the removed one keeps its slot entry', () => {
    const slots = new ServiceSlots(16);
    const tables = new DesiredTables();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5'), backend('10.244.1.6')]), slots));
    const holding = holdingOf(tables);
    tables.takeTouched();
    tables.setOwner('web', derive(frontend([backend('10.244.1.6'), backend('10.244.1.7')]), slots));
    expect(summary(planUpdates(tables, holding, tables.takeTouched()))).toEqual([
      'make INSERT backend|7|2',
      'make INSERT member|backend|3',
      'make MODIFY group|backend|7',
      'break DELETE member|backend|1',
    ]);
  });

  it("with no drain time, gives a removed backend's slot to the next new backend", () => {
    const slots = new ServiceSlots(16);
    const tables = new DesiredTables();
    const noDrain = { ...groups, drainMs: 0 };
    tables.setOwner(
      'web',
      derive(frontend([backend('10.244.1.5'), backend('10.244.1.6')]), slots, noDrain),
    );
    const holding = holdingOf(tables);
    tables.takeTouched();
    tables.setOwner(
      'web',
      derive(frontend([backend('10.244.1.6'), backend('10.244.1.7')]), slots, noDrain),
    );
    expect(summary(planUpdates(tables, holding, tables.takeTouched()))).toEqual([
      'make MODIFY backend|7|0',
    ]);
  });

  it('moves a frontend between selectors by inserting the new entry before deleting the old', () => {
    const slots = new ServiceSlots(16);
    const tables = new DesiredTables();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), slots));
    const holding = holdingOf(tables);
    tables.takeTouched();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')], true), slots));
    expect(summary(planUpdates(tables, holding, tables.takeTouched()))).toEqual([
      'make INSERT member|affinity|1',
      'make INSERT group|affinity|7',
      'make INSERT select|affinity|7',
      'break DELETE select|backend|7',
      'break DELETE group|backend|7',
      'break DELETE member|backend|1',
    ]);
  });

  it('rewrites wrong values with MODIFY and removes entries nobody wants', () => {
    const tables = new DesiredTables();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), new ServiceSlots(16)));
    const holding = holdingOf(tables);
    const wrongVip = held({
      kind: 'frontend',
      vip: '10.96.0.10',
      protocol: 6,
      port: 80,
      serviceId: 99,
    });
    holding.set(entryKey(wrongVip.entry), wrongVip);
    const stray = held({ kind: 'backend', serviceId: 42, slot: 3, addr: '10.1.1.1', port: 1 });
    holding.set(entryKey(stray.entry), stray);
    expect(summary(planUpdates(tables, holding, 'all'))).toEqual([
      'make MODIFY frontend|10.96.0.10|6|80',
      'break DELETE backend|42|3',
    ]);
  });

  it('shares selector members between services and deletes one only when no group needs it', () => {
    const tables = new DesiredTables();
    tables.setOwner('a', [{ kind: 'member', selector: 'backend', memberId: 1, slot: 0 }]);
    tables.setOwner('b', [{ kind: 'member', selector: 'backend', memberId: 1, slot: 0 }]);
    const holding = holdingOf(tables);
    tables.takeTouched();
    tables.removeOwner('a');
    expect(planUpdates(tables, holding, tables.takeTouched())).toEqual([]);
    tables.removeOwner('b');
    expect(summary(planUpdates(tables, holding, tables.takeTouched()))).toEqual([
      'break DELETE member|backend|1',
    ]);
  });

  it('attributes updates to their owner and makes groups depend on their members', () => {
    const tables = new DesiredTables();
    tables.setOwner('web', derive(frontend([backend('10.244.1.5')]), new ServiceSlots(16)));
    const updates = planUpdates(tables, new Map(), 'all').flatMap((phase) => phase.updates);
    expect(updates.find((u) => u.entry.kind === 'group')).toMatchObject({
      owner: 'web',
      dependsOn: ['member|backend|1'],
    });
    expect(updates.find((u) => u.entry.kind === 'member')?.owner).toBeUndefined();
    expect(updates.find((u) => u.entry.kind === 'frontend')?.owner).toBe('web');
  });

  it('always MODIFYs the tag key default entry and never deletes it', () => {
    const tables = new DesiredTables();
    const keys = { kind: 'tagKey', epoch: 3, current: 5n, previous: 4n } as const;
    tables.setOwner('tag key', [keys]);
    expect(summary(planUpdates(tables, new Map(), 'all'))).toEqual(['make MODIFY tagKey']);
    const holding = new Map([['tagKey', held(keys)]]);
    tables.removeOwner('tag key');
    expect(planUpdates(tables, holding, 'all')).toEqual([]);
  });
});

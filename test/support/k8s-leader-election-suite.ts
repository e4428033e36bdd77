import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../src/metrics/registry.ts';
import { ApiClient } from '../../src/k8s/api-client.ts';
import { LeaderElector, type Leadership } from '../../src/k8s/leader-election.ts';
import { eventually, targetFor, type ApiTarget } from './k8s-api-target.ts';

/**
 * Leader election tests for any API target. Short timings (lease 1.5 s, renew deadline
 * 1 s, retry 100 ms) keep them fast; the rules are the same as with the defaults.
 */

const TIMING = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };

interface Candidate {
  readonly name: string;
  readonly elector: LeaderElector;
  readonly metrics: MetricsRegistry;
  readonly log: {
    event: 'started' | 'stopped';
    at: number;
    leadership?: Leadership;
    reason?: string;
  }[];
}

export function defineLeaderElectionSuite(
  makeTarget: () => Promise<ApiTarget>,
  capabilities: { readonly faults: boolean },
): void {
  const withFaults = it.skipIf(!capabilities.faults);
  let target: ApiTarget;
  let leaseName: string;
  const candidates: Candidate[] = [];
  const extraTargets: ApiTarget[] = [];

  const candidate = (name: string, client = target.client): Candidate => {
    const metrics = new MetricsRegistry();
    const elector = new LeaderElector(
      client,
      { namespace: 'default', leaseName, identity: name, ...TIMING },
      { metrics },
    );
    const entry: Candidate = { name, elector, metrics, log: [] };
    elector.onStartedLeading((leadership) =>
      entry.log.push({ event: 'started', at: performance.now(), leadership }),
    );
    elector.onStoppedLeading((reason) =>
      entry.log.push({ event: 'stopped', at: performance.now(), reason }),
    );
    candidates.push(entry);
    return entry;
  };
  const leaders = () => candidates.filter((c) => c.elector.isLeader);

  beforeEach(async () => {
    target = await makeTarget();
    leaseName = `talaria-test-${Math.random().toString(36).slice(2, 8)}`;
  });

  afterEach(async () => {
    for (const c of candidates.splice(0)) await c.elector.stop();
    for (const t of extraTargets.splice(0)) await t.stop();
    await target.client.request({
      method: 'DELETE',
      path: `/apis/coordination.k8s.io/v1/namespaces/default/leases/${leaseName}`,
    });
    await target.stop();
  });

  describe('leader election', () => {
    it('lets exactly one of two racing candidates lead; the loser sees a 409', async () => {
      const a = candidate('replica-a');
      const b = candidate('replica-b');
      a.elector.start();
      b.elector.start();
      await eventually(() => expect(leaders()).toHaveLength(1));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(leaders()).toHaveLength(1);
      const [leader] = leaders();
      expect(leader!.log).toEqual([
        expect.objectContaining({
          event: 'started',
          leadership: { electionId: 1n, leaseTransitions: 0 },
        }),
      ]);
      const conflicts = [a, b].map(
        (c) =>
          c.metrics.render().match(/talaria_leader_election_conflicts_total (\d+)/)?.[1] ?? '0',
      );
      expect(conflicts.map(Number).reduce((x, y) => x + y)).toBeGreaterThanOrEqual(1);
    });

    it('hands over on release, the new leader with a higher election id', async () => {
      const a = candidate('replica-a');
      a.elector.start();
      await eventually(() => expect(a.elector.isLeader).toBe(true));
      const b = candidate('replica-b');
      b.elector.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(b.elector.isLeader).toBe(false);
      const releasedAt = performance.now();
      await a.elector.stop();
      await eventually(() => expect(b.elector.isLeader).toBe(true));
      // A released lease is taken at the next attempt, not after leaseDuration.
      expect(b.log[0]!.at - releasedAt).toBeLessThan(TIMING.leaseDurationMs);
      expect(a.log.map((e) => e.event)).toEqual(['started', 'stopped']);
      expect(b.log[0]!.leadership).toEqual({ electionId: 2n, leaseTransitions: 1 });
    });

    it('makes a leader cut off from the API stand down before anyone else leads', async () => {
      // a talks to the API through its own proxy, which the test then shuts.
      const aTarget = await targetFor(
        'a-only',
        target.proxiedKubeConfig(),
        undefined,
        async () => {},
      );
      extraTargets.push(aTarget);
      const a = candidate('replica-a', new ApiClient(aTarget.proxiedKubeConfig(), 300));
      a.elector.start();
      await eventually(() => expect(a.elector.isLeader).toBe(true));
      const b = candidate('replica-b');
      b.elector.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await aTarget.proxy.stop();
      await eventually(() => expect(b.elector.isLeader).toBe(true), 10_000);
      const aStopped = a.log.find((e) => e.event === 'stopped')!;
      expect(aStopped.reason).toMatch(/could not renew the lease/);
      // Never two leaders: a gave up before b took over.
      expect(aStopped.at).toBeLessThan(b.log[0]!.at);
      expect(b.log[0]!.leadership!.electionId).toBeGreaterThan(a.log[0]!.leadership!.electionId);
    });

    withFaults('keeps leading through a renewal refused with a conflict', async () => {
      const a = candidate('replica-a');
      a.elector.start();
      await eventually(() => expect(a.elector.isLeader).toBe(true));
      target.testServer!.failNextRequests(2, 409, { method: 'PUT', resource: 'leases' });
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(a.elector.isLeader).toBe(true);
      expect(a.metrics.render()).toMatch(/talaria_leader_election_conflicts_total 2/);
      expect(a.log.map((e) => e.event)).toEqual(['started']);
    });

    withFaults('gives up when another replica holds the lease', async () => {
      const a = candidate('replica-a');
      a.elector.start();
      await eventually(() => expect(a.elector.isLeader).toBe(true));
      const server = target.testServer!;
      const lease = server.list('Lease').find((l) => l.metadata.name === leaseName)!;
      server.apply({
        ...lease,
        spec: {
          ...(lease.spec as object),
          holderIdentity: 'intruder',
          renewTime: new Date().toISOString(),
        },
      });
      await eventually(() => expect(a.elector.state).toBe('stopped'));
      expect(a.log[1]!.reason).toBe('the lease is held by intruder');
    });
  });
}

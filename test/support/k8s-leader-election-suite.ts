import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../src/metrics/registry.ts';
import { ApiClient } from '../../src/k8s/api-client.ts';
import { LeaderElector, type Leadership } from '../../src/k8s/leader-election.ts';
import { eventually } from './eventually.ts';
import { targetFor, type ApiTarget } from './k8s-api-target.ts';

/**
 * Leader election tests for any API target. Short timings (lease 1.5 s, renew deadline
 * 1 s, retry 100 ms) keep them fast; the rules are the same as with the defaults. No test
 * measures time: they wait for attempts (the elector's attempt counter) and compare the
 * order of events, and a candidate whose rule must not depend on time gets a clock that
 * stands still.
 */

const TIMING = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };

interface Candidate {
  readonly name: string;
  readonly elector: LeaderElector;
  readonly metrics: MetricsRegistry;
  readonly log: {
    event: 'started' | 'stopped';
    /** Position among the events of every candidate of the test. */
    seq: number;
    leadership?: Leadership;
    reason?: string;
  }[];
}

/** A counter of the elector's metrics (0 before its first increment). */
function counter(c: Candidate, name: string): number {
  const match = c.metrics.render().match(new RegExp(`^${name} (\\d+)$`, 'm'));
  return Number(match?.[1] ?? 0);
}
const attempts = (c: Candidate) => counter(c, 'talaria_leader_election_attempts_total');
const conflicts = (c: Candidate) => counter(c, 'talaria_leader_election_conflicts_total');

/** Waits until `c` has finished `n` more attempts than it had begun when called. */
async function moreAttempts(c: Candidate, n: number): Promise<void> {
  // Attempts run one after another: once attempt k + 1 has begun, attempt k is done.
  const target = attempts(c) + n + 1;
  await eventually(() => expect(attempts(c)).toBeGreaterThanOrEqual(target));
}

/** A clock that stands still: a lease never expires by time, and a deadline never passes. */
const frozenClock = () => 1_000_000;

export function defineLeaderElectionSuite(
  makeTarget: () => Promise<ApiTarget>,
  capabilities: { readonly faults: boolean },
): void {
  const withFaults = it.skipIf(!capabilities.faults);
  let target: ApiTarget;
  let leaseName: string;
  const candidates: Candidate[] = [];
  const extraTargets: ApiTarget[] = [];
  let seq = 0;

  const candidate = (
    name: string,
    client = target.client,
    now: (() => number) | undefined = undefined,
  ): Candidate => {
    const metrics = new MetricsRegistry();
    const elector = new LeaderElector(
      client,
      { namespace: 'default', leaseName, identity: name, ...TIMING },
      now ? { metrics, now } : { metrics },
    );
    const entry: Candidate = { name, elector, metrics, log: [] };
    elector.onStartedLeading((leadership) =>
      entry.log.push({ event: 'started', seq: seq++, leadership }),
    );
    elector.onStoppedLeading((reason) => entry.log.push({ event: 'stopped', seq: seq++, reason }));
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
      const [leader] = leaders();
      const loser = leader === a ? b : a;
      // The loser keeps trying; several of its attempts later, still one leader.
      await moreAttempts(loser, 3);
      expect(leaders()).toEqual([leader]);
      expect(leader!.log).toEqual([
        expect.objectContaining({
          event: 'started',
          leadership: { electionId: 1n, leaseTransitions: 0 },
        }),
      ]);
      expect(loser.log).toEqual([]);
      expect(conflicts(a) + conflicts(b)).toBeGreaterThanOrEqual(1);
    });

    it('hands over on release, the new leader with a higher election id', async () => {
      const a = candidate('replica-a');
      a.elector.start();
      await eventually(() => expect(a.elector.isLeader).toBe(true));
      // On b's clock no lease ever expires: b can only lead because a released it, not
      // because leaseDuration passed.
      const b = candidate('replica-b', target.client, frozenClock);
      b.elector.start();
      await moreAttempts(b, 2);
      expect(b.elector.isLeader).toBe(false);
      await a.elector.stop();
      await eventually(() => expect(b.elector.isLeader).toBe(true));
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
      await moreAttempts(b, 1);
      expect(b.elector.isLeader).toBe(false);
      await aTarget.proxy.stop();
      await eventually(() => expect(b.elector.isLeader).toBe(true), 10_000);
      const aStopped = a.log.find((e) => e.event === 'stopped')!;
      expect(aStopped.reason).toMatch(/could not renew the lease/);
      // Never two leaders: a gave up before b took over.
      expect(aStopped.seq).toBeLessThan(b.log[0]!.seq);
      expect(b.log[0]!.leadership!.electionId).toBeGreaterThan(a.log[0]!.leadership!.electionId);
    });

    withFaults('keeps leading through a renewal refused with a conflict', async () => {
      // On a's clock the renew deadline never passes: what is tested is that a refused
      // renewal within the deadline is retried, not how long the deadline is.
      const a = candidate('replica-a', target.client, frozenClock);
      a.elector.start();
      await eventually(() => expect(a.elector.isLeader).toBe(true));
      target.testServer!.failNextRequests(2, 409, { method: 'PUT', resource: 'leases' });
      await eventually(() => expect(conflicts(a)).toBe(2));
      await moreAttempts(a, 1);
      expect(a.elector.isLeader).toBe(true);
      expect(conflicts(a)).toBe(2);
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

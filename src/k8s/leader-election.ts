import { z } from 'zod';
import { silentLogger, type Logger } from '../base/logger.ts';
import type { MetricsRegistry } from '../metrics/registry.ts';
import type { ApiClient } from './api-client.ts';
import { microTime } from './event-recorder.ts';

export interface LeaderElectionConfig {
  readonly namespace: string;
  readonly leaseName: string;
  /** Who we are: unique per process (pod name plus a random suffix). */
  readonly identity: string;
  /** How long a lease holds without renewal (client-go default 15 s). */
  readonly leaseDurationMs: number;
  /** The leader gives up when it could not renew for this long (10 s). */
  readonly renewDeadlineMs: number;
  /** Time between attempts, of candidates and of the leader's renewals (2 s). */
  readonly retryPeriodMs: number;
}

export const DEFAULT_LEASE_TIMING = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** What leadership gives: the P4Runtime election id to use while it lasts. */
export interface Leadership {
  /**
   * leaseTransitions + 1: every change of holder increments leaseTransitions, so a new
   * leader always presents a higher election id to the switches than the one before.
   */
  readonly electionId: bigint;
  readonly leaseTransitions: number;
}

export type ElectorState = 'idle' | 'candidate' | 'leader' | 'stopped';

const leaseSpec = z.object({
  holderIdentity: z.string().nullish(),
  leaseDurationSeconds: z.int().nullish(),
  acquireTime: z.string().nullish(),
  renewTime: z.string().nullish(),
  leaseTransitions: z.int().min(0).nullish(),
});

const leaseObject = z.object({
  metadata: z.object({ resourceVersion: z.string() }),
  spec: leaseSpec.nullish(),
});

type LeaseSpec = z.output<typeof leaseSpec>;

type Attempt =
  | { readonly outcome: 'acquired' | 'renewed'; readonly transitions: number }
  | { readonly outcome: 'held-by-other'; readonly holder: string }
  | { readonly outcome: 'failed'; readonly reason: string };

/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules: a candidate
 * takes the lease when its holder has not renewed it for leaseDuration (measured on our
 * own clock from when we last saw it change, so clocks need not agree); the leader renews
 * every retryPeriod and gives up when it could not for renewDeadline, or at once when
 * someone else holds the lease. Updates carry the resourceVersion they read, so two
 * candidates racing get one success and one 409.
 *
 * Leadership is lost for good: after onStoppedLeading the elector is stopped (the
 * controller exits and Kubernetes restarts it as a candidate). Transitions:
 * idle -> candidate -> leader -> stopped, or candidate -> stopped.
 */
export class LeaderElector {
  private current: ElectorState = 'idle';
  private timer: NodeJS.Timeout | undefined;
  private observed: { key: string; at: number } | undefined;
  private lastRenewal = 0;
  private readonly logger: Logger;
  private readonly started: ((leadership: Leadership) => void)[] = [];
  private readonly stoppedLeading: ((reason: string) => void)[] = [];
  private readonly attempts;
  private readonly conflicts;
  private readonly leaderGauge;

  constructor(
    private readonly client: ApiClient,
    private readonly config: LeaderElectionConfig,
    options: { logger?: Logger; metrics?: MetricsRegistry; now?: () => number } = {},
  ) {
    if (config.renewDeadlineMs >= config.leaseDurationMs) {
      throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    }
    this.logger = (options.logger ?? silentLogger).child('leader-election');
    this.now = options.now ?? Date.now;
    this.attempts = options.metrics?.counter(
      'talaria_leader_election_attempts_total',
      'Lease acquire or renew attempts',
    );
    this.conflicts = options.metrics?.counter(
      'talaria_leader_election_conflicts_total',
      'Lease writes refused with 409 (another candidate wrote first)',
    );
    this.leaderGauge = options.metrics?.gauge(
      'talaria_leader',
      '1 while this replica holds the lease',
    );
    this.leaderGauge?.set(0);
  }

  private readonly now: () => number;

  get state(): ElectorState {
    return this.current;
  }

  get isLeader(): boolean {
    return this.current === 'leader';
  }

  /** Called once, when this replica becomes the leader. */
  onStartedLeading(listener: (leadership: Leadership) => void): void {
    this.started.push(listener);
  }

  /** Called once, when leadership ends (lost, or stop()). The elector is then stopped. */
  onStoppedLeading(listener: (reason: string) => void): void {
    this.stoppedLeading.push(listener);
  }

  start(): void {
    if (this.current !== 'idle') return;
    this.transition('candidate', 'started');
    void this.round();
  }

  /**
   * Stops campaigning. A leader releases the lease (empty holder), so that another
   * replica takes over at once instead of after leaseDuration.
   */
  async stop(): Promise<void> {
    const wasLeader = this.current === 'leader';
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.current === 'stopped') return;
    this.transition('stopped', 'stop requested');
    if (wasLeader) {
      await this.release();
      this.notifyStopped('stop requested');
    }
  }

  private async round(): Promise<void> {
    const attempt = await this.tryAcquireOrRenew();
    if (this.state === 'candidate') this.afterCandidateAttempt(attempt);
    else if (this.state === 'leader') this.afterLeaderAttempt(attempt);
    const state = this.state;
    if (state === 'stopped' || state === 'idle') return;
    // Candidates spread their attempts (client-go's jitter factor 1.2); the leader keeps
    // time and never sleeps past its renew deadline.
    const delay =
      state === 'candidate'
        ? this.config.retryPeriodMs * (1 + Math.random() * 0.2)
        : Math.min(
            this.config.retryPeriodMs,
            Math.max(0, this.lastRenewal + this.config.renewDeadlineMs - this.now()),
          );
    this.timer = setTimeout(() => void this.round(), delay);
  }

  private afterCandidateAttempt(attempt: Attempt): void {
    switch (attempt.outcome) {
      case 'acquired':
      case 'renewed': {
        this.lastRenewal = this.now();
        this.transition(
          'leader',
          `lease ${this.config.namespace}/${this.config.leaseName} acquired`,
        );
        this.leaderGauge?.set(1);
        const leadership = {
          electionId: BigInt(attempt.transitions) + 1n,
          leaseTransitions: attempt.transitions,
        };
        for (const listener of this.started) listener(leadership);
        return;
      }
      case 'held-by-other':
        return;
      case 'failed':
        this.logger.debug('could not acquire the lease', { reason: attempt.reason });
    }
  }

  private afterLeaderAttempt(attempt: Attempt): void {
    const now = this.now();
    switch (attempt.outcome) {
      case 'acquired':
      case 'renewed':
        this.lastRenewal = now;
        return;
      case 'held-by-other':
        this.lose(`the lease is held by ${attempt.holder}`);
        return;
      case 'failed':
        if (now - this.lastRenewal >= this.config.renewDeadlineMs) {
          this.lose(
            `could not renew the lease for ${now - this.lastRenewal} ms: ${attempt.reason}`,
          );
        } else {
          this.logger.warn('lease renewal failed, retrying', { reason: attempt.reason });
        }
    }
  }

  private lose(reason: string): void {
    clearTimeout(this.timer);
    this.transition('stopped', `leadership lost: ${reason}`);
    this.notifyStopped(reason);
  }

  private notifyStopped(reason: string): void {
    this.leaderGauge?.set(0);
    for (const listener of this.stoppedLeading) listener(reason);
  }

  private transition(to: ElectorState, why: string): void {
    this.logger.info(`${this.current} -> ${to}`, { identity: this.config.identity, why });
    this.current = to;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.config.namespace}/leases`;
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    this.attempts?.inc();
    const now = this.now();
    const { identity, leaseDurationMs } = this.config;
    const read = await this.client.request({
      method: 'GET',
      path: `${this.path}/${this.config.leaseName}`,
    });
    if (!read.ok && read.status === 404) {
      const spec = this.spec(now, now, 0);
      return this.write(
        'POST',
        this.path,
        { metadata: { name: this.config.leaseName, namespace: this.config.namespace }, spec },
        'acquired',
        0,
      );
    }
    if (!read.ok) return { outcome: 'failed', reason: `read lease: ${read.message}` };
    const lease = leaseObject.safeParse(read.body);
    if (!lease.success)
      return { outcome: 'failed', reason: `unreadable lease: ${lease.error.message}` };
    const record = lease.data.spec ?? {};
    const holder = record.holderIdentity ?? '';
    const key = `${holder}|${record.renewTime ?? ''}|${lease.data.metadata.resourceVersion}`;
    if (this.observed?.key !== key) this.observed = { key, at: now };
    const transitions = record.leaseTransitions ?? 0;
    if (holder !== '' && holder !== identity) {
      const heldFor = (record.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
      if (this.observed.at + heldFor > now) return { outcome: 'held-by-other', holder };
    }
    const ours = holder === identity;
    const spec = ours
      ? this.spec(acquiredAt(record) ?? now, now, transitions)
      : this.spec(now, now, transitions + 1);
    return this.write(
      'PUT',
      `${this.path}/${this.config.leaseName}`,
      {
        metadata: {
          name: this.config.leaseName,
          namespace: this.config.namespace,
          resourceVersion: lease.data.metadata.resourceVersion,
        },
        spec,
      },
      ours ? 'renewed' : 'acquired',
      spec.leaseTransitions,
    );
  }

  private spec(acquireMs: number, renewMs: number, transitions: number) {
    return {
      holderIdentity: this.config.identity,
      leaseDurationSeconds: Math.ceil(this.config.leaseDurationMs / 1000),
      acquireTime: microTime(acquireMs),
      renewTime: microTime(renewMs),
      leaseTransitions: transitions,
    };
  }

  private async write(
    method: 'POST' | 'PUT',
    path: string,
    body: unknown,
    outcome: 'acquired' | 'renewed',
    transitions: number,
  ): Promise<Attempt> {
    const result = await this.client.request({ method, path, body });
    if (result.ok) return { outcome, transitions };
    if (result.status === 409) this.conflicts?.inc();
    return { outcome: 'failed', reason: `${method} lease: ${result.reason}: ${result.message}` };
  }

  /** Gives the lease up: empty holder, so candidates need not wait for it to expire. */
  private async release(): Promise<void> {
    const path = `${this.path}/${this.config.leaseName}`;
    const read = await this.client.request({ method: 'GET', path });
    const lease = read.ok ? leaseObject.safeParse(read.body) : undefined;
    if (!lease?.success || lease.data.spec?.holderIdentity !== this.config.identity) return;
    const now = this.now();
    const result = await this.client.request({
      method: 'PUT',
      path,
      body: {
        metadata: {
          name: this.config.leaseName,
          namespace: this.config.namespace,
          resourceVersion: lease.data.metadata.resourceVersion,
        },
        spec: {
          ...lease.data.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(now),
        },
      },
    });
    if (!result.ok) this.logger.warn('could not release the lease', { reason: result.message });
  }
}

function acquiredAt(record: LeaseSpec): number | undefined {
  const parsed = record.acquireTime ? Date.parse(record.acquireTime) : NaN;
  return Number.isNaN(parsed) ? undefined : parsed;
}

import { readFile } from 'node:fs/promises';
import type { ApiClient } from '../k8s/api-client.ts';
import { ClusterWatcher } from '../k8s/cluster-watcher.ts';
import { EventRecorder } from '../k8s/event-recorder.ts';
import type { InformerOptions } from '../k8s/informer.ts';
import { informerMetrics } from '../k8s/informer.ts';
import { InvalidObjectReporter } from '../k8s/invalid-object-reporter.ts';
import { LeaderElector, type Leadership } from '../k8s/leader-election.ts';
import type { DesiredState } from '../model/desired-state.ts';
import type { Pipeline } from '../p4rt/pipeline.ts';
import { ReconcileMetrics } from '../reconcile/metrics.ts';
import { Reconciler } from '../reconcile/reconciler.ts';
import type { ReconcilerOptions } from '../reconcile/reconciler-options.ts';
import { agentHostPortsOf, modelConfigOf, type ControllerConfig } from './config.ts';
import { DesiredStatePipeline } from './desired-state-pipeline.ts';
import { FrontendsConfigMap, offloadedFrontendsFile } from './frontends-configmap.ts';
import { ProbeServer } from '../base/probe-server.ts';
import { SwitchCounterMetrics, SwitchCounterReader } from './switch-counters.ts';
import type { Logger } from '../base/logger.ts';
import { MetricsRegistry } from '../metrics/registry.ts';

export const REPORTING_CONTROLLER = 'talaria.dev/controller';

export interface ControllerOptions {
  readonly client: ApiClient;
  readonly config: ControllerConfig;
  /** This replica's identity in the Lease and in Events (unique per process). */
  readonly identity: string;
  readonly logger: Logger;
  /** The pipeline to push where a switch runs another one. */
  readonly pipeline?: Pipeline;
  /** The cookie tag key (resolveTagKey); undefined: adopted from a switch or drawn. */
  readonly tagKey?: bigint;
  /** Overrides of the configured timings, for tests and the demo. */
  readonly timing?: {
    readonly leaseDurationMs?: number;
    readonly renewDeadlineMs?: number;
    readonly retryPeriodMs?: number;
    readonly coalesceMs?: number;
    readonly informer?: Pick<
      InformerOptions,
      'backoff' | 'inactivityTimeoutMs' | 'watchTimeoutSeconds'
    >;
  };
  /** Overrides config.httpListen (e.g. '127.0.0.1:0'); false: no probe server. */
  readonly httpListen?: string | false;
}

/**
 * The controller, assembled in the order that keeps it safe and observable (as
 * controller-runtime's manager does): probes and metrics first, then the caches (nothing
 * is computed before every first list), then leader election, and only on leadership the
 * writers: a Reconciler whose P4Runtime election id comes from the Lease. When leadership
 * is lost the writers are closed at once and whenLeadershipLost resolves: `talaria run`
 * then exits, and Kubernetes restarts it as a candidate.
 */
export class Controller {
  readonly metrics = new MetricsRegistry();
  readonly reconcileMetrics = new ReconcileMetrics(this.metrics);
  readonly watcher: ClusterWatcher;
  readonly pipeline: DesiredStatePipeline;
  readonly elector: LeaderElector;
  private writers: Reconciler | undefined;
  private readonly switchCounterMetrics = new SwitchCounterMetrics(this.metrics);
  private switchCounters: SwitchCounterReader | undefined;
  private keyRotation: NodeJS.Timeout | undefined;
  private frontendsConfigMap: FrontendsConfigMap | undefined;
  private currentLeadership: Leadership | undefined;
  private probeServer: ProbeServer | undefined;
  private readonly events: EventRecorder;
  private readonly reportedNotOffloaded = new Set<string>();
  private readonly lost: Promise<string>;
  private resolveLost!: (reason: string) => void;
  private stopping = false;

  private constructor(private readonly options: ControllerOptions) {
    const { client, config, logger, timing } = options;
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
    this.events = new EventRecorder(client, {
      controller: REPORTING_CONTROLLER,
      instance: options.identity,
    });
    this.watcher = new ClusterWatcher(client, {
      ...timing?.informer,
      reporter: new InvalidObjectReporter(logger.child('validation'), this.events, this.metrics),
      logger,
      metrics: informerMetrics(this.metrics),
    });
    this.pipeline = new DesiredStatePipeline(this.watcher.cache, {
      model: modelConfigOf(config),
      drainMs: config.drainSeconds * 1000,
      coalesceMs: timing?.coalesceMs ?? 50,
      logger: logger.child('model'),
      metrics: this.metrics,
    });
    const lease = config.leaderElection;
    this.elector = new LeaderElector(
      client,
      {
        namespace: lease.namespace,
        leaseName: lease.leaseName,
        identity: options.identity,
        leaseDurationMs: timing?.leaseDurationMs ?? lease.leaseDurationSeconds * 1000,
        renewDeadlineMs: timing?.renewDeadlineMs ?? lease.renewDeadlineSeconds * 1000,
        retryPeriodMs: timing?.retryPeriodMs ?? lease.retryPeriodSeconds * 1000,
      },
      { logger, metrics: this.metrics },
    );
    this.elector.onStartedLeading((leadership) => void this.startWriters(leadership));
    this.elector.onStoppedLeading((reason) => this.stopWriters(reason));
    this.pipeline.onState((state) => this.publish(state));
  }

  /** Starts everything; resolves once the caches are synced and the election has begun. */
  static async start(options: ControllerOptions): Promise<Controller> {
    const controller = new Controller(options);
    const listen = options.httpListen ?? options.config.httpListen;
    if (listen !== false) {
      controller.probeServer = await ProbeServer.start({
        listen,
        live: () => !controller.stopping,
        ready: {
          'informers-synced': () => controller.watcher.synced,
          'desired-state': () => controller.pipeline.current() !== undefined,
          'switches-primary': () => controller.switchesReady(),
        },
        metrics: async () => {
          // The leader's view of the switches' counters, read when scraped.
          await controller.switchCounters?.refresh(controller.pipeline.current());
          return controller.metrics.render();
        },
      });
      options.logger.info('probes and metrics listening', {
        address: controller.probeServer.address,
      });
    }
    controller.watcher.start();
    await controller.watcher.whenSynced();
    const state = controller.pipeline.start();
    options.logger.info('desired state computed', {
      frontends: state.frontends.size,
      routes: state.routes.length,
      notOffloaded: state.notOffloaded.length,
    });
    controller.elector.start();
    return controller;
  }

  /** The election id this replica programs the switches with, while it leads. */
  get leadership(): Leadership | undefined {
    return this.currentLeadership;
  }

  /** The writers, while this replica leads. */
  get reconciler(): Reconciler | undefined {
    return this.writers;
  }

  get probeAddress(): string | undefined {
    return this.probeServer?.address;
  }

  /** Resolves with the reason when this replica loses its leadership. */
  whenLeadershipLost(): Promise<string> {
    return this.lost;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.elector.stop();
    clearInterval(this.keyRotation);
    this.writers?.close();
    this.writers = undefined;
    this.switchCounters?.close();
    this.switchCounters = undefined;
    this.frontendsConfigMap?.close();
    this.pipeline.stop();
    await this.watcher.stop();
    await this.probeServer?.close();
  }

  private async startWriters(leadership: Leadership): Promise<void> {
    const { config, logger } = this.options;
    logger.info('leading: programming the switches', { electionId: String(leadership.electionId) });
    let switches: ReconcilerOptions['switches'];
    try {
      switches = await Promise.all(
        config.switches.map(async (s) => ({
          name: s.name,
          agentPorts: agentHostPortsOf(config, s.name),
          address: s.address,
          deviceId: s.deviceId,
          ...(s.tls ? { tls: await readTls(s.tls) } : {}),
        })),
      );
    } catch (error) {
      logger.error('cannot read the switches TLS files; standing down', { error: error as Error });
      await this.elector.stop();
      return;
    }
    if (!this.elector.isLeader) return;
    this.currentLeadership = leadership;
    this.writers = new Reconciler(
      {
        switches,
        electionId: leadership.electionId,
        ...(this.options.pipeline ? { pipeline: this.options.pipeline } : {}),
        selectorMode: config.selectorMode,
        backendChoice: config.backendChoice,
        buckets: config.buckets,
        drainMs: config.drainSeconds * 1000,
        ...(this.options.tagKey === undefined ? {} : { tagKey: this.options.tagKey }),
      },
      {
        metrics: this.reconcileMetrics,
        log: logger.child('reconcile'),
      },
    );
    this.writers.start();
    this.switchCounters = new SwitchCounterReader(
      switches,
      this.switchCounterMetrics,
      logger.child('switch-counters'),
      this.options.pipeline?.p4info,
    );
    if (config.tagKey.source === 'switch' && config.tagKey.rotateEverySeconds !== undefined) {
      this.keyRotation = setInterval(
        () => this.rotateTagKey('schedule'),
        config.tagKey.rotateEverySeconds * 1000,
      );
    }
    this.frontendsConfigMap = new FrontendsConfigMap(
      this.options.client,
      config.leaderElection.namespace,
      logger.child('frontends'),
    );
    const current = this.pipeline.current();
    if (current) this.publish(current);
  }

  /**
   * Rotates the cookie tag key on every switch (docs/wire-format.md, "Key epochs"), if this
   * replica leads and the key is not configured. Logs the new epoch, never a key.
   */
  rotateTagKey(why: string): number | undefined {
    const epoch = this.writers?.rotateTagKey();
    if (epoch === undefined) {
      this.options.logger.warn('tag key not rotated', {
        why,
        reason: this.writers
          ? 'the configuration names the key, or none is known yet'
          : 'not the leader',
      });
    } else {
      this.options.logger.info('tag key rotated', { why, epoch });
    }
    return epoch;
  }

  private stopWriters(reason: string): void {
    clearInterval(this.keyRotation);
    this.keyRotation = undefined;
    this.writers?.close();
    this.writers = undefined;
    this.switchCounters?.close();
    this.switchCounters = undefined;
    this.frontendsConfigMap?.close();
    this.frontendsConfigMap = undefined;
    this.currentLeadership = undefined;
    if (!this.stopping) {
      this.options.logger.error('leadership lost: stopped programming the switches', { reason });
      this.resolveLost(reason);
    }
  }

  private publish(state: DesiredState): void {
    const writers = this.writers;
    if (writers === undefined) return;
    const generation = writers.setDesiredState(state);
    // The agents learn a frontend once every switch has applied it (and not refused it).
    // whenApplied rejects only when these writers are closed (stop, or leadership lost):
    // then there is nothing to publish.
    writers.whenApplied(generation).then(
      () => {
        const status = writers.status();
        if (this.writers !== writers || status.generation !== generation) return;
        void this.frontendsConfigMap?.publish(offloadedFrontendsFile(state, status.notOffloaded));
      },
      () => undefined,
    );
    for (const item of state.notOffloaded) {
      const { namespace, name, portName } = item.service;
      const key = `${namespace}/${name}/${portName}/${item.reason}`;
      if (this.reportedNotOffloaded.has(key)) continue;
      this.reportedNotOffloaded.add(key);
      void this.events.record(
        { kind: 'Service', apiVersion: 'v1', namespace, name },
        { type: 'Warning', reason: 'NotOffloaded', action: 'Offload', note: item.reason },
      );
    }
  }

  private switchesReady(): boolean {
    if (!this.elector.isLeader) return true;
    const writers = this.writers;
    return writers !== undefined && writers.status().switches.every((s) => s.session === 'primary');
  }
}

async function readTls(tls: NonNullable<ControllerConfig['switches'][number]['tls']>) {
  const read = (path: string | undefined) => (path === undefined ? undefined : readFile(path));
  const [rootCerts, certChain, privateKey] = await Promise.all([
    read(tls.caFile),
    read(tls.certFile),
    read(tls.keyFile),
  ]);
  return {
    ...(rootCerts ? { rootCerts } : {}),
    ...(certChain ? { certChain } : {}),
    ...(privateKey ? { privateKey } : {}),
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
  };
}

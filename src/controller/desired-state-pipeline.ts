import type { ClusterCache, ClusterChange } from '../k8s/cluster-cache.ts';
import { DesiredStateAssembler } from '../model/desired-state-assembler.ts';
import type { DesiredState } from '../model/desired-state.ts';
import { hostRoutes, unattachedNodes } from '../model/host-routes.ts';
import type { ModelConfig } from '../model/model-config.ts';
import { serviceModel, usesNodes } from '../model/service-frontends.ts';
import { DrainClock } from './drain-clock.ts';
import { silentLogger, type Logger } from '../base/logger.ts';
import type { MetricsRegistry } from '../metrics/registry.ts';

export interface DesiredStatePipelineOptions {
  readonly model: ModelConfig;
  /** How long a terminating endpoint keeps its existing connections (ms). */
  readonly drainMs: number;
  /** How long to gather a burst of changes before computing (ms). */
  readonly coalesceMs: number;
  readonly now?: () => number;
  readonly logger?: Logger;
  readonly metrics?: MetricsRegistry;
}

/**
 * Level-based recomputation of the desired state (controller-runtime style): cache
 * changes only mark Service keys dirty; a flush recomputes each dirty Service from the
 * cache as it is then, and hands the whole new DesiredState to the listeners. A burst of
 * changes is coalesced into one flush. Nothing is computed before start(): the caches must
 * have completed their first list.
 */
export class DesiredStatePipeline {
  private readonly assembler = new DesiredStateAssembler();
  private readonly drainClock: DrainClock;
  private readonly dirty = new Set<string>();
  private nodesDirty = true;
  private started = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private state: DesiredState | undefined;
  private readonly listeners: ((state: DesiredState) => void)[] = [];
  private readonly now: () => number;
  private readonly logger: Logger;
  private lastUnattached = '';
  private readonly flushes;
  private readonly flushSeconds;

  constructor(
    private readonly cache: ClusterCache,
    private readonly options: DesiredStatePipelineOptions,
  ) {
    this.drainClock = new DrainClock(options.drainMs);
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.flushes = options.metrics?.counter(
      'talaria_model_flushes_total',
      'Desired states computed from the cluster',
    );
    this.flushSeconds = options.metrics?.histogram(
      'talaria_model_flush_duration_seconds',
      'Time to recompute the dirty Services and build the desired state',
    );
    options.metrics?.gauge('talaria_model_frontends', 'Frontends in the desired state', () => [
      [{}, this.state?.frontends.size ?? 0],
    ]);
    options.metrics?.gauge('talaria_model_not_offloaded', 'Service ports not offloaded', () => [
      [{}, this.state?.notOffloaded.length ?? 0],
    ]);
    cache.onChange((change) => this.markDirty(change));
  }

  /** Every new desired state, after each flush. */
  onState(listener: (state: DesiredState) => void): void {
    this.listeners.push(listener);
  }

  /** The last desired state computed, undefined before the first flush. */
  current(): DesiredState | undefined {
    return this.state;
  }

  /** Begins computing: call once every cache has completed its first list. */
  start(): DesiredState {
    this.started = true;
    for (const key of this.cache.serviceKeys()) this.dirty.add(key);
    this.nodesDirty = true;
    return this.flush();
  }

  stop(): void {
    this.started = false;
    clearTimeout(this.flushTimer);
    clearTimeout(this.drainTimer);
    this.flushTimer = this.drainTimer = undefined;
  }

  /** Recomputes what is dirty now and publishes the new state (also before the timer). */
  flush(): DesiredState {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const startedAt = performance.now();
    const now = this.now();
    for (const key of this.drainClock.expire(now)) this.dirty.add(key);
    if (this.nodesDirty) this.recomputeNodes();
    for (const key of this.dirty) {
      const service = this.cache.service(key);
      if (service === undefined) {
        this.drainClock.forget(key);
        this.assembler.setService(key, undefined);
        continue;
      }
      const slices = this.cache.slicesOf(key);
      this.drainClock.observe(key, slices, now);
      this.assembler.setService(
        key,
        serviceModel(service, slices, this.cache.nodes(), this.drainClock.drained),
      );
    }
    this.dirty.clear();
    this.scheduleDrainExpiry(now);
    const state = this.assembler.build();
    this.state = state;
    this.flushes?.inc();
    this.flushSeconds?.observe((performance.now() - startedAt) / 1000);
    for (const listener of this.listeners) listener(state);
    return state;
  }

  private markDirty(change: ClusterChange): void {
    if (change.kind === 'nodes') this.nodesDirty = true;
    else this.dirty.add(change.key);
    if (this.started && this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => this.flush(), this.options.coalesceMs);
    }
  }

  private recomputeNodes(): void {
    this.nodesDirty = false;
    const nodes = this.cache.nodes();
    this.assembler.setRoutes(hostRoutes(nodes, this.options.model));
    for (const key of this.cache.serviceKeys()) {
      if (usesNodes(this.cache.service(key)!)) this.dirty.add(key);
    }
    const unattached = unattachedNodes(nodes, this.options.model).join(', ');
    if (unattached !== '' && unattached !== this.lastUnattached) {
      this.logger.warn('nodes missing from the fabric configuration get no route', {
        nodes: unattached,
      });
    }
    this.lastUnattached = unattached;
  }

  private scheduleDrainExpiry(now: number): void {
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    const next = this.drainClock.nextExpiry();
    if (next === undefined || !this.started) return;
    this.drainTimer = setTimeout(() => this.flush(), Math.max(0, next - now));
    this.drainTimer.unref();
  }
}

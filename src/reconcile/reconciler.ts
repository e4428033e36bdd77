import { createLogger, type Logger } from '../base/logger.ts';
import type { DesiredState, NotOffloaded } from '../model/desired-state.ts';
import { ReconcileMetrics } from './metrics.ts';
import { parseReconcilerOptions, type ReconcilerOptions } from './reconciler-options.ts';
import { SwitchReconciler, type SwitchStatus } from './switch-reconciler.ts';
import { TagKeyRing, type TagKeys } from './tag-key.ts';

export interface ReconcilerStatus {
  /** The generation of the newest desired state handed over (0: none yet). */
  readonly generation: number;
  readonly switches: readonly SwitchStatus[];
  /**
   * Everything not served by every switch, once per Service port: the model's own list,
   * IPv6 frontends, and frontends a switch refused (the reason names the switch).
   */
  readonly notOffloaded: readonly NotOffloaded[];
}

export interface ReconcilerDependencies {
  /** Default: warnings and errors on stderr, info too with TALARIA_TRACE=reconcile. */
  readonly log?: Logger;
  readonly metrics?: ReconcileMetrics;
  /** Clock for drain times and retries (milliseconds); tests move it. */
  readonly now?: () => number;
  /** Where fresh tag keys come from (default: drawTagKey, the system's CSPRNG). */
  readonly drawTagKey?: () => bigint;
}

const IPV6_REASON = 'IPv6 frontends are not offloaded: the switch data plane is IPv4 only';

/**
 * Keeps every configured switch equal to the desired state. The k8s side calls
 * setDesiredState() whenever its model changes (each call replaces the previous state;
 * switches that are busy skip straight to the newest), reads status() for events and
 * readiness, and exposes `metrics`. Each switch has its own session, pace and retries:
 * a dead switch does not hold up the others.
 */
export class Reconciler {
  readonly metrics: ReconcileMetrics;
  private readonly switches: readonly SwitchReconciler[];
  private generation = 0;
  private state: DesiredState | undefined;
  private readonly tagKey: TagKeyRing;

  constructor(options: ReconcilerOptions, dependencies: ReconcilerDependencies = {}) {
    const resolved = parseReconcilerOptions(options);
    this.metrics = dependencies.metrics ?? new ReconcileMetrics();
    const tagKey = new TagKeyRing(resolved.tagKey, dependencies.drawTagKey);
    this.tagKey = tagKey;
    const names = new Set<string>();
    this.switches = resolved.switches.map((switchOptions) => {
      const name = switchOptions.name ?? `${switchOptions.address}/${switchOptions.deviceId}`;
      if (names.has(name)) throw new Error(`reconciler: two switches are named "${name}"`);
      names.add(name);
      return new SwitchReconciler({
        name,
        switchOptions,
        electionId: switchOptions.electionId ?? resolved.electionId,
        pipeline: resolved.pipeline,
        selectorMode: resolved.selectorMode,
        bucketSizing: resolved.backendChoice === 'buckets' ? resolved.buckets : undefined,
        drainMs: resolved.drainMs,
        maxSlotsPerService: resolved.maxSlotsPerService,
        batchSize: resolved.batchSize,
        writeConcurrency: resolved.writeConcurrency,
        refusedRetryMs: resolved.refusedRetryMs,
        backoff: resolved.backoff,
        tagKey,
        metrics: this.metrics,
        log: dependencies.log ?? createLogger('reconcile', { level: 'warn' }),
        now: dependencies.now ?? Date.now,
      });
    });
  }

  /** Connects to every switch; passes start once a switch says we are primary. */
  start(): void {
    for (const switchReconciler of this.switches) switchReconciler.start();
  }

  /**
   * Rotates the cookie tag key on every switch (docs/wire-format.md, "Key epochs"): a fresh
   * key becomes current, the current one previous. Returns the new epoch, or undefined when
   * the configuration names the key (then changing it rotates) or no key is known yet (none
   * adopted or drawn: nothing to rotate). Takes effect with the next pass.
   */
  rotateTagKey(): number | undefined {
    if (!this.tagKey.rotatable || this.tagKey.value === undefined) return undefined;
    const keys: TagKeys = this.tagKey.rotate();
    if (this.state !== undefined) this.setDesiredState(this.state);
    return keys.epoch;
  }

  /** Hands over the newest desired state and returns its generation number. */
  setDesiredState(state: DesiredState): number {
    this.state = state;
    this.generation++;
    for (const switchReconciler of this.switches)
      switchReconciler.setDesired(state, this.generation);
    return this.generation;
  }

  /**
   * Resolves once every switch (or the one named) has applied `generation` or a newer
   * one. A switch that is down keeps it pending until it is back.
   */
  async whenApplied(generation = this.generation, switchName?: string): Promise<void> {
    const targets = switchName === undefined ? this.switches : [this.switch(switchName)];
    await Promise.all(targets.map((s) => s.whenApplied(generation)));
  }

  switch(name: string): SwitchReconciler {
    const found = this.switches.find((s) => s.name === name);
    if (found === undefined) {
      throw new Error(
        `reconciler: no switch "${name}" (${this.switches.map((s) => s.name).join(', ')})`,
      );
    }
    return found;
  }

  get switchNames(): readonly string[] {
    return this.switches.map((s) => s.name);
  }

  status(): ReconcilerStatus {
    const switches = this.switches.map((s) => s.status());
    const notOffloaded = new Map<string, NotOffloaded>();
    const add = (item: NotOffloaded): void => {
      const { namespace, name, portName } = item.service;
      const key = `${namespace}/${name}:${portName}`;
      if (!notOffloaded.has(key)) notOffloaded.set(key, item);
    };
    for (const item of this.state?.notOffloaded ?? []) add(item);
    for (const frontend of this.state?.frontends.values() ?? []) {
      if (frontend.family === 6) add({ service: frontend.service, reason: IPV6_REASON });
    }
    for (const switchStatus of switches) {
      for (const item of switchStatus.notOffloaded) {
        add({
          service: item.service,
          reason: `switch ${switchStatus.name}: ${item.frontendKey}: ${item.reason}`,
        });
      }
    }
    return { generation: this.generation, switches, notOffloaded: [...notOffloaded.values()] };
  }

  close(): void {
    for (const switchReconciler of this.switches) switchReconciler.close();
  }
}

import { MetricsRegistry } from '../metrics/registry.ts';

/**
 * Every metric the reconciler keeps, registered in a MetricsRegistry (the controller's,
 * so /metrics renders them with the rest); all carry a `switch` label (the switch's name).
 */
export class ReconcileMetrics {
  readonly passes;
  readonly errors;
  readonly writes;
  readonly refusedUpdates;
  readonly notOffloaded;
  readonly pipelinePushes;
  readonly readBacks;
  readonly primary;
  readonly duration;

  constructor(readonly registry: MetricsRegistry = new MetricsRegistry()) {
    this.passes = registry.counter(
      'talaria_reconcile_total',
      'Reconcile passes run, by result (ok, refused, error).',
    );
    this.errors = registry.counter(
      'talaria_reconcile_errors_total',
      'Reconcile failures by kind: session (switch unreachable or not primary), refused (an update the switch refused), stale (the switch differed from what was believed; re-read).',
    );
    this.writes = registry.counter(
      'talaria_reconcile_writes_total',
      'Updates acknowledged by the switch, by op (INSERT, MODIFY, DELETE) and table.',
    );
    this.refusedUpdates = registry.counter(
      'talaria_reconcile_refused_updates_total',
      'Updates the switch refused, by canonical code.',
    );
    this.notOffloaded = registry.gauge(
      'talaria_reconcile_not_offloaded',
      'Frontends the switch does not serve because it refused them or they ran out of slots (IPv6 ones are not counted).',
    );
    this.pipelinePushes = registry.counter(
      'talaria_reconcile_pipeline_pushes_total',
      'Forwarding pipelines pushed because the device cookie differed.',
    );
    this.readBacks = registry.counter(
      'talaria_reconcile_read_backs_total',
      'Full read-backs of the switch state.',
    );
    this.primary = registry.gauge(
      'talaria_switch_primary',
      '1 while this controller is primary for the switch.',
    );
    this.duration = registry.histogram(
      'talaria_reconcile_duration_seconds',
      'Duration of reconcile passes that wrote to the switch.',
      [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    );
  }

  /** Prometheus text exposition of the registry (the reconciler's metrics and any other). */
  render(): string {
    return this.registry.render();
  }
}

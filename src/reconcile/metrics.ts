/**
 * The reconciler's metrics: plain counters, gauges and histograms with labels, readable
 * in tests (`get`) and renderable in the Prometheus text exposition format (`render`) by
 * whoever serves /metrics. No HTTP here.
 */

export type Labels = Readonly<Record<string, string>>;

const labelKey = (labels: Labels): string =>
  Object.keys(labels)
    .sort()
    .map(
      (name) =>
        `${name}="${String(labels[name]).replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`,
    )
    .join(',');

abstract class Metric {
  protected readonly series = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}

  get(labels: Labels = {}): number {
    return this.series.get(labelKey(labels)) ?? 0;
  }

  /** Sum over every series whose labels include `labels`. */
  sum(labels: Labels = {}): number {
    const wanted = labelKey(labels)
      .split(',')
      .filter((part) => part !== '');
    let total = 0;
    for (const [key, value] of this.series) {
      const parts = key.split(',');
      if (wanted.every((part) => parts.includes(part))) total += value;
    }
    return total;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const [key, value] of this.series)
      lines.push(`${this.name}${key ? `{${key}}` : ''} ${value}`);
    return lines;
  }
}

export class Counter extends Metric {
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.series.set(key, (this.series.get(key) ?? 0) + by);
  }
}

export class Gauge extends Metric {
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }

  set(labels: Labels, value: number): void {
    this.series.set(labelKey(labels), value);
  }
}

export class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let series = this.series.get(key);
    if (series === undefined) {
      series = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    this.buckets.forEach((bound, i) => {
      if (value <= bound) series.counts[i]!++;
    });
    series.sum += value;
    series.count++;
  }

  count(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, series] of this.series) {
      const sep = key ? ',' : '';
      this.buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket{${key}${sep}le="${bound}"} ${series.counts[i]}`);
      });
      lines.push(`${this.name}_bucket{${key}${sep}le="+Inf"} ${series.count}`);
      lines.push(`${this.name}_sum${key ? `{${key}}` : ''} ${series.sum}`);
      lines.push(`${this.name}_count${key ? `{${key}}` : ''} ${series.count}`);
    }
    return lines;
  }
}

/** Every metric the reconciler keeps; all carry a `switch` label (the switch's name). */
export class ReconcileMetrics {
  readonly passes = new Counter(
    'talaria_reconcile_total',
    'Reconcile passes run, by result (ok, refused, error).',
  );
  readonly errors = new Counter(
    'talaria_reconcile_errors_total',
    'Reconcile failures by kind: session (switch unreachable or not primary), refused (an update the switch refused), stale (the switch differed from what was believed; re-read).',
  );
  readonly writes = new Counter(
    'talaria_reconcile_writes_total',
    'Updates acknowledged by the switch, by op (INSERT, MODIFY, DELETE) and table.',
  );
  readonly refusedUpdates = new Counter(
    'talaria_reconcile_refused_updates_total',
    'Updates the switch refused, by canonical code.',
  );
  readonly notOffloaded = new Gauge(
    'talaria_reconcile_not_offloaded',
    'Frontends the switch does not serve because it refused them or they ran out of slots (IPv6 ones are not counted).',
  );
  readonly pipelinePushes = new Counter(
    'talaria_reconcile_pipeline_pushes_total',
    'Forwarding pipelines pushed because the device cookie differed.',
  );
  readonly readBacks = new Counter(
    'talaria_reconcile_read_backs_total',
    'Full read-backs of the switch state.',
  );
  readonly primary = new Gauge(
    'talaria_switch_primary',
    '1 while this controller is primary for the switch.',
  );
  readonly duration = new Histogram(
    'talaria_reconcile_duration_seconds',
    'Duration of reconcile passes that wrote to the switch.',
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
  );

  /** Prometheus text exposition of every metric. */
  render(): string {
    const metrics = [
      this.passes,
      this.errors,
      this.writes,
      this.refusedUpdates,
      this.notOffloaded,
      this.pipelinePushes,
      this.readBacks,
      this.primary,
      this.duration,
    ];
    return `${metrics.flatMap((metric) => metric.render()).join('\n')}\n`;
  }
}

/**
 * Prometheus metrics in the text exposition format (version 0.0.4), served on /metrics.
 * The one metrics implementation of the project (controller, k8s side and reconciler).
 * Small on purpose: counters, gauges (set or computed when scraped) and histograms with
 * fixed buckets, each with optional labels, readable in tests (`get`, `sum`). Names follow
 * `talaria_<what>_<unit>`.
 */

export type Labels = Readonly<Record<string, string>>;

interface Metric {
  readonly name: string;
  render(): string[];
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
}

function seriesKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort());
}

/** Sum over every series whose labels include all of `wanted`. */
function sumMatching(series: Iterable<{ labels: Labels; value: number }>, wanted: Labels): number {
  const required = Object.entries(wanted);
  let total = 0;
  for (const { labels, value } of series) {
    if (required.every(([name, v]) => labels[name] === v)) total += value;
  }
  return total;
}

export class Counter implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
    /** When given, the series are read from it at scrape time (counts kept elsewhere, e.g. a kernel map's). */
    private readonly collect?: () => Iterable<readonly [Labels, number]>,
  ) {}

  inc(labels: Labels = {}, amount = 1): void {
    const key = seriesKey(labels);
    const series = this.values.get(key);
    if (series) series.value += amount;
    else this.values.set(key, { labels, value: amount });
  }

  get(labels: Labels = {}): number {
    return this.values.get(seriesKey(labels))?.value ?? 0;
  }

  /** Sum over every series whose labels include `labels`. */
  sum(labels: Labels = {}): number {
    return sumMatching(this.values.values(), labels);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    const series = this.collect
      ? this.collect()
      : [...this.values.values()].map((s) => [s.labels, s.value] as const);
    for (const [labels, value] of series) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines;
  }
}

export class Gauge implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
    /** When given, the gauge's series are read from it at scrape time. */
    private readonly collect?: () => Iterable<readonly [Labels, number]>,
  ) {}

  set(value: number, labels: Labels = {}): void {
    this.values.set(seriesKey(labels), { labels, value });
  }

  get(labels: Labels = {}): number {
    return this.values.get(seriesKey(labels))?.value ?? 0;
  }

  /** Sum over every series whose labels include `labels`. */
  sum(labels: Labels = {}): number {
    return sumMatching(this.values.values(), labels);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    const series = this.collect
      ? this.collect()
      : [...this.values.values()].map((s) => [s.labels, s.value] as const);
    for (const [labels, value] of series) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines;
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly buckets: readonly number[],
  ) {}

  observe(value: number, labels: Labels = {}): void {
    const key = seriesKey(labels);
    let series = this.series.get(key);
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    this.buckets.forEach((bound, i) => {
      if (value <= bound) series.counts[i]! += 1;
    });
    series.sum += value;
    series.count += 1;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(
          `${this.name}_bucket${labelText({ ...labels, le: String(bound) })} ${counts[i]}`,
        );
      });
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines;
  }
}

/** Buckets for durations in seconds, 1 ms to 10 s. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  counter(
    name: string,
    help: string,
    collect?: () => Iterable<readonly [Labels, number]>,
  ): Counter {
    return this.register(new Counter(name, help, collect));
  }

  gauge(name: string, help: string, collect?: () => Iterable<readonly [Labels, number]>): Gauge {
    return this.register(new Gauge(name, help, collect));
  }

  histogram(name: string, help: string, buckets: readonly number[] = DURATION_BUCKETS): Histogram {
    return this.register(new Histogram(name, help, buckets));
  }

  /** The exposition text of every metric. */
  render(): string {
    return [...this.metrics.values()].flatMap((m) => m.render()).join('\n') + '\n';
  }

  private register<M extends Metric>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

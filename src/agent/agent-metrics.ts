import { MetricsRegistry, type Labels } from '../metrics/registry.ts';
import type { StatCounter } from './datapath-maps.ts';
import type { Datapath } from './datapath.ts';

/**
 * The agent's Prometheus metrics (`/metrics` of `talaria agent`): what its passes did, and
 * what the data path counted, read from the pinned maps when scraped:
 *
 * - talaria_agent_datapath_packets_total / _bytes_total{code, path}: the tl_stats counters
 *   by name (datapath-stats.ts); `path` says where such packets went: `fast` (forwarded by
 *   the fast path), `kernel` (passed to the kernel's path: the fallbacks), `drop`, or
 *   `event` (flow events, not packets);
 * - talaria_agent_flows{table}: entries of the client and backend flow maps;
 * - talaria_agent_pods{path}: pod interfaces with the fast path attached, and those the CNI
 *   plugin left on the kernel path;
 * - talaria_agent_vips, talaria_agent_fast_path_enabled, passes and failed passes.
 */

function pathOf(code: string): string {
  if (code.startsWith('FWD_')) return 'fast';
  if (code.startsWith('PASS_')) return 'kernel';
  if (code.startsWith('DROP_') || code.startsWith('HOST_DROP_')) return 'drop';
  return 'event';
}

export class AgentMetrics {
  readonly registry = new MetricsRegistry();
  readonly passes = this.registry.counter(
    'talaria_agent_passes_total',
    'Passes that brought the maps and hooks in step with the agent inputs',
  );
  readonly passFailures = this.registry.counter(
    'talaria_agent_pass_failures_total',
    'Passes that failed (retried at the next poll)',
  );
  readonly fastPathEnabled = this.registry.gauge(
    'talaria_agent_fast_path_enabled',
    '1 while the uplink is up and the fast path is on; 0: all traffic takes the kernel path',
  );
  readonly pods = this.registry.gauge(
    'talaria_agent_pods',
    'Pod interfaces by path: fast (hooks attached) or kernel (left there by the CNI plugin)',
  );
  readonly vips = this.registry.gauge('talaria_agent_vips', 'Offloaded frontends in tl_vips');

  private stats = new Map<string, StatCounter>();
  private flows = { client: 0, backend: 0 };

  constructor() {
    const statSeries = (field: keyof StatCounter) => () =>
      [...this.stats].map(
        ([code, counter]) =>
          [{ code, path: pathOf(code) } as Labels, Number(counter[field])] as const,
      );
    this.registry.counter(
      'talaria_agent_datapath_packets_total',
      'Packets counted by the data path (tl_stats), by code and where they went',
      statSeries('packets'),
    );
    this.registry.counter(
      'talaria_agent_datapath_bytes_total',
      'Bytes counted by the data path (tl_stats), by code and where they went',
      statSeries('bytes'),
    );
    this.registry.gauge('talaria_agent_flows', 'Entries of the flow maps, by table', () => [
      [{ table: 'client' }, this.flows.client],
      [{ table: 'backend' }, this.flows.backend],
    ]);
  }

  /** Reads the data path's counters and flow maps, then renders every metric. */
  async scrape(datapath: Datapath): Promise<string> {
    const [stats, client, backend] = await Promise.all([
      datapath.readStats(),
      datapath.readFlows('client'),
      datapath.readFlows('backend'),
    ]);
    this.stats = stats;
    this.flows = { client: client.length, backend: backend.length };
    return this.registry.render();
  }
}

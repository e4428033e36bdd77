import type { Logger } from '../base/logger.ts';
import type { Labels, MetricsRegistry } from '../metrics/registry.ts';
import type { DesiredState } from '../model/desired-state.ts';
import type { P4RuntimeClientOptions } from '../p4rt/client-options.ts';
import { P4RuntimeClient } from '../p4rt/client.ts';
import { EntityCodec, type MatchValue, type Value } from '../p4rt/entity-codec.ts';
import type { P4Info__Output } from '../p4rt/generated/p4/config/v1/P4Info.ts';
import { P4InfoIndex } from '../p4rt/p4info-index.ts';
import { PROTOCOL_NUMBER } from '../reconcile/derive-entries.ts';
import { COUNTERS, TABLES } from '../reconcile/p4-names.ts';
import { DROP_COUNTER_INDICES } from '../wire/drop-reasons.ts';

/**
 * What the switches counted, as Prometheus metrics of the leader, read over P4Runtime when
 * /metrics is scraped (no election: reads need none, and they do not disturb the writers):
 *
 * - talaria_switch_service_packets_total / _bytes_total{switch, namespace, service, port,
 *   frontend}: the direct counter of each frontend entry, named by the Service port the
 *   desired state gives it (`frontend` is VIP:port/protocol);
 * - talaria_switch_drops_total{switch, reason}: the pipeline's drop counter by reason
 *   (src/wire/drop-reasons.ts);
 * - talaria_switch_counter_reads_failed_total{switch}: scrapes that could not read a switch
 *   (its series then keep their last values).
 */

export interface CountedSwitch {
  readonly name?: string;
  readonly address: string;
  readonly deviceId: P4RuntimeClientOptions['deviceId'];
  readonly tls?: P4RuntimeClientOptions['tls'];
}

interface Cell {
  readonly labels: Labels;
  readonly packets: number;
  readonly bytes: number;
}

const DROP_REASON_OF_INDEX = new Map<number, string>(
  Object.entries(DROP_COUNTER_INDICES).map(([reason, index]) => [index, reason]),
);

function exact(match: MatchValue | Value | undefined): bigint | undefined {
  if (match === undefined) return undefined;
  if (typeof match === 'object') return match.kind === 'exact' ? BigInt(match.value) : undefined;
  return BigInt(match);
}

function ipv4(value: bigint): string {
  return [24, 16, 8, 0].map((shift) => Number((value >> BigInt(shift)) & 0xffn)).join('.');
}

/** Metrics families, registered once per registry; sources change with leadership. */
export class SwitchCounterMetrics {
  private readonly cells = new Map<string, { services: Cell[]; drops: Cell[] }>();
  private readonly failed;

  constructor(registry: MetricsRegistry) {
    const series = (kind: 'services' | 'drops', field: 'packets' | 'bytes') => () =>
      [...this.cells.values()].flatMap((c) =>
        c[kind].map((cell) => [cell.labels, cell[field]] as const),
      );
    registry.counter(
      'talaria_switch_service_packets_total',
      'Packets the switch matched to each Service frontend (its direct counter)',
      series('services', 'packets'),
    );
    registry.counter(
      'talaria_switch_service_bytes_total',
      'Bytes the switch matched to each Service frontend (its direct counter)',
      series('services', 'bytes'),
    );
    registry.counter(
      'talaria_switch_drops_total',
      'Packets the switch pipeline dropped, by reason',
      series('drops', 'packets'),
    );
    this.failed = registry.counter(
      'talaria_switch_counter_reads_failed_total',
      'Scrapes that could not read the counters of a switch',
    );
  }

  set(switchName: string, services: Cell[], drops: Cell[]): void {
    this.cells.set(switchName, { services, drops });
  }

  readFailed(switchName: string): void {
    this.failed.inc({ switch: switchName });
  }

  forget(): void {
    this.cells.clear();
  }
}

/** Reads the counters of the switches this replica programs (one read-only session each). */
export class SwitchCounterReader {
  private readonly clients = new Map<string, { client: P4RuntimeClient; codec?: EntityCodec }>();

  constructor(
    private readonly switches: readonly CountedSwitch[],
    private readonly metrics: SwitchCounterMetrics,
    private readonly logger: Logger,
    /** The pipeline's P4Info when the controller pushes one; else each switch's own. */
    private readonly p4info?: P4Info__Output,
  ) {
    for (const s of switches) {
      const name = s.name ?? s.address;
      const client = new P4RuntimeClient({
        address: s.address,
        deviceId: s.deviceId,
        electionId: 0n,
        rpcTimeoutMs: 5_000,
        ...(s.tls ? { tls: s.tls } : {}),
      });
      this.clients.set(name, { client });
    }
  }

  /** Reads every switch's counters into the metrics, naming frontends after `state`. */
  async refresh(state: DesiredState | undefined): Promise<void> {
    const serviceOf = new Map<string, Labels>();
    for (const frontend of state?.frontends.values() ?? []) {
      if (frontend.family !== 4) continue;
      const protocol = PROTOCOL_NUMBER[frontend.protocol];
      serviceOf.set(`${frontend.ip}:${frontend.port}/${protocol}`, {
        namespace: frontend.service.namespace,
        service: frontend.service.name,
        port: frontend.service.portName,
        frontend: `${frontend.ip}:${frontend.port}/${frontend.protocol}`,
      });
    }
    await Promise.all(
      this.switches.map(async ({ name: given, address }) => {
        const name = given ?? address;
        try {
          await this.readSwitch(name, serviceOf);
        } catch (error) {
          this.metrics.readFailed(name);
          this.logger.warn('cannot read the switch counters', {
            switch: name,
            error: error as Error,
          });
        }
      }),
    );
  }

  private async readSwitch(name: string, serviceOf: ReadonlyMap<string, Labels>): Promise<void> {
    const session = this.clients.get(name)!;
    if (!session.codec) {
      const p4info = this.p4info ?? (await session.client.getP4Info());
      if (!p4info) throw new Error('the switch has no pipeline');
      session.codec = new EntityCodec(new P4InfoIndex(p4info));
    }
    const codec = session.codec;
    const entities = await session.client.read([
      codec.readDirectCounters(TABLES.frontends),
      codec.readCounter(COUNTERS.drop),
    ]);
    const services: Cell[] = [];
    const drops: Cell[] = [];
    for (const entity of entities) {
      const named = codec.decode(entity);
      if (named.kind === 'directCounter') {
        const { match } = named.cell.entry;
        const vip = exact(match.vip_addr);
        const port = exact(match.vip_port);
        const protocol = exact(match.protocol);
        if (vip === undefined || port === undefined || protocol === undefined) continue;
        const labels = serviceOf.get(`${ipv4(vip)}:${port}/${protocol}`);
        // An entry the desired state no longer has (being removed): not a Service's now.
        if (!labels) continue;
        services.push({
          labels: { switch: name, ...labels },
          packets: Number(named.cell.packets),
          bytes: Number(named.cell.bytes),
        });
      } else if (named.kind === 'counter') {
        const reason = DROP_REASON_OF_INDEX.get(named.cell.index) ?? `index_${named.cell.index}`;
        drops.push({
          labels: { switch: name, reason },
          packets: Number(named.cell.packets),
          bytes: Number(named.cell.bytes),
        });
      }
    }
    this.metrics.set(name, services, drops);
  }

  close(): void {
    for (const { client } of this.clients.values()) client.close();
    this.metrics.forget();
  }
}

import { P4RuntimeClient } from '../../p4rt/client.ts';
import {
  EntityCodec,
  type MatchValue,
  type NamedTableEntry,
  type Value,
} from '../../p4rt/entity-codec.ts';
import { P4InfoIndex } from '../../p4rt/p4info-index.ts';
import { TABLES } from '../../reconcile/p4-names.ts';
import { numberToIpv4 } from '../../wire/addresses.ts';

/** What the demo shows of a switch: its load-balancer tables as read back over P4Runtime. */
export interface SwitchTables {
  readonly frontends: readonly { vip: string; protocol: number; port: number; serviceId: number }[];
  readonly backends: readonly { serviceId: number; slot: number; ip: string; port: number }[];
  readonly routes: readonly { prefix: string; port: number }[];
}

/**
 * Reads a switch's tables as any P4Runtime client may (reads need no election), so what
 * the demo prints is what the switch holds, not what the controller believes.
 */
export class SwitchReader {
  private readonly client: P4RuntimeClient;
  private codec: EntityCodec | undefined;

  constructor(address: string, deviceId: bigint) {
    this.client = new P4RuntimeClient({ address, deviceId, electionId: 0n, rpcTimeoutMs: 10_000 });
  }

  async read(): Promise<SwitchTables> {
    if (this.codec === undefined) {
      const p4info = await this.client.getP4Info();
      if (p4info === undefined) throw new Error('the switch has no pipeline yet');
      this.codec = new EntityCodec(new P4InfoIndex(p4info));
    }
    const codec = this.codec;
    const entities = await this.client.read([
      codec.readTable(TABLES.frontends),
      codec.readTable(TABLES.backends),
      codec.readTable(TABLES.l3Forward),
    ]);
    const entries = entities
      .map((entity) => codec.decode(entity))
      .flatMap((named) => (named.kind === 'tableEntry' ? [named.entry] : []));
    const of = (table: string) => entries.filter((e) => e.table === table);
    return {
      frontends: of(TABLES.frontends)
        .map((e) => ({
          vip: numberToIpv4(num(match(e, 'vip_addr'))),
          protocol: num(match(e, 'protocol')),
          port: num(match(e, 'vip_port')),
          serviceId: num(param(e, 'service_id')),
        }))
        .sort((a, b) => a.serviceId - b.serviceId || a.port - b.port),
      backends: of(TABLES.backends)
        .map((e) => ({
          serviceId: num(match(e, 'service_id')),
          slot: num(match(e, 'slot')),
          ip: numberToIpv4(num(param(e, 'addr'))),
          port: num(param(e, 'port')),
        }))
        .sort((a, b) => a.serviceId - b.serviceId || a.slot - b.slot),
      routes: of(TABLES.l3Forward)
        .map((e) => {
          const m = e.match.dst_addr as MatchValue;
          const prefixLen = m.kind === 'lpm' ? m.prefixLen : 32;
          return {
            prefix: `${numberToIpv4(num(m.kind === 'lpm' ? m.value : 0))}/${prefixLen}`,
            port: num(param(e, 'port')),
          };
        })
        .sort((a, b) => a.port - b.port || (a.prefix < b.prefix ? -1 : 1)),
    };
  }

  close(): void {
    this.client.close();
  }
}

function match(entry: NamedTableEntry, field: string): Value {
  const value = entry.match[field];
  if (value === undefined) throw new Error(`${entry.table}: no match field ${field}`);
  return typeof value === 'object' ? (value.kind === 'range' ? value.low : value.value) : value;
}

function param(entry: NamedTableEntry, name: string): Value {
  const action = entry.action;
  if (action?.kind !== 'action') throw new Error(`${entry.table}: not a direct action`);
  const value = action.action.params[name];
  if (value === undefined) throw new Error(`${entry.table}: no parameter ${name}`);
  return value;
}

const num = (value: Value): number => Number(value);

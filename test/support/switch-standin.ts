import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBpfObject } from '../../src/agent/bpf-build.ts';
import {
  applyMapChanges,
  dumpMap,
  dumpPerCpuMap,
  type MapChange,
} from '../../src/agent/bpftool.ts';
import {
  encodeVipKey,
  sumStatCounters,
  type L4ProtocolName,
} from '../../src/agent/datapath-maps.ts';
import { runHostCommand } from '../../src/agent/host-command.ts';
import { ipv4ToNumber, macToBytes } from '../../src/wire/addresses.ts';
import { DROP_REASONS } from '../../src/wire/drop-reasons.ts';
import type { NetnsLab } from './netns.ts';

/**
 * The switch stand-in of the kernel tests and the benchmark (bpf/tests/switch_standin.c):
 * a TC program on every port of a "switch" namespace that balances, stamps and checks
 * cookies and routes, as docs/wire-format.md says the switch does, with the state set here.
 * It stands where the project's P4 pipeline belongs, fast enough to measure hosts with;
 * test/kernel/agent-pipeline.test.ts runs the real one (docs/host-path.md).
 */

export interface StandinFrontend {
  readonly vip: string;
  readonly port: number;
  readonly protocol: L4ProtocolName;
  readonly serviceId: number;
  /** Slot i is backends[i]; all take new connections. */
  readonly backends: readonly { readonly addr: string; readonly port: number }[];
}

export interface StandinRoute {
  /** 'a.b.c.d/n' */
  readonly prefix: string;
  /** The switch port (interface in the switch namespace). */
  readonly port: string;
  /** The host's uplink MAC (destination) and the switch port's (source). */
  readonly hostMac: string;
  readonly switchMac: string;
}

/** SW_STAT_* of switch_standin.c besides the shared drop reasons. */
const STANDIN_STATS: Readonly<Record<string, number>> = {
  NOT_IPV4: 0,
  NEW_CONNECTION: 150,
  COOKIE: 151,
  REPLY: 152,
  ROUTED: 153,
  ...Object.fromEntries(Object.entries(DROP_REASONS).map(([name, code]) => [`DROP_${name}`, code])),
};

/** tag_key of the pipeline: the epoch the switch stamps with, its key and the previous one. */
export interface StandinTagKeys {
  readonly epoch: number;
  readonly current: bigint;
  readonly previous: bigint;
}

function u32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32LE(value);
  return buf;
}

export class SwitchStandin {
  private constructor(
    private readonly lab: NetnsLab,
    readonly netns: string,
    private readonly pinDir: string,
  ) {}

  get programPin(): string {
    return join(this.pinDir, 'prog', 'switch_standin');
  }

  private mapPin(name: string): string {
    return join(this.pinDir, 'maps', name);
  }

  /**
   * Loads the stand-in into `bpffsDir` and attaches it to the ingress of every port, all of
   * them agent hosts' ports, with `tagKey` as the key of epoch 0.
   */
  static async start(
    lab: NetnsLab,
    netns: string,
    ports: readonly string[],
    bpffsDir: string,
    tagKey: bigint,
  ): Promise<SwitchStandin> {
    const object = await buildBpfObject('tests/switch_standin.c');
    const standin = new SwitchStandin(lab, netns, bpffsDir);
    await mkdir(bpffsDir, { recursive: true });
    await runHostCommand([
      'bpftool',
      'prog',
      'loadall',
      object,
      join(bpffsDir, 'prog'),
      'type',
      'tc',
      'pinmaps',
      join(bpffsDir, 'maps'),
    ]);
    await standin.setTagKeys({ epoch: 0, current: tagKey, previous: tagKey });
    await standin.setAgentPorts(ports);
    for (const port of ports) {
      await lab.exec(netns, ['tc', 'qdisc', 'replace', 'dev', port, 'clsact']);
      await lab.exec(netns, [
        'tc',
        'filter',
        'replace',
        'dev',
        port,
        'ingress',
        'pref',
        '1',
        'handle',
        '1',
        'bpf',
        'direct-action',
        'object-pinned',
        standin.programPin,
      ]);
    }
    return standin;
  }

  /** Writes the tag keys (sw_config: epoch, pad, current (k0, k1), previous (k0, k1)). */
  async setTagKeys(keys: StandinTagKeys): Promise<void> {
    const value = Buffer.alloc(20);
    value.writeUInt16LE(keys.epoch, 0);
    value.writeBigUInt64LE(keys.current, 4);
    value.writeBigUInt64LE(keys.previous, 12);
    await applyMapChanges(this.mapPin('sw_config'), [{ op: 'update', key: u32(0), value }]);
  }

  /** Makes exactly `ports` (interfaces of the switch namespace) the agent hosts' ports. */
  async setAgentPorts(ports: readonly string[]): Promise<void> {
    const wanted = new Set<number>();
    for (const port of ports) wanted.add((await this.lab.link(this.netns, port)).ifindex);
    const changes: MapChange[] = [];
    for (const entry of await dumpMap(this.mapPin('sw_agent_ports'))) {
      const ifindex = entry.key.readUInt32LE(0);
      if (!wanted.has(ifindex)) changes.push({ op: 'delete', key: u32(ifindex) });
    }
    for (const ifindex of wanted)
      changes.push({ op: 'update', key: u32(ifindex), value: Buffer.from([1]) });
    await applyMapChanges(this.mapPin('sw_agent_ports'), changes);
  }

  async setFrontends(frontends: readonly StandinFrontend[]): Promise<void> {
    const services: MapChange[] = [];
    const replies: MapChange[] = [];
    const backends: MapChange[] = [];
    for (const f of frontends) {
      const vipKey = encodeVipKey({ addr: f.vip, port: f.port, protocol: f.protocol });
      const value = Buffer.alloc(8);
      value.writeUInt32LE(f.serviceId, 0);
      value.writeUInt32LE(f.backends.length, 4);
      services.push({ op: 'update', key: vipKey, value });
      replies.push({ op: 'update', key: u32(f.serviceId), value: vipKey });
      f.backends.forEach((backend, slot) => {
        const key = Buffer.alloc(8);
        key.writeUInt32LE(f.serviceId, 0);
        key.writeUInt32LE(slot, 4);
        const addr = Buffer.alloc(8);
        addr.writeUInt32BE(ipv4ToNumber(backend.addr), 0);
        addr.writeUInt16BE(backend.port, 4);
        backends.push({ op: 'update', key, value: addr });
      });
    }
    await applyMapChanges(this.mapPin('sw_backends'), backends);
    await applyMapChanges(this.mapPin('sw_reply_frontends'), replies);
    await applyMapChanges(this.mapPin('sw_frontends'), services);
  }

  async setRoutes(routes: readonly StandinRoute[]): Promise<void> {
    const changes: MapChange[] = [];
    for (const route of routes) {
      const [addr, length] = route.prefix.split('/');
      const key = Buffer.alloc(8);
      key.writeUInt32LE(Number(length), 0);
      key.writeUInt32BE(ipv4ToNumber(addr!), 4);
      const { ifindex } = await this.lab.link(this.netns, route.port);
      const value = Buffer.alloc(16);
      value.writeUInt32LE(ifindex, 0);
      Buffer.from(macToBytes(route.hostMac)).copy(value, 4);
      Buffer.from(macToBytes(route.switchMac)).copy(value, 10);
      changes.push({ op: 'update', key, value });
    }
    await applyMapChanges(this.mapPin('sw_routes'), changes);
  }

  /** Packets per verdict (NEW_CONNECTION, COOKIE, REPLY, ROUTED, DROP_<reason>), zeros left out. */
  async stats(): Promise<Record<string, number>> {
    const names = new Map(Object.entries(STANDIN_STATS).map(([name, code]) => [code, name]));
    const out: Record<string, number> = {};
    for (const entry of await dumpPerCpuMap(this.mapPin('sw_stats'))) {
      const { packets } = sumStatCounters(entry.values);
      if (packets > 0n)
        out[names.get(entry.key.readUInt32LE(0)) ?? `CODE_${entry.key.readUInt32LE(0)}`] =
          Number(packets);
    }
    return out;
  }
}

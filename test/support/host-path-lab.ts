import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { L4ProtocolName } from '../../src/agent/datapath-maps.ts';
import { Datapath } from '../../src/agent/datapath.ts';
import { bridgeToUnixSocket } from './bmv2-switch.ts';
import { mountTempBpffs, type TempBpffs } from './bpffs.ts';
import { firstLine } from './echo-traffic.ts';
import { NetnsLab, stopChild } from './netns.ts';
import { SwitchStandin, type StandinFrontend } from './switch-standin.ts';

/**
 * A small cluster in network namespaces for the host fast path: a switch namespace running
 * the switch stand-in, hosts (one namespace each) whose `uplink` veth is the wire to a
 * switch port `swp<i>`, and pods (namespaces) whose `eth0` veth has its host side `lxc-<pod>`
 * in their host, addressed like Calico does (a /32, gateway 169.254.1.1 answered by the
 * host side). Pods are given to the agent the way a container runtime does: by running the
 * chained CNI plugin (`talaria agent --mode cni`) with CNI_* variables and a prevResult.
 *
 * Addresses: pods of host i in 10.200.i.0/24, VIPs in 10.96.0.0/16. The kernel's own path
 * between hosts (what kube-proxy traffic and the fallback take) goes through the switch
 * (routed by the stand-in, plain IPv4) or, with `kernelPath: 'fabric'`, over a direct veth
 * between host 1 and host 2 that stands for the rest of the network.
 */

const BIN = fileURLToPath(new URL('../../bin/talaria.js', import.meta.url));
export const POD_MTU = 1484; // uplink MTU 1500 minus the 16-byte Talaria header
const GATEWAY = '169.254.1.1';
const SWITCH_NEXT_HOP = '10.200.255.254';

export interface LabPod {
  readonly name: string;
  readonly netns: string;
  readonly ip: string;
  readonly mac: string;
  readonly hostIfname: string;
  readonly host: LabHost;
}

export interface LabHost {
  readonly index: number;
  readonly netns: string;
  readonly uplinkMac: string;
  readonly switchPort: string;
  readonly switchMac: string;
  readonly bpffs: string;
  readonly podsDir: string;
  readonly frontendsFile: string;
  readonly pods: LabPod[];
  /** The pinned maps of this host's data path (valid once its agent ran). */
  readonly datapath: Datapath;
}

export interface LabOptions {
  readonly hosts: number;
  readonly tagKey: bigint;
  readonly kernelPath?: 'switch' | 'fabric';
  /** Extra `talaria agent` options for every agent, e.g. ['--udp-idle-timeout', '2']. */
  readonly agentArgs?: readonly string[];
  /**
   * false: leave the switch namespace's ports bare, for a test that runs the real pipeline
   * there (`talaria switch` with AF_PACKET ports on swp1, swp2, ...). Default true.
   */
  readonly switchStandin?: boolean;
}

/** One log line of the agent: its message as `event`, beside the line's fields. */
export interface AgentEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

/** A running `talaria agent`, with the events it logged so far. */
export class RunningAgent {
  readonly events: AgentEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private stderr = '';

  constructor(readonly child: ChildProcess) {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines.filter(Boolean)) {
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          this.events.push({ ...parsed, event: String(parsed.msg) });
        } catch {
          this.events.push({ event: 'unparsable-output', line });
        }
      }
      for (const wake of this.waiters) wake();
    });
    child.stderr?.on(
      'data',
      (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4_000)),
    );
    child.once('exit', () => {
      for (const wake of this.waiters) wake();
    });
  }

  /** The first event (from `from` on) that matches, waiting up to `timeoutMs` for it. */
  waitFor(
    match: (event: AgentEvent) => boolean,
    timeoutMs = 30_000,
    from = 0,
  ): Promise<AgentEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.slice(from).find(match);
        if (found) {
          cleanup();
          resolve(found);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          cleanup();
          reject(
            new Error(
              `agent exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr.trim()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no matching agent event in ${timeoutMs} ms; events: ${JSON.stringify(this.events.map((e) => e.event))} ${this.stderr.trim()}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** SIGTERM (a clean stop, data path left attached) or SIGKILL (a crash). */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (signal === 'SIGKILL') this.child.kill('SIGKILL');
    await stopChild(this.child, 10_000);
  }
}

export class HostPathLab {
  readonly hosts: LabHost[] = [];
  readonly agents = new Map<LabHost, RunningAgent>();
  private readonly bridges: Server[] = [];

  private constructor(
    readonly lab: NetnsLab,
    readonly bpffs: TempBpffs,
    readonly scratch: string,
    readonly switchNetns: string,
    private readonly switchStandin: SwitchStandin | undefined,
    private readonly options: LabOptions,
  ) {}

  /** The switch stand-in (absent when the lab was made with `switchStandin: false`). */
  get standin(): SwitchStandin {
    if (!this.switchStandin) throw new Error('this lab runs no switch stand-in');
    return this.switchStandin;
  }

  static async create(tag: string, options: LabOptions): Promise<HostPathLab> {
    const lab = await NetnsLab.create(tag);
    const bpffs = await mountTempBpffs(tag);
    const scratch = await mkdtemp(join(tmpdir(), `talaria-${tag}-`));
    try {
      const switchNetns = await lab.addNamespace('switch');
      const ports = Array.from({ length: options.hosts }, (_, i) => `swp${i + 1}`);
      const hostNetns: string[] = [];
      for (let i = 1; i <= options.hosts; i++) {
        const netns = await lab.addNamespace(`host${i}`);
        hostNetns.push(netns);
        await lab.addVethPair(
          { netns, name: 'uplink', mac: `02:00:00:00:0${i}:00` },
          { netns: switchNetns, name: `swp${i}`, mac: `02:00:00:00:ff:0${i}` },
        );
      }
      const standin =
        options.switchStandin === false
          ? undefined
          : await SwitchStandin.start(
              lab,
              switchNetns,
              ports,
              join(bpffs.path, 'switch'),
              options.tagKey,
            );
      const self = new HostPathLab(lab, bpffs, scratch, switchNetns, standin, options);
      for (const [i, netns] of hostNetns.entries()) await self.setUpHost(i + 1, netns);
      await standin?.setRoutes(
        self.hosts.map((host) => ({
          prefix: `10.200.${host.index}.0/24`,
          port: host.switchPort,
          hostMac: host.uplinkMac,
          switchMac: host.switchMac,
        })),
      );
      if (options.kernelPath === 'fabric') await self.connectFabric();
      return self;
    } catch (error) {
      await lab.cleanup();
      await bpffs.remove();
      await rm(scratch, { recursive: true, force: true });
      throw error;
    }
  }

  private async setUpHost(index: number, netns: string): Promise<void> {
    const host: LabHost = {
      index,
      netns,
      uplinkMac: `02:00:00:00:0${index}:00`,
      switchPort: `swp${index}`,
      switchMac: `02:00:00:00:ff:0${index}`,
      bpffs: join(this.bpffs.path, `host${index}`),
      podsDir: join(this.scratch, `host${index}`, 'pods'),
      frontendsFile: join(this.scratch, `host${index}`, 'frontends.json'),
      pods: [],
      datapath: new Datapath(join(this.bpffs.path, `host${index}`)),
    };
    const route =
      this.options.kernelPath === 'fabric'
        ? ''
        : `ip route add 10.200.0.0/16 via ${SWITCH_NEXT_HOP} dev uplink onlink
           ip neigh replace ${SWITCH_NEXT_HOP} lladdr ${host.switchMac} dev uplink nud permanent`;
    await this.lab.sh(
      netns,
      `sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
       ip addr add 10.200.255.${index}/32 dev uplink
       ${route}`,
    );
    this.hosts.push(host);
  }

  /** A direct veth between host 1 and 2 carrying the kernel's path (kube-proxy, fallback). */
  private async connectFabric(): Promise<void> {
    const [h1, h2] = this.hosts;
    if (!h1 || !h2) throw new Error('the fabric link joins host 1 and host 2');
    await this.lab.addVethPair(
      { netns: h1.netns, name: 'fabric' },
      { netns: h2.netns, name: 'fabric' },
    );
    await this.lab.sh(
      h1.netns,
      `ip addr add 10.201.0.1/30 dev fabric
      ip route add 10.200.2.0/24 via 10.201.0.2 dev fabric`,
    );
    await this.lab.sh(
      h2.netns,
      `ip addr add 10.201.0.2/30 dev fabric
      ip route add 10.200.1.0/24 via 10.201.0.1 dev fabric`,
    );
  }

  host(index: number): LabHost {
    const host = this.hosts[index - 1];
    if (!host) throw new Error(`no host ${index}`);
    return host;
  }

  /** Creates a pod namespace on `host` and hands it to the agent through the CNI plugin. */
  async addPod(host: LabHost, name: string): Promise<LabPod> {
    const ip = `10.200.${host.index}.${host.pods.length + 2}`;
    const netns = await this.lab.addNamespace(name);
    const hostIfname = `lxc-${name}`;
    await this.lab.addVethPair({ netns, name: 'eth0' }, { netns: host.netns, name: hostIfname });
    const mac = await this.lab.mac(netns, 'eth0');
    const hostMac = await this.lab.mac(host.netns, hostIfname);
    await this.lab.sh(
      netns,
      `ip addr add ${ip}/32 dev eth0
       ip route add ${GATEWAY} dev eth0 scope link
       ip route add default via ${GATEWAY} dev eth0
       ip neigh replace ${GATEWAY} lladdr ${hostMac} dev eth0 nud permanent`,
    );
    await this.lab.sh(
      host.netns,
      `ip route add ${ip}/32 dev ${hostIfname}
       ip neigh replace ${ip} lladdr ${mac} dev ${hostIfname} nud permanent`,
    );
    await this.cni(host, 'ADD', name, `/run/netns/${netns}`, ip);
    const pod: LabPod = { name, netns, ip, mac, hostIfname, host };
    host.pods.push(pod);
    return pod;
  }

  /** Runs the chained CNI plugin on `host` as a container runtime would. */
  async cni(
    host: LabHost,
    command: 'ADD' | 'DEL' | 'CHECK',
    containerId: string,
    netnsPath: string,
    ip: string,
  ) {
    const config = {
      cniVersion: '1.0.0',
      name: 'lab',
      type: 'talaria-cni',
      podsDir: host.podsDir,
      podMtu: POD_MTU,
      prevResult: {
        cniVersion: '1.0.0',
        interfaces: [{ name: 'eth0', sandbox: netnsPath }],
        ips: [{ address: `${ip}/32`, interface: 0 }],
      },
    };
    return this.lab.exec(host.netns, ['node', BIN, 'agent', '--mode', 'cni'], {
      input: JSON.stringify(config),
      env: {
        ...process.env,
        CNI_COMMAND: command,
        CNI_CONTAINERID: containerId,
        CNI_NETNS: netnsPath,
        CNI_IFNAME: 'eth0',
        CNI_PATH: '/opt/cni/bin',
      },
    });
  }

  /** Writes the frontends file the agent of `host` reads. */
  async writeFrontends(
    host: LabHost,
    frontends: readonly {
      ip: string;
      protocol: L4ProtocolName;
      port: number;
      offloaded?: boolean;
    }[],
  ): Promise<void> {
    await this.writeFrontendsText(host, JSON.stringify({ frontends }));
  }

  /** Writes a frontends file as the controller publishes it (src/controller/frontends-configmap.ts). */
  async writeFrontendsText(host: LabHost, text: string): Promise<void> {
    await mkdir(join(this.scratch, `host${host.index}`), { recursive: true });
    const partial = `${host.frontendsFile}.partial`;
    await writeFile(partial, text);
    await rename(partial, host.frontendsFile);
  }

  setSwitchFrontends(frontends: readonly StandinFrontend[]): Promise<void> {
    return this.standin.setFrontends(frontends);
  }

  /** Starts `talaria agent` in the host's namespace and waits until it is ready. */
  async startAgent(host: LabHost, extraArgs: readonly string[] = []): Promise<RunningAgent> {
    const child = this.lab.spawn(host.netns, [
      'node',
      BIN,
      'agent',
      '--uplink',
      'uplink',
      '--switch-mac',
      host.switchMac,
      '--frontends',
      host.frontendsFile,
      '--pods-dir',
      host.podsDir,
      '--bpffs',
      host.bpffs,
      '--poll-interval-ms',
      '200',
      ...(this.options.agentArgs ?? []),
      ...extraArgs,
    ]);
    const agent = new RunningAgent(child);
    this.agents.set(host, agent);
    await agent.waitFor((e) => e.event === 'ready', 60_000);
    return agent;
  }

  /**
   * Starts the embedded switch (`talaria switch`) in the switch namespace, interface swp<N>
   * as port N for each of `ports`, and returns the address its P4Runtime server answers on:
   * it listens on a Unix socket in the namespace, and grpc-js clients dial host:port, so a
   * loopback bridge carries them there.
   */
  async startEmbeddedSwitch(
    ports: readonly number[],
  ): Promise<{ readonly process: ChildProcess; readonly address: string }> {
    const socket = join(this.scratch, 'p4rt.sock');
    const process = this.lab.spawn(this.switchNetns, [
      'node',
      BIN,
      'switch',
      '--grpc',
      `unix:${socket}`,
      ...ports.flatMap((port) => ['--port', `${port}@swp${port}`]),
    ]);
    const line = await firstLine(process, 'talaria switch', 60_000);
    if (!line.includes('serving P4Runtime')) throw new Error(`talaria switch: ${line}`);
    const bridge = await bridgeToUnixSocket(socket);
    this.bridges.push(bridge);
    return { process, address: `127.0.0.1:${(bridge.address() as AddressInfo).port}` };
  }

  /** Stops agents, removes namespaces (and with them links and hooks), pins and files. */
  async cleanup(): Promise<void> {
    for (const bridge of this.bridges) await new Promise((resolve) => bridge.close(resolve));
    for (const agent of this.agents.values()) await agent.stop().catch(() => undefined);
    await this.lab.cleanup();
    await this.bpffs.remove();
    await rm(this.scratch, { recursive: true, force: true });
  }
}

import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { LogFields, Logger } from '../base/logger.ts';
import { AgentMetrics } from './agent-metrics.ts';
import { DEFAULT_DATAPATH_SIZES, type DatapathConfig, type LocalPod } from './datapath-maps.ts';
import { Datapath, loadDatapath, type LoadedDatapath } from './datapath.ts';
import { parseFrontendsDocument } from './frontends-file.ts';
import { findLink, listLinks, type Link } from './links.ts';
import { scanKernelPathRecords, scanPodRecords, type PodRecord } from './pod-records.ts';
import { attachProgram, detachProgram } from './tc.ts';

/**
 * The node agent (`talaria agent`): loads the host data path, attaches it to the uplink and
 * to every pod veth the chained CNI plugin reported, and keeps the maps equal to its inputs
 * with one pass per poll interval (sooner when a pod record changes):
 *
 * - tl_config: uplink ifindex and MAC, the switch's MAC, idle timeouts, and the on/off
 *   switch: off while the uplink is not up, so pod traffic takes the kernel's path
 *   (kube-proxy) instead of a dead wire (docs/host-path.md, "Fallback");
 * - tl_local_pods and the TC hooks: from the pod records;
 * - tl_vips: from the frontends file, rewritten only when its content changes;
 * - tl_policy_clients: the file's excluded clients that are pods of this node.
 *
 * Stopping the agent leaves everything attached and pinned: established flows keep their
 * cookies while it is away, and the next start reuses the pinned maps and swaps the
 * programs atomically. detachDatapath() removes it all.
 */

const macAddress = z
  .string()
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'not a MAC address aa:bb:cc:dd:ee:ff')
  .transform((mac) => mac.toLowerCase());

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const agentOptionsSchema = z
  .object({
    /** The interface towards the top-of-rack switch. */
    uplink: z.string().min(1).max(15),
    /** Destination MAC of packets to the switch. */
    switchMac: macAddress,
    /** The frontends file (frontends-file.ts). */
    frontends: z.string().min(1),
    podsDir: z.string().min(1).default('/run/talaria/pods'),
    bpffs: z.string().min(1).default('/sys/fs/bpf'),
    clientFlows: positiveInt(DEFAULT_DATAPATH_SIZES.clientFlows),
    backendFlows: positiveInt(DEFAULT_DATAPATH_SIZES.backendFlows),
    halfOpenFlows: positiveInt(DEFAULT_DATAPATH_SIZES.halfOpenFlows),
    vips: positiveInt(DEFAULT_DATAPATH_SIZES.vips),
    localPods: positiveInt(DEFAULT_DATAPATH_SIZES.localPods),
    /** 0: TCP flows leave the flow maps only by LRU eviction. */
    tcpIdleTimeoutSeconds: z.coerce.number().min(0).default(0),
    udpIdleTimeoutSeconds: z.coerce.number().min(0).default(120),
    pollIntervalMs: z.coerce.number().int().min(50).max(60_000).default(1_000),
  })
  .strict();

export type AgentOptions = z.infer<typeof agentOptionsSchema>;

/** What happened (the log line's message) with its facts (its fields). */
interface AgentEvent {
  readonly event: string;
  readonly fields: LogFields;
}

const seconds = (s: number) => BigInt(Math.round(s * 1e9));

export class NodeAgent {
  private running = true;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private watcher: FSWatcher | undefined;
  /** Pod veths with our program attached: ifname -> ifindex. */
  private readonly attached = new Map<string, number>();
  private lastConfig = '';
  private lastFrontends: string | undefined = '';
  /** Local pods' addresses, and the excluded clients of the frontends file. */
  private localPodIps = new Set<string>();
  private excludedClients: readonly string[] = [];
  /** undefined until the first sync: a restarted agent rewrites what the pinned map holds. */
  private lastPolicyClients: string | undefined;
  /** Pods the CNI plugin left on the kernel path, already logged: `<container>/<if>`. */
  private readonly kernelPathPods = new Set<string>();
  private lastPassOk = false;

  private constructor(
    private readonly options: AgentOptions,
    private readonly loaded: LoadedDatapath,
    private readonly log: Logger,
    readonly metrics: AgentMetrics,
  ) {}

  /** Readiness: the last pass brought everything in step. */
  get ready(): boolean {
    return this.running && this.lastPassOk;
  }

  get datapath(): Datapath {
    return this.loaded.datapath;
  }

  /** Loads and attaches the data path, makes one full pass, and keeps passing until stop(). */
  static async start(
    options: AgentOptions,
    log: Logger,
    metrics = new AgentMetrics(),
  ): Promise<NodeAgent> {
    const loaded = await loadDatapath({
      bpffs: options.bpffs,
      sizes: {
        clientFlows: options.clientFlows,
        backendFlows: options.backendFlows,
        halfOpenFlows: options.halfOpenFlows,
        vips: options.vips,
        localPods: options.localPods,
      },
    });
    log.info('datapath-loaded', {
      root: loaded.datapath.root,
      generation: loaded.programs.generation,
      reusedMaps: loaded.reusedMaps,
    });
    const uplink = await findLink(options.uplink);
    await attachProgram(uplink.name, 'ingress', loaded.programs.programPin('fromUplink'));
    log.info('uplink-attached', { uplink: uplink.name, ifindex: uplink.ifindex });

    const agent = new NodeAgent(options, loaded, log, metrics);
    await agent.pass();
    // Every hook now runs this generation's programs: the older pins can go.
    await loaded.programs.removeEarlierGenerations();
    await mkdir(options.podsDir, { recursive: true });
    agent.watcher = watch(options.podsDir, () => agent.wake?.());
    agent.loopDone = agent.loop();
    log.info('ready', { pods: agent.attached.size });
    return agent;
  }

  /** Stops passing; the data path stays attached and pinned. */
  async stop(): Promise<void> {
    this.running = false;
    this.watcher?.close();
    this.wake?.();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (!this.running) break;
      try {
        await this.pass();
      } catch (error) {
        this.lastPassOk = false;
        this.metrics.passFailures.inc();
        this.log.warn('pass-failed', { error: error as Error });
      }
    }
  }

  /** Makes config, hooks, local pods and VIPs equal to the agent's inputs. */
  private async pass(): Promise<void> {
    const links = await listLinks();
    await this.syncConfig(links);
    await this.syncPods(links);
    await this.syncFrontends();
    await this.syncPolicyClients();
    this.lastPassOk = true;
    this.metrics.passes.inc();
  }

  private async syncConfig(links: readonly Link[]): Promise<void> {
    const uplink = links.find((link) => link.name === this.options.uplink);
    const config: DatapathConfig = {
      enabled: uplink?.operState === 'UP',
      uplinkIfindex: uplink?.ifindex ?? 0,
      uplinkMac: uplink?.mac || '00:00:00:00:00:00',
      switchMac: this.options.switchMac,
      tcpIdleTimeoutNs: seconds(this.options.tcpIdleTimeoutSeconds),
      udpIdleTimeoutNs: seconds(this.options.udpIdleTimeoutSeconds),
    };
    const serialized = JSON.stringify(config, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    );
    if (serialized === this.lastConfig) return;
    await this.datapath.writeConfig(config);
    this.metrics.fastPathEnabled.set(config.enabled ? 1 : 0);
    const wasEnabled =
      this.lastConfig === '' ? undefined : (JSON.parse(this.lastConfig) as DatapathConfig).enabled;
    this.lastConfig = serialized;
    if (wasEnabled !== config.enabled) {
      this.log.info(config.enabled ? 'fast-path-enabled' : 'fast-path-disabled', {
        uplink: this.options.uplink,
        uplinkState: uplink?.operState ?? 'absent',
      });
    }
  }

  private async syncPods(links: readonly Link[]): Promise<void> {
    const { records, invalid } = await scanPodRecords(this.options.podsDir);
    for (const { file, problem } of invalid) this.log.warn('pod-record-invalid', { file, problem });
    const byIndex = new Map(links.map((link) => [link.ifindex, link]));
    // A record whose veth is gone (or was reused by another pod) describes no pod any more.
    const live = records.filter((r) => byIndex.get(r.hostIfindex)?.name === r.hostIfname);
    const wanted = new Map(live.map((r) => [r.hostIfname, r]));
    // Events are logged once the maps agree with the hooks, so a reader of the log can
    // rely on both.
    const events: AgentEvent[] = [];

    for (const [ifname, ifindex] of this.attached) {
      const record = wanted.get(ifname);
      if (record?.hostIfindex === ifindex) continue;
      if (byIndex.get(ifindex)?.name === ifname) await detachPod(ifname);
      this.attached.delete(ifname);
      events.push({ event: 'pod-detached', fields: { hostIfname: ifname } });
    }
    // A pod's identity (address, MAC, veth) is in tl_local_pods before its program runs:
    // talaria_from_pod drops every IPv4 packet whose source it cannot match there.
    await this.datapath.syncLocalPods(live.map(localPodOf));
    this.localPodIps = new Set(live.map((r) => r.podIp));
    for (const record of live) {
      if (this.attached.get(record.hostIfname) === record.hostIfindex) continue;
      const { programs } = this.loaded;
      await attachProgram(record.hostIfname, 'ingress', programs.programPin('fromPod'));
      await attachProgram(record.hostIfname, 'egress', programs.programPin('toPod'));
      this.attached.set(record.hostIfname, record.hostIfindex);
      events.push(podEvent('pod-attached', record));
    }
    for (const { event, fields } of events) this.log.info(event, fields);
    this.metrics.pods.set(this.attached.size, { path: 'fast' });
    await this.reportKernelPathPods();
  }

  /** Pods the CNI plugin could not give the fast path: logged once each, and counted. */
  private async reportKernelPathPods(): Promise<void> {
    const records = await scanKernelPathRecords(this.options.podsDir);
    const current = new Set<string>();
    for (const { containerId, ifName, reason } of records) {
      const key = `${containerId}/${ifName}`;
      current.add(key);
      if (!this.kernelPathPods.has(key)) {
        this.log.warn('pod-on-kernel-path', { containerId, ifName, reason });
      }
    }
    this.kernelPathPods.clear();
    for (const key of current) this.kernelPathPods.add(key);
    this.metrics.pods.set(records.length, { path: 'kernel' });
  }

  private async syncFrontends(): Promise<void> {
    const text = await readFile(this.options.frontends, 'utf8').catch(() => undefined);
    if (text === this.lastFrontends) return;
    const { vips, excludedClients } =
      text === undefined
        ? { vips: [], excludedClients: [] }
        : parseFrontendsDocument(text, this.options.frontends);
    const result = await this.datapath.syncVips(vips);
    this.lastFrontends = text;
    this.excludedClients = excludedClients;
    this.metrics.vips.set(vips.length);
    this.log.info('vips-synced', {
      source: text === undefined ? 'absent: no VIP is offloaded' : this.options.frontends,
      total: vips.length,
      ...result,
    });
  }

  /** Keeps the local pods among the file's excluded clients on the kernel's path. */
  private async syncPolicyClients(): Promise<void> {
    const local = this.excludedClients.filter((ip) => this.localPodIps.has(ip)).sort();
    const serialized = local.join(',');
    if (serialized === this.lastPolicyClients) return;
    await this.datapath.syncPolicyClients(local);
    this.lastPolicyClients = serialized;
    this.log.info('policy-clients-synced', { clients: local });
  }
}

async function detachPod(hostIfname: string): Promise<void> {
  await detachProgram(hostIfname, 'ingress');
  await detachProgram(hostIfname, 'egress');
}

function localPodOf(record: PodRecord): LocalPod {
  return {
    addr: record.podIp,
    hostIfindex: record.hostIfindex,
    podMac: record.podMac,
    hostMac: record.hostMac,
  };
}

function podEvent(event: string, record: PodRecord): AgentEvent {
  return {
    event,
    fields: {
      podIp: record.podIp,
      hostIfname: record.hostIfname,
      containerId: record.containerId,
    },
  };
}

/**
 * Removes the data path from this node: our filters from the uplink and from both hooks of
 * every pod veth in tl_local_pods, then every pin (maps and the flows in them, programs). For `talaria agent
 * --mode detach`, before uninstalling or downgrading.
 */
export async function detachDatapath(bpffs: string, log: Logger): Promise<void> {
  const datapath = new Datapath(bpffs);
  const links = new Map((await listLinks()).map((link) => [link.ifindex, link.name]));
  const config = await datapath.readConfig().catch(() => undefined);
  const uplink = config && links.get(config.uplinkIfindex);
  if (uplink) {
    await detachProgram(uplink, 'ingress');
    log.info('detached', { interface: uplink });
  }
  for (const pod of await datapath.readLocalPods().catch(() => [])) {
    const name = links.get(pod.hostIfindex);
    if (!name) continue;
    await detachPod(name);
    log.info('detached', { interface: name });
  }
  await datapath.unpinAll();
  log.info('unpinned', { root: datapath.root });
}

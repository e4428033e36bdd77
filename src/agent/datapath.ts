import { access, mkdir, readdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildDatapathObjects,
  DATAPATH_PROGRAMS,
  type DatapathObject,
  type DatapathProgram,
} from './bpf-build.ts';
import {
  applyMapChanges,
  createPinnedMap,
  dumpMap,
  loadAndPinPrograms,
  pinnedMapInfo,
  type MapChange,
} from './bpftool.ts';
import {
  CONFIG_KEY,
  DATAPATH_MAPS,
  decodeAddressKey,
  decodeConfig,
  decodeFlow,
  decodeLocalPod,
  decodeVip,
  encodeConfig,
  encodeLocalPodKey,
  encodeLocalPodValue,
  encodePolicyClientValue,
  encodeVipKey,
  encodeVipValue,
  mapEntries,
  type DatapathConfig,
  type DatapathMapName,
  type DatapathSizes,
  type FlowEntry,
  type LocalPod,
  type VipEntry,
} from './datapath-maps.ts';
import { readDatapathStats } from './datapath-stats.ts';
import { runHostCommand } from './host-command.ts';

/**
 * The host data path in bpffs: its maps and programs pinned under `<bpffs>/talaria/`:
 *
 *   maps/<map name>              created once with the configured sizes, reused by every
 *                                later load, so flows survive agent restarts and upgrades
 *   progs/<generation>/<program> the programs of one load; attaching them replaces the
 *                                previous generation's atomically on every hook
 *
 * Map contents are written as differences: only entries that change are touched.
 */

const BPF_FS_MAGIC = 0xcafe4a11;

/** Mounts a bpf filesystem at `dir` unless one is there already. */
export async function ensureBpffs(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await statfs(dir)).type === BPF_FS_MAGIC) return;
  await runHostCommand(['mount', '-t', 'bpf', 'bpf', dir]);
}

/** The flow maps: established flows of each side, and the half-open ones (bpf/lib/flow.h). */
export type FlowTable = 'client' | 'backend' | 'client-half' | 'backend-half';

export const FLOW_MAPS = {
  client: 'tl_client_flow',
  backend: 'tl_backend_flow',
  'client-half': 'tl_client_half',
  'backend-half': 'tl_backend_half',
} as const satisfies Record<FlowTable, DatapathMapName>;

/** What a sync changed in a map. */
export interface SyncResult {
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Computes and applies the changes that make a map hold exactly `desired` (encoded entries). */
async function syncMap(
  pinPath: string,
  desired: ReadonlyMap<string, { key: Buffer; value: Buffer }>,
): Promise<SyncResult> {
  const current = new Map((await dumpMap(pinPath)).map((e) => [e.key.toString('hex'), e.value]));
  const changes: MapChange[] = [];
  let added = 0;
  let changed = 0;
  for (const [id, entry] of desired) {
    const value = current.get(id);
    if (value === undefined) added++;
    else if (!value.equals(entry.value)) changed++;
    else continue;
    changes.push({ op: 'update', key: entry.key, value: entry.value });
  }
  const removals = [...current.keys()].filter((id) => !desired.has(id));
  for (const id of removals) changes.push({ op: 'delete', key: Buffer.from(id, 'hex') });
  await applyMapChanges(pinPath, changes);
  return { added, changed, removed: removals.length };
}

export interface DatapathLoadOptions {
  /** A bpffs mount (mounted when it is not one yet). */
  readonly bpffs: string;
  readonly sizes: DatapathSizes;
}

/** Where a data path's pins live in a bpffs mount. */
export function datapathRoot(bpffs: string): string {
  return join(bpffs, 'talaria');
}

/** Programs of one load, pinned under progs/<generation>/. */
export class ProgramGeneration {
  constructor(
    private readonly root: string,
    readonly generation: string,
  ) {}

  /** The pinned program of this load, for attaching. */
  programPin(program: DatapathProgram): string {
    const { object, name } = DATAPATH_PROGRAMS[program];
    return join(this.root, 'progs', this.generation, object, name);
  }

  /**
   * Unpins the programs of earlier loads. Call after this load's programs replaced them on
   * every hook: a hook keeps its program alive, the pin only serves later attaches.
   */
  async removeEarlierGenerations(): Promise<void> {
    const dir = join(this.root, 'progs');
    for (const name of await readdir(dir)) {
      if (name !== this.generation) await rm(join(dir, name), { recursive: true, force: true });
    }
  }
}

/** The result of loading the data path. */
export interface LoadedDatapath {
  readonly datapath: Datapath;
  readonly programs: ProgramGeneration;
  /** Maps that were pinned already (an agent restart) rather than created by this load. */
  readonly reusedMaps: readonly DatapathMapName[];
}

/**
 * Creates the maps that are not pinned yet, checks the shape of those that are, and loads
 * the programs (built from bpf/ when their objects are stale) into a new generation.
 */
export async function loadDatapath(options: DatapathLoadOptions): Promise<LoadedDatapath> {
  await ensureBpffs(options.bpffs);
  const datapath = new Datapath(options.bpffs);
  await mkdir(join(datapath.root, 'maps'), { recursive: true });
  await mkdir(join(datapath.root, 'progs'), { recursive: true });

  const reusedMaps: DatapathMapName[] = [];
  const pins: Record<string, string> = {};
  for (const name of Object.keys(DATAPATH_MAPS) as DatapathMapName[]) {
    const shape = DATAPATH_MAPS[name];
    const pin = datapath.mapPin(name);
    pins[name] = pin;
    if (await exists(pin)) {
      const info = await pinnedMapInfo(pin);
      if (info.bytes_key !== shape.keySize || info.bytes_value !== shape.valueSize) {
        throw new Error(
          `${pin}: pinned map has key/value ${info.bytes_key}/${info.bytes_value} bytes, this ` +
            `version needs ${shape.keySize}/${shape.valueSize}: detach the old data path first`,
        );
      }
      reusedMaps.push(name);
    } else {
      await createPinnedMap(pin, shape, mapEntries(name, options.sizes));
    }
  }

  const objects = await buildDatapathObjects();
  const programs = new ProgramGeneration(datapath.root, `${Date.now()}-${process.pid}`);
  const generationDir = join(datapath.root, 'progs', programs.generation);
  await mkdir(generationDir);
  for (const object of Object.keys(objects) as DatapathObject[]) {
    await loadAndPinPrograms(objects[object], join(generationDir, object), pins);
  }
  return { datapath, programs, reusedMaps };
}

/** The pinned maps of a data path: what the agent writes and tests and tools read. */
export class Datapath {
  /** `<bpffs>/talaria` */
  readonly root: string;

  constructor(bpffs: string) {
    this.root = datapathRoot(bpffs);
  }

  mapPin(name: DatapathMapName): string {
    return join(this.root, 'maps', name);
  }

  async writeConfig(config: DatapathConfig): Promise<void> {
    await applyMapChanges(this.mapPin('tl_config'), [
      { op: 'update', key: CONFIG_KEY, value: encodeConfig(config) },
    ]);
  }

  async readConfig(): Promise<DatapathConfig> {
    const [entry] = await dumpMap(this.mapPin('tl_config'));
    if (!entry) throw new Error('tl_config has no entry');
    return decodeConfig(entry.value);
  }

  /** Makes tl_vips hold exactly `vips`. */
  async syncVips(vips: readonly VipEntry[]): Promise<SyncResult> {
    const desired = new Map(
      vips.map((vip) => {
        const key = encodeVipKey(vip);
        return [key.toString('hex'), { key, value: encodeVipValue(vip) }];
      }),
    );
    return syncMap(this.mapPin('tl_vips'), desired);
  }

  async readVips(): Promise<VipEntry[]> {
    return (await dumpMap(this.mapPin('tl_vips'))).map((e) => decodeVip(e.key, e.value));
  }

  /** Makes tl_local_pods hold exactly `pods`. */
  async syncLocalPods(pods: readonly LocalPod[]): Promise<SyncResult> {
    const desired = new Map(
      pods.map((pod) => {
        const key = encodeLocalPodKey(pod.addr);
        return [key.toString('hex'), { key, value: encodeLocalPodValue(pod) }];
      }),
    );
    return syncMap(this.mapPin('tl_local_pods'), desired);
  }

  /** Makes tl_policy_clients hold exactly `addrs` (pods an egress policy selects). */
  async syncPolicyClients(addrs: readonly string[]): Promise<SyncResult> {
    const desired = new Map(
      addrs.map((addr) => {
        const key = encodeLocalPodKey(addr);
        return [key.toString('hex'), { key, value: encodePolicyClientValue() }];
      }),
    );
    return syncMap(this.mapPin('tl_policy_clients'), desired);
  }

  async readPolicyClients(): Promise<string[]> {
    return (await dumpMap(this.mapPin('tl_policy_clients'))).map((e) => decodeAddressKey(e.key));
  }

  async readLocalPods(): Promise<LocalPod[]> {
    return (await dumpMap(this.mapPin('tl_local_pods'))).map((e) => decodeLocalPod(e.key, e.value));
  }

  async readFlows(table: FlowTable): Promise<FlowEntry[]> {
    return (await dumpMap(this.mapPin(FLOW_MAPS[table]))).map((e) => decodeFlow(e.key, e.value));
  }

  readStats() {
    return readDatapathStats(this.mapPin('tl_stats'));
  }

  /** Unpins everything: maps (and the flows in them) and programs. Detach the hooks first. */
  async unpinAll(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

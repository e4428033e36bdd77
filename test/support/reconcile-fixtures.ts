import { numberToIpv4 } from '../../src/wire/addresses.ts';
import { insert, P4RuntimeClient } from '../../src/p4rt/client.ts';
import { P4RuntimeRpcError } from '../../src/p4rt/errors.ts';
import {
  EntityCodec,
  type NamedEntity,
  type NamedTableEntry,
} from '../../src/p4rt/entity-codec.ts';
import { formatAction, formatTableEntry } from '../../src/p4rt/entity-format.ts';
import { P4InfoIndex } from '../../src/p4rt/p4info-index.ts';
import { pipelineOf, type Pipeline } from '../../src/p4rt/pipeline.ts';
import {
  frontendKey,
  type Backend,
  type DesiredState,
  type Frontend,
  type HostRoute,
} from '../../src/model/desired-state.ts';
import { ACTION_PROFILES, ACTIONS, TABLES } from '../../src/reconcile/p4-names.ts';

/**
 * Desired states of any size for reconciler tests and the benchmark, and an independent
 * reading of a switch (through the P4Info only, none of the reconciler's own model) to
 * check what it holds against a desired state.
 */

const addressOf = (n: number): string => numberToIpv4(n >>> 0);

/** Service i: VIP 10.96.0.0 + i, port 80 (TCP); backend j: 10.128.0.0 + i * perService + j. */
export function syntheticFrontend(
  i: number,
  backendsPerService: number,
  options: { affinity?: boolean } = {},
): Frontend {
  const ip = addressOf(0x0a600000 + i);
  const backends: Backend[] = [];
  for (let j = 0; j < backendsPerService; j++) {
    backends.push({
      ip: addressOf(0x0a800000 + i * backendsPerService + j),
      port: 8080,
      family: 4,
      state: 'active',
    });
  }
  return {
    key: frontendKey(ip, 'TCP', 80),
    ip,
    family: 4,
    protocol: 'TCP',
    port: 80,
    kind: 'ClusterIP',
    service: { namespace: 'bench', name: `svc-${i}`, portName: 'http' },
    ...(options.affinity ? { clientIpAffinity: { timeoutSeconds: 10_800 } } : {}),
    backends,
  };
}

export function syntheticRoutes(nodes: number): HostRoute[] {
  return Array.from({ length: nodes }, (_, k) => ({
    prefix: `10.244.${k}.0/24`,
    family: 4 as const,
    nodeName: `node-${k}`,
    port: k + 1,
    hostMac: `02:00:00:00:01:${(k % 256).toString(16).padStart(2, '0')}`,
    switchMac: '02:00:00:00:00:01',
  }));
}

export interface SyntheticOptions {
  readonly services: number;
  readonly backendsPerService: number;
  /** Every n-th service uses ClientIP affinity (0: none). */
  readonly affinityEvery?: number;
  readonly nodes?: number;
}

export function syntheticState(options: SyntheticOptions): DesiredState {
  const frontends = new Map<string, Frontend>();
  for (let i = 0; i < options.services; i++) {
    const affinity = options.affinityEvery ? i % options.affinityEvery === 0 : false;
    const frontend = syntheticFrontend(i, options.backendsPerService, { affinity });
    frontends.set(frontend.key, frontend);
  }
  return { frontends, routes: syntheticRoutes(options.nodes ?? 4), notOffloaded: [] };
}

/** A copy of `state` in which only `key`'s frontend is replaced (the others keep their identity). */
export function withFrontend(state: DesiredState, frontend: Frontend): DesiredState {
  const frontends = new Map(state.frontends);
  frontends.set(frontend.key, frontend);
  return { ...state, frontends };
}

export function withoutFrontend(state: DesiredState, key: string): DesiredState {
  const frontends = new Map(state.frontends);
  frontends.delete(key);
  return { ...state, frontends };
}

/** Everything the switch holds in the reconciler's tables, decoded by name. */
export interface SwitchReading {
  readonly codec: EntityCodec;
  readonly entries: readonly NamedTableEntry[];
  readonly members: readonly Extract<NamedEntity, { kind: 'member' }>['member'][];
  readonly groups: readonly Extract<NamedEntity, { kind: 'group' }>['group'][];
}

export async function readSwitch(address: string, deviceId: bigint): Promise<SwitchReading> {
  const client = new P4RuntimeClient({ address, deviceId, electionId: 0n });
  try {
    const p4info = await client.getP4Info();
    if (p4info === undefined) throw new Error(`${address}: no pipeline`);
    const codec = new EntityCodec(new P4InfoIndex(p4info));
    const tables = [
      TABLES.frontends,
      TABLES.replyFrontends,
      TABLES.backends,
      TABLES.backendSelect,
      TABLES.affinitySelect,
      TABLES.l3Forward,
      ...[TABLES.bucketServices, TABLES.bucketSelect].filter((t) => codec.index.findTable(t)),
    ];
    const profiles = Object.values(ACTION_PROFILES);
    const decoded = (await client.read(tables.map((t) => codec.readTable(t)))).map((entity) =>
      codec.decode(entity),
    );
    for (const profile of profiles) {
      try {
        const read = await client.read([codec.readMembers(profile), codec.readGroups(profile)]);
        decoded.push(...read.map((entity) => codec.decode(entity)));
      } catch (error) {
        // BMv2 refuses member and group reads of a selector programmed with one-shot sets
        // ("Invalid attempt to mix action selector programming modes"): it has none.
        if (!(error instanceof P4RuntimeRpcError && error.code === 'INVALID_ARGUMENT')) throw error;
      }
    }
    return {
      codec,
      entries: decoded.flatMap((n) => (n.kind === 'tableEntry' ? [n.entry] : [])),
      members: decoded.flatMap((n) => (n.kind === 'member' ? [n.member] : [])),
      groups: decoded.flatMap((n) => (n.kind === 'group' ? [n.group] : [])),
    };
  } finally {
    client.close();
  }
}

/** The reading as sorted lines, to compare two readings of a switch. */
export function readingLines(reading: SwitchReading): string[] {
  const index = reading.codec.index;
  return [
    ...reading.entries.map((e) => `${e.table} ${formatTableEntry(e, index)}`),
    ...reading.members.map(
      (m) => `${m.actionProfile} member ${m.memberId} ${formatAction(m.action, index)}`,
    ),
    ...reading.groups.map(
      (g) =>
        `${g.actionProfile} group ${g.groupId} ${g.members
          .map((m) => m.memberId)
          .sort((a, b) => a - b)
          .join(',')}`,
    ),
  ].sort();
}

const ipv4Of = (value: bigint): string => numberToIpv4(Number(value));

const exact = (entry: NamedTableEntry, field: string): bigint => {
  const match = entry.match[field];
  return BigInt(typeof match === 'object' ? ('value' in match ? match.value : 0) : (match ?? 0));
};

const param = (entry: NamedTableEntry, name: string): bigint => {
  const action = entry.action;
  if (action?.kind !== 'action') throw new Error(`${entry.table}: no direct action`);
  return BigInt(action.action.params[name] ?? -1);
};

/**
 * Whether the switch serves `state` exactly, checked from the P4 tables alone: each IPv4
 * frontend (not in `absent`) has its VIP entry, reply entry, one slot entry per backend
 * and a selector choosing exactly its active backends' slots; nothing else is there
 * except slot entries still draining (`draining` of them at most). Returns the
 * differences found (empty: converged) and the service id of each frontend.
 */
export function compareWithState(
  reading: SwitchReading,
  state: DesiredState,
  options: { absent?: ReadonlySet<string>; allowDraining?: boolean } = {},
): { problems: string[]; serviceIds: Map<string, number> } {
  const problems: string[] = [];
  const serviceIds = new Map<string, number>();
  const byTable = (table: string) => reading.entries.filter((e) => e.table === table);
  const frontendEntries = byTable(TABLES.frontends);
  const replies = new Map(
    byTable(TABLES.replyFrontends).map((e) => [Number(exact(e, 'service_id')), e]),
  );
  const slotEntries = byTable(TABLES.backends);
  const selects = [...byTable(TABLES.backendSelect), ...byTable(TABLES.affinitySelect)];
  const groupOf = new Map(reading.groups.map((g) => [`${g.actionProfile}/${g.groupId}`, g]));
  const slotOfMember = new Map(
    reading.members.map((m) => [`${m.actionProfile}/${m.memberId}`, Number(m.action.params.slot)]),
  );
  const expectedFrontends = [...state.frontends.values()].filter(
    (f) => f.family === 4 && !options.absent?.has(f.key),
  );
  const usedServiceIds = new Set<number>();
  for (const frontend of expectedFrontends) {
    const vip = frontendEntryOf(frontendEntries, frontend);
    if (vip === undefined) {
      problems.push(`${frontend.key}: no frontends entry`);
      continue;
    }
    const serviceId = Number(param(vip, 'service_id'));
    serviceIds.set(frontend.key, serviceId);
    usedServiceIds.add(serviceId);
    const reply = replies.get(serviceId);
    if (
      reply === undefined ||
      ipv4Of(param(reply, 'vip_addr')) !== frontend.ip ||
      Number(param(reply, 'vip_port')) !== frontend.port
    ) {
      problems.push(`${frontend.key}: reply entry of service ${serviceId} missing or wrong`);
    }
    const slots = new Map<string, number>();
    for (const entry of slotEntries) {
      if (Number(exact(entry, 'service_id')) !== serviceId) continue;
      slots.set(
        `${ipv4Of(param(entry, 'addr'))}:${param(entry, 'port')}`,
        Number(exact(entry, 'slot')),
      );
    }
    const wantedSlots: number[] = [];
    for (const backend of frontend.backends) {
      const slot = slots.get(`${backend.ip}:${backend.port}`);
      if (slot === undefined)
        problems.push(`${frontend.key}: no slot entry for ${backend.ip}:${backend.port}`);
      else if (backend.state === 'active') wantedSlots.push(slot);
    }
    const extraSlots = slots.size - frontend.backends.length;
    if (extraSlots > 0 && !options.allowDraining)
      problems.push(`${frontend.key}: ${extraSlots} slot entries of no backend`);
    const bucketProblem = checkBuckets(reading, frontend, serviceId, wantedSlots, slots);
    if (bucketProblem !== undefined) {
      if (bucketProblem !== '') problems.push(`${frontend.key}: ${bucketProblem}`);
      if (selects.some((e) => Number(exact(e, 'service_id')) === serviceId))
        problems.push(`${frontend.key}: selector entry beside a bucket table`);
      continue;
    }
    const table = frontend.clientIpAffinity ? TABLES.affinitySelect : TABLES.backendSelect;
    const select = selects.find((e) => Number(exact(e, 'service_id')) === serviceId);
    if (wantedSlots.length === 0) {
      if (select !== undefined)
        problems.push(`${frontend.key}: selector entry without active backends`);
      continue;
    }
    if (select === undefined || select.table !== table) {
      problems.push(`${frontend.key}: no ${table} entry`);
      continue;
    }
    let picked: number[] = [];
    if (select.action?.kind === 'actionSet')
      picked = select.action.actions.map((a) => Number(a.action.params.slot));
    else if (select.action?.kind === 'group') {
      const profile = frontend.clientIpAffinity
        ? ACTION_PROFILES.affinitySelector
        : ACTION_PROFILES.backendSelector;
      const group = groupOf.get(`${profile}/${select.action.groupId}`);
      picked = (group?.members ?? []).map(
        (m) => slotOfMember.get(`${profile}/${m.memberId}`) ?? -1,
      );
    }
    const sort = (list: number[]) => [...list].sort((a, b) => a - b).join(',');
    if (sort(picked) !== sort(wantedSlots)) {
      problems.push(
        `${frontend.key}: selector picks slots ${sort(picked)}, expected ${sort(wantedSlots)}`,
      );
    }
  }
  if (frontendEntries.length !== serviceIds.size) {
    problems.push(`${frontendEntries.length} frontends entries for ${serviceIds.size} frontends`);
  }
  for (const serviceId of replies.keys())
    if (!usedServiceIds.has(serviceId)) problems.push(`stray reply entry ${serviceId}`);
  for (const entry of slotEntries) {
    if (!usedServiceIds.has(Number(exact(entry, 'service_id'))))
      problems.push(`stray slot entry of service ${exact(entry, 'service_id')}`);
  }
  for (const entry of selects) {
    if (!usedServiceIds.has(Number(exact(entry, 'service_id'))))
      problems.push(`stray selector entry of service ${exact(entry, 'service_id')}`);
  }
  for (const entry of [...byTable(TABLES.bucketServices), ...byTable(TABLES.bucketSelect)]) {
    if (!usedServiceIds.has(Number(exact(entry, 'service_id'))))
      problems.push(`stray ${entry.table} entry of service ${exact(entry, 'service_id')}`);
  }
  const routes = byTable(TABLES.l3Forward);
  const wantedRoutes = state.routes.filter((r) => r.family === 4);
  if (routes.length !== wantedRoutes.length)
    problems.push(`${routes.length} routes, expected ${wantedRoutes.length}`);
  return { problems, serviceIds };
}

/**
 * The bucket table of a service, if it has one (undefined: none): '' when it is complete
 * (`size` buckets, a power of two), every active backend holds buckets and every bucket
 * picks a slot of the frontend's backends; otherwise what is wrong.
 */
function checkBuckets(
  reading: SwitchReading,
  frontend: Frontend,
  serviceId: number,
  activeSlots: readonly number[],
  slots: ReadonlyMap<string, number>,
): string | undefined {
  const service = reading.entries.find(
    (e) => e.table === TABLES.bucketServices && Number(exact(e, 'service_id')) === serviceId,
  );
  const buckets = reading.entries.filter(
    (e) => e.table === TABLES.bucketSelect && Number(exact(e, 'service_id')) === serviceId,
  );
  if (service === undefined)
    return buckets.length > 0 ? 'bucket entries without a service entry' : undefined;
  const action = service.action?.kind === 'action' ? service.action.action.name : '';
  const wantedAction = frontend.clientIpAffinity
    ? ACTIONS.useClientBuckets
    : ACTIONS.useFlowBuckets;
  if (action !== wantedAction) return `bucket service action ${action}, expected ${wantedAction}`;
  const size = Number(param(service, 'mask')) + 1;
  if ((size & (size - 1)) !== 0) return `bucket mask ${size - 1}`;
  if (buckets.length !== size) return `${buckets.length} bucket entries for a table of ${size}`;
  const picked = new Set(buckets.map((e) => Number(param(e, 'slot'))));
  const backendSlots = new Set(slots.values());
  for (const slot of picked)
    if (!backendSlots.has(slot)) return `a bucket picks slot ${slot} of no backend`;
  for (const slot of activeSlots)
    if (!picked.has(slot)) return `active slot ${slot} holds no bucket`;
  return '';
}

function frontendEntryOf(
  entries: readonly NamedTableEntry[],
  frontend: Frontend,
): NamedTableEntry | undefined {
  const protocol = frontend.protocol === 'TCP' ? 6n : 17n;
  return entries.find(
    (e) =>
      ipv4Of(exact(e, 'vip_addr')) === frontend.ip &&
      exact(e, 'protocol') === protocol &&
      exact(e, 'vip_port') === BigInt(frontend.port),
  );
}

/**
 * Installs `pipeline` (if the cookie differs) and writes entries as another controller
 * would, to put a switch in a state the reconciler has to correct.
 */
export async function writeAsOtherController(
  address: string,
  deviceId: bigint,
  pipeline: Pipeline,
  build: (codec: EntityCodec) => ReturnType<EntityCodec['tableEntry']>[],
): Promise<void> {
  const client = new P4RuntimeClient({ address, deviceId, electionId: 1n });
  try {
    client.start();
    await client.waitForPrimary(10_000);
    await client.ensurePipeline(pipeline);
    const codec = new EntityCodec(new P4InfoIndex(pipeline.p4info));
    const result = await client.write(build(codec).map(insert), { concurrency: 1 });
    if (result.failures.length > 0) throw result.failures[0];
  } finally {
    client.close();
  }
}

/**
 * A small-size build of a compiled program: the BMv2 JSON and the P4Info with the given
 * tables resized (what `-DFRONTENDS_SIZE=8` would give), to fill tables in tests.
 */
export function resizedPipeline(
  files: { readonly json: Buffer; readonly p4info: Pipeline['p4info'] },
  sizes: Readonly<Record<string, number>>,
): Pipeline {
  const json = JSON.parse(files.json.toString('utf8')) as {
    pipelines: { tables: { name: string; max_size: number }[] }[];
  };
  for (const pipeline of json.pipelines) {
    for (const table of pipeline.tables) {
      const size = sizes[table.name];
      if (size !== undefined) table.max_size = size;
    }
  }
  const p4info = {
    ...files.p4info,
    tables: (files.p4info.tables ?? []).map((table) => {
      const size = sizes[table.preamble?.name ?? ''];
      return size === undefined ? table : { ...table, size: String(size) };
    }),
  };
  return pipelineOf(p4info, Buffer.from(JSON.stringify(json)));
}

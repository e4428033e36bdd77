import { Backoff, type BackoffOptions } from '../base/backoff.ts';
import type { Logger } from '../base/logger.ts';
import { P4RuntimeClient, type WriteResult } from '../p4rt/client.ts';
import { EntityCodec } from '../p4rt/entity-codec.ts';
import { P4RuntimeRpcError, type StatusCodeName } from '../p4rt/errors.ts';
import type { Update } from '../p4rt/generated/p4/v1/Update.ts';
import type { P4Info__Output } from '../p4rt/generated/p4/config/v1/P4Info.ts';
import { P4InfoIndex } from '../p4rt/p4info-index.ts';
import type { Pipeline } from '../p4rt/pipeline.ts';
import type { SessionState } from '../p4rt/stream-session.ts';
import {
  frontendKey,
  type DesiredState,
  type Frontend,
  type HostRoute,
  type L4Protocol,
  type NotOffloaded,
} from '../model/desired-state.ts';
import {
  deriveFrontend,
  deriveRoute,
  isRouteOfSwitch,
  type SelectorMode,
} from './derive-entries.ts';
import { NO_MEMBER } from './bucket-assignment.ts';
import type { BucketSizing } from './bucket-sizing.ts';
import { EntryTable } from './entry-table.ts';
import { IdAllocator } from './id-allocator.ts';
import type { ReconcileMetrics } from './metrics.ts';
import { ACTION_PROFILES, TABLES } from './p4-names.ts';
import type { SwitchOptions } from './reconciler-options.ts';
import type { BucketHash, Selector, SwitchEntry } from './switch-entries.ts';
import {
  deleteEntityOf,
  entityOf,
  readBackEntities,
  readEntryOf,
  type ReadEntry,
} from './switch-entry-codec.ts';
import type { TagKeyRing } from './tag-key.ts';
import { planUpdates, type Phase, type PlannedUpdate } from './update-plan.ts';

/** What one switch reconciler needs; built by Reconciler from its validated options. */
export interface SwitchReconcilerSettings {
  readonly name: string;
  readonly switchOptions: SwitchOptions;
  readonly electionId: bigint;
  readonly pipeline: Pipeline | undefined;
  readonly selectorMode: SelectorMode;
  /** Bucket tables where the switch has room (sizing), or the selectors only (undefined). */
  readonly bucketSizing: BucketSizing | undefined;
  readonly drainMs: number;
  readonly maxSlotsPerService: number;
  readonly batchSize: number;
  readonly writeConcurrency: number;
  readonly refusedRetryMs: number;
  readonly backoff: BackoffOptions | undefined;
  readonly tagKey: TagKeyRing;
  readonly metrics: ReconcileMetrics;
  readonly log: Logger;
  readonly now: () => number;
}

export interface NotOffloadedFrontend extends NotOffloaded {
  readonly frontendKey: string;
}

export interface PassSummary {
  readonly generation: number;
  readonly finishedAt: number;
  readonly durationMs: number;
  readonly writes: number;
  readonly refused: number;
}

export interface SwitchStatus {
  readonly name: string;
  readonly address: string;
  readonly deviceId: string;
  readonly session: SessionState;
  /** As far as the controller knows, the switch holds exactly the desired entries. */
  readonly inSync: boolean;
  /** The newest desired-state generation fully handled on this switch (0: none yet). */
  readonly appliedGeneration: number;
  readonly offloadedFrontends: number;
  readonly notOffloaded: readonly NotOffloadedFrontend[];
  readonly routesNotInstalled: readonly { readonly prefix: string; readonly reason: string }[];
  readonly lastError: string | undefined;
  readonly lastPass: PassSummary | undefined;
}

interface Refusal {
  readonly reason: string;
  readonly code: string;
  /**
   * The frontend or route as refused; a changed one is tried again at once. Frontends
   * compare by identity (the model keeps an unchanged frontend's object, and a state with
   * 100,000 refused frontends must not be serialized on every pass); routes, rebuilt with
   * every node change, by their JSON text.
   */
  readonly fingerprint: Frontend | string;
  readonly service: NotOffloaded['service'] | undefined;
  retryAt: number;
}

interface Derived {
  readonly frontend: Frontend;
  readonly drainExpiry: number | undefined;
}

/** Codes that mean the switch is not what we believed: re-read it rather than refuse. */
const STALE_CODES: ReadonlySet<StatusCodeName> = new Set([
  'ALREADY_EXISTS',
  'NOT_FOUND',
  'FAILED_PRECONDITION',
]);
/**
 * Codes a full table is reported with: the spec's RESOURCE_EXHAUSTED, and UNKNOWN, which
 * BMv2 (PI) answers for a full table ("Error when adding match entry to target").
 */
const TABLE_FULL_CODES: ReadonlySet<string> = new Set(['RESOURCE_EXHAUSTED', 'UNKNOWN']);
/** After this many passes in a row that found the switch stale, the failing owners are refused. */
const STALE_PASSES_BEFORE_REFUSAL = 3;

const PROTOCOL_NAME = new Map<number, L4Protocol>([
  [6, 'TCP'],
  [17, 'UDP'],
]);

/** The table (or action profile) an entry lives in, for metric labels. */
function tableLabel(entry: SwitchEntry): string {
  switch (entry.kind) {
    case 'frontend':
      return TABLES.frontends;
    case 'reply':
      return TABLES.replyFrontends;
    case 'backend':
      return TABLES.backends;
    case 'member':
    case 'group':
      return `${entry.selector === 'backend' ? ACTION_PROFILES.backendSelector : ACTION_PROFILES.affinitySelector} ${entry.kind}s`;
    case 'select':
      return entry.selector === 'backend' ? TABLES.backendSelect : TABLES.affinitySelect;
    case 'route':
      return TABLES.l3Forward;
    case 'tagKey':
      return TABLES.tagKey;
    case 'agentPort':
      return TABLES.agentPorts;
    case 'bucketService':
      return TABLES.bucketServices;
    case 'bucket':
      return TABLES.bucketSelect;
  }
}

const routeOwner = (prefix: string): string => `route ${prefix}`;
const TAG_KEY_OWNER = 'tag key';
const AGENT_PORTS_OWNER = 'agent ports';

class ClosedError extends Error {
  override readonly name = 'ClosedError';
}

/**
 * Keeps one switch equal to the desired state. It owns the P4Runtime session (which
 * reconnects with backoff on its own), and runs one pass at a time: on becoming primary
 * it checks the pipeline cookie (pushing the pipeline only when it differs) and reads
 * the switch back; each pass then derives the entries of the frontends that changed,
 * diffs them against what the switch holds and writes the difference in make-before-break
 * phases. A new desired state while a pass runs replaces any pending one (bursts
 * coalesce). Updates the switch refuses take their frontend (or route) off the switch and
 * into the status as not offloaded, without stopping the others.
 */
export class SwitchReconciler {
  readonly name: string;
  readonly client: P4RuntimeClient;
  private readonly settings: SwitchReconcilerSettings;
  private readonly ids: IdAllocator;
  /** What the switch should hold and holds, per entry key. */
  private readonly entries = new EntryTable();
  private holdingValid = false;
  private needsSync = true;
  /** Set by a read-back: the next pass diffs every key, not only the changed ones. */
  private fullDiffNeeded = true;
  private codec: EntityCodec | undefined;
  private codecP4Info: P4Info__Output | undefined;
  private maxGroupSize: Record<Selector, number> = { backend: 0, affinity: 0 };
  private readonly derived = new Map<string, Derived>();
  private readonly refused = new Map<string, Refusal>();
  private readonly refusedRoutes = new Map<string, Refusal>();
  private routesApplied: readonly HostRoute[] | undefined;
  /** Keys written without success (or skipped) in the last pass: diffed again next time. */
  private dirty = new Set<string>();
  private stalePasses = 0;
  private pending: { state: DesiredState; generation: number } | undefined;
  private current: { state: DesiredState; generation: number } | undefined;
  private applied = 0;
  private running = false;
  private again = false;
  private closed = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly retryBackoff: Backoff;
  private lastError: string | undefined;
  private lastPass: PassSummary | undefined;
  private readonly waiters: {
    generation: number;
    resolve: () => void;
    reject: (e: Error) => void;
  }[] = [];

  constructor(settings: SwitchReconcilerSettings) {
    this.settings = settings;
    this.name = settings.name;
    this.ids = new IdAllocator(settings.maxSlotsPerService);
    this.retryBackoff = new Backoff(settings.backoff);
    const { address, deviceId, role, tls, rpcTimeoutMs, maxMessageBytes } = settings.switchOptions;
    this.client = new P4RuntimeClient({
      address,
      deviceId,
      role,
      ...(tls === undefined ? {} : { tls }),
      rpcTimeoutMs,
      maxMessageBytes,
      electionId: settings.electionId,
      ...(settings.backoff === undefined ? {} : { backoff: settings.backoff }),
    });
    this.client.onStateChange(({ state, reason }) => {
      this.settings.metrics.primary.set(state === 'primary' ? 1 : 0, { switch: this.name });
      this.log('info', `session ${state}`, { reason });
      if (state === 'primary') {
        this.needsSync = true;
        this.kick();
      } else if (state === 'disconnected' || state === 'backup') {
        this.holdingValid = false;
      }
    });
  }

  start(): void {
    this.client.start();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.wakeTimer);
    this.client.close();
    for (const waiter of this.waiters.splice(0))
      waiter.reject(new ClosedError(`${this.name}: closed`));
  }

  /** Hands over a new desired state; it replaces any state not yet being applied. */
  setDesired(state: DesiredState, generation: number): void {
    this.pending = { state, generation };
    this.kick();
  }

  /** Resolves once `generation` (or a later one) has been applied to this switch. */
  whenApplied(generation: number): Promise<void> {
    if (this.applied >= generation) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ generation, resolve, reject }));
  }

  status(): SwitchStatus {
    const notOffloaded: NotOffloadedFrontend[] = [];
    for (const [key, refusal] of this.refused) {
      if (refusal.service !== undefined) {
        notOffloaded.push({ frontendKey: key, service: refusal.service, reason: refusal.reason });
      }
    }
    return {
      name: this.name,
      address: this.client.address,
      deviceId: this.client.deviceId.toString(),
      session: this.client.state,
      inSync:
        !this.running &&
        this.holdingValid &&
        !this.needsSync &&
        this.dirty.size === 0 &&
        this.pending === undefined,
      appliedGeneration: this.applied,
      offloadedFrontends: this.derived.size,
      notOffloaded,
      routesNotInstalled: [...this.refusedRoutes].map(([owner, refusal]) => ({
        prefix: owner.slice(routeOwner('').length),
        reason: refusal.reason,
      })),
      lastError: this.lastError,
      lastPass: this.lastPass,
    };
  }

  private kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.closed);
    } finally {
      this.running = false;
    }
  }

  private async pass(): Promise<void> {
    if (this.closed || !this.client.isPrimary) return;
    const started = performance.now();
    try {
      if (this.needsSync) await this.sync();
      else if (!this.holdingValid) await this.readBack();
      const target = this.pending ?? this.current;
      if (target === undefined) return;
      const fullDiff = this.fullDiffNeeded;
      this.fullDiffNeeded = false;
      this.pending = undefined;
      this.current = target;
      const now = this.settings.now();
      this.derive(target.state, now);
      const touched = this.entries.takeTouched();
      for (const key of this.dirty) touched.add(key);
      this.dirty = new Set();
      const phases = planUpdates(this.entries, fullDiff ? 'all' : touched);
      const outcome = await this.apply(phases);
      this.finishPass(target.generation, outcome, started);
      this.retryBackoff.reset();
      this.lastError = undefined;
    } catch (error) {
      this.failPass(error);
    } finally {
      this.scheduleWake();
    }
  }

  private async sync(): Promise<void> {
    const pipeline = this.settings.pipeline;
    let p4info: P4Info__Output | undefined;
    if (pipeline !== undefined) {
      const outcome = await this.client.ensurePipeline(pipeline);
      if (outcome === 'pushed') {
        this.settings.metrics.pipelinePushes.inc({ switch: this.name });
        this.log('info', 'pipeline pushed (device cookie differed)', {
          cookie: pipeline.cookie.toString(),
        });
      }
      p4info = pipeline.p4info;
    } else {
      p4info = await this.client.getP4Info();
      if (p4info === undefined)
        throw new Error('the switch has no pipeline and none is configured');
    }
    if (this.codecP4Info !== p4info) {
      const index = new P4InfoIndex(p4info);
      this.codec = new EntityCodec(index);
      this.codecP4Info = p4info;
      this.maxGroupSize = {
        backend: index.actionProfile(ACTION_PROFILES.backendSelector).maxGroupSize,
        affinity: index.actionProfile(ACTION_PROFILES.affinitySelector).maxGroupSize,
      };
      // A pipeline without bucket tables: every Service uses the selectors.
      this.ids.setBucketCapacity(index.findTable(TABLES.bucketSelect)?.size ?? 0);
    }
    await this.readBack();
    this.needsSync = false;
  }

  private async readBack(): Promise<void> {
    const codec = this.codec!;
    const entities = await this.client.read(
      readBackEntities(codec, this.settings.selectorMode === 'groups'),
    );
    const holding: ReadEntry[] = [];
    for (const entity of entities) {
      try {
        const found = readEntryOf(codec.decode(entity));
        if (found !== undefined) holding.push(found);
      } catch (error) {
        this.log('warn', 'unreadable entity in read-back ignored', {
          error: (error as Error).message,
        });
      }
    }
    try {
      for (const entity of await this.client.read([codec.readDefaultEntry(TABLES.tagKey)])) {
        const found = readEntryOf(codec.decode(entity));
        if (found !== undefined) holding.push(found);
      }
    } catch (error) {
      if (error instanceof P4RuntimeRpcError && error.isSessionFailure) throw error;
      // A target that cannot read default entries: the key is simply written again.
      this.log('info', 'tag_key default entry not readable', { error: (error as Error).message });
    }
    if (this.ids.isEmpty) this.adopt(holding);
    this.entries.setHolding(holding);
    this.holdingValid = true;
    this.fullDiffNeeded = true;
    this.dirty = new Set();
    this.settings.metrics.readBacks.inc({ switch: this.name });
  }

  /**
   * Takes over the service ids and slots a switch already holds (after a controller
   * restart), so that nothing right is rewritten and every cookie in flight stays valid.
   */
  private adopt(holding: readonly ReadEntry[]): void {
    const keyOfService = new Map<number, string>();
    for (const { entry, invalid } of holding) {
      if (entry.kind !== 'frontend' || invalid !== undefined) continue;
      const protocol = PROTOCOL_NAME.get(entry.protocol);
      if (protocol === undefined || entry.serviceId === 0) continue;
      const key = frontendKey(entry.vip, protocol, entry.port);
      if (this.ids.adoptServiceId(key, entry.serviceId)) keyOfService.set(entry.serviceId, key);
    }
    for (const { entry, invalid } of holding) {
      if (invalid !== undefined) continue;
      if (entry.kind === 'backend' && keyOfService.has(entry.serviceId)) {
        this.ids.slots(entry.serviceId).adopt(entry.slot, entry.addr, entry.port);
      }
      if (entry.kind === 'tagKey')
        this.settings.tagKey.adopt({
          epoch: entry.epoch,
          current: entry.current,
          previous: entry.previous,
        });
    }
    this.adoptBuckets(holding, keyOfService);
    this.log('info', 'adopted ids from the switch', { services: keyOfService.size });
  }

  /**
   * Takes over the bucket tables a switch holds, complete ones only (every bucket names a
   * slot of the service), so the first assignment after a restart starts from them.
   */
  private adoptBuckets(
    holding: readonly ReadEntry[],
    keyOfService: ReadonlyMap<number, string>,
  ): void {
    const tables = new Map<number, { hash: BucketHash; table: number[] }>();
    for (const { entry, invalid } of holding) {
      if (entry.kind !== 'bucketService' || invalid !== undefined) continue;
      if (!keyOfService.has(entry.serviceId)) continue;
      tables.set(entry.serviceId, {
        hash: entry.hash,
        table: new Array<number>(entry.size).fill(NO_MEMBER),
      });
    }
    for (const { entry, invalid } of holding) {
      if (entry.kind !== 'bucket' || invalid !== undefined) continue;
      const adopted = tables.get(entry.serviceId);
      if (adopted !== undefined && entry.bucket < adopted.table.length)
        adopted.table[entry.bucket] = entry.slot;
    }
    for (const [serviceId, adopted] of tables) {
      const slots = this.ids.slots(serviceId);
      if (adopted.table.some((slot) => slots.holder(slot) === undefined)) continue;
      if (this.ids.buckets.reserve(serviceId, adopted.table.length) !== adopted.table.length)
        continue;
      slots.buckets = adopted;
      // A ClientIP backend not in the table was still waiting to join it: the wait starts
      // again now (the restarted controller cannot know when it began), so the restart
      // moves no client.
      if (adopted.hash === 'client') {
        const owners = new Set(adopted.table);
        const now = this.settings.now();
        for (const [slot, holder] of slots.entries()) if (!owners.has(slot)) holder.since = now;
      }
    }
  }

  /** Brings the desired tables up to `state`, re-deriving only frontends that changed. */
  private derive(state: DesiredState, now: number): void {
    const context = {
      selectorMode: this.settings.selectorMode,
      drainMs: this.settings.drainMs,
      now,
      maxGroupSize: this.maxGroupSize,
      ...(this.settings.bucketSizing === undefined
        ? {}
        : {
            buckets: {
              sizing: this.settings.bucketSizing,
              reserve: (serviceId: number, wanted: number) =>
                this.ids.buckets.reserve(serviceId, wanted),
              release: (serviceId: number) => this.ids.buckets.release(serviceId),
            },
          }),
    };
    let removedAny = false;
    for (const [key, frontend] of state.frontends) {
      if (frontend.family !== 4) continue;
      const refusal = this.refused.get(key);
      if (refusal !== undefined) {
        if (refusal.retryAt > now && refusal.fingerprint === frontend) continue;
        this.refused.delete(key);
      }
      const previous = this.derived.get(key);
      if (previous?.frontend === frontend && !(previous.drainExpiry! <= now)) continue;
      const serviceId = this.ids.serviceId(key);
      const derivation = deriveFrontend(frontend, serviceId, this.ids.slots(serviceId), context);
      if (!derivation.ok) {
        this.refuse(key, frontend, 'SLOTS_EXHAUSTED', derivation.reason, now);
        continue;
      }
      this.entries.setOwner(key, derivation.entries);
      this.derived.set(key, { frontend, drainExpiry: derivation.drainExpiry });
    }
    // Frontends gone from the state (or no longer IPv4) leave the switch.
    for (const key of this.derived.keys()) {
      if (state.frontends.get(key)?.family === 4) continue;
      this.entries.removeOwner(key);
      this.derived.delete(key);
      this.ids.release(key);
      removedAny = true;
    }
    // Ids adopted from the switch for frontends nobody wants any more.
    if (this.ids.size !== this.derived.size) {
      for (const key of [...this.ids.frontendKeys()])
        if (!this.derived.has(key)) this.ids.release(key);
    }
    for (const key of [...this.refused.keys()])
      if (!state.frontends.has(key)) this.refused.delete(key);
    // Capacity freed: frontends refused for lack of room get another chance now.
    if (removedAny) {
      for (const refusal of this.refused.values()) {
        if (TABLE_FULL_CODES.has(refusal.code)) refusal.retryAt = now;
      }
    }
    this.deriveRoutes(state.routes, now);
    this.entries.setOwner(TAG_KEY_OWNER, [{ kind: 'tagKey', ...this.settings.tagKey.ensure() }]);
    this.entries.setOwner(
      AGENT_PORTS_OWNER,
      this.settings.switchOptions.agentPorts.map((port) => ({ kind: 'agentPort', port })),
    );
  }

  private deriveRoutes(routes: readonly HostRoute[], now: number): void {
    const retryDue = [...this.refusedRoutes.values()].some((r) => r.retryAt <= now);
    if (routes === this.routesApplied && !retryDue) return;
    this.routesApplied = routes;
    const wanted = new Set<string>();
    for (const route of routes) {
      if (route.family !== 4 || !isRouteOfSwitch(route, this.name)) continue;
      const owner = routeOwner(route.prefix);
      const refusal = this.refusedRoutes.get(owner);
      if (refusal !== undefined) {
        if (refusal.retryAt > now && refusal.fingerprint === JSON.stringify(route)) continue;
        this.refusedRoutes.delete(owner);
      }
      const entry = deriveRoute(route);
      if (typeof entry === 'string') {
        this.refusedRoutes.set(owner, {
          reason: entry,
          code: 'INVALID_ROUTE',
          fingerprint: JSON.stringify(route),
          service: undefined,
          retryAt: Infinity,
        });
        continue;
      }
      wanted.add(owner);
      this.entries.setOwner(owner, [entry]);
    }
    for (const owner of [...this.entries.owners()]) {
      if (owner.startsWith(routeOwner('')) && !wanted.has(owner)) this.entries.removeOwner(owner);
    }
    for (const owner of [...this.refusedRoutes.keys()]) {
      if (!routes.some((r) => isRouteOfSwitch(r, this.name) && routeOwner(r.prefix) === owner))
        this.refusedRoutes.delete(owner);
    }
  }

  private refuse(key: string, frontend: Frontend, code: string, reason: string, now: number): void {
    this.refused.set(key, {
      reason,
      code,
      fingerprint: frontend,
      service: frontend.service,
      retryAt: now + this.settings.refusedRetryMs,
    });
    this.entries.removeOwner(key);
    this.derived.delete(key);
    this.ids.release(key);
    this.settings.metrics.errors.inc({ switch: this.name, kind: 'refused' });
    this.log('warn', 'frontend not offloaded', {
      frontend: key,
      service: frontend.service,
      reason,
    });
  }

  /** Writes the phases one after the other; returns what was refused and whether the switch was stale. */
  private async apply(
    phases: readonly Phase[],
  ): Promise<{ writes: number; refused: number; stale: boolean }> {
    const codec = this.codec!;
    const failedOwners = new Set<string>();
    const failedKeys = new Set<string>();
    const refusals = new Map<string, { code: StatusCodeName | 'INVALID_INPUT'; details: string }>();
    let writes = 0;
    let stale = false;
    const staleIsRefusal = this.stalePasses >= STALE_PASSES_BEFORE_REFUSAL;
    const fail = (
      update: PlannedUpdate,
      code: StatusCodeName | 'INVALID_INPUT',
      details: string,
    ): void => {
      this.dirty.add(update.key);
      failedKeys.add(update.key);
      // One line per owner: a full table refuses every update of every frontend that does
      // not fit, and the frontend's own "not offloaded" warning follows.
      const firstOfOwner = update.owner === undefined || !failedOwners.has(update.owner);
      if (update.owner !== undefined) failedOwners.add(update.owner);
      const isStale = code !== 'INVALID_INPUT' && STALE_CODES.has(code) && !staleIsRefusal;
      if (isStale) stale = true;
      else if (update.owner !== undefined && !refusals.has(update.owner))
        refusals.set(update.owner, { code, details });
      if (!firstOfOwner) return;
      this.log(isStale ? 'info' : 'warn', 'update refused', {
        key: update.key,
        op: update.op,
        code,
        details,
      });
    };
    /**
     * Tables that answered full in this pass. A make phase only inserts, and each table is
     * written in one phase, so their later INSERTs of the pass are refused with the same
     * reason without sending them (100,000 Services that do not fit are not a million
     * refused writes).
     */
    const fullTables = new Map<string, { code: StatusCodeName; details: string }>();
    const encode = (chunk: readonly PlannedUpdate[]) => {
      const updates: PlannedUpdate[] = [];
      const messages: Update[] = [];
      for (const update of chunk) {
        const blockedBy = update.dependsOn.find((key) => failedKeys.has(key));
        if (
          (update.owner !== undefined && failedOwners.has(update.owner)) ||
          blockedBy !== undefined
        ) {
          this.dirty.add(update.key);
          if (update.owner !== undefined) failedOwners.add(update.owner);
          failedKeys.add(update.key);
          continue;
        }
        const full = update.op === 'INSERT' ? fullTables.get(tableLabel(update.entry)) : undefined;
        if (full !== undefined) {
          fail(update, full.code, full.details);
          continue;
        }
        try {
          const entity =
            update.op === 'DELETE'
              ? deleteEntityOf(update.entry, codec)
              : entityOf(update.entry, codec);
          messages.push({ type: update.op, entity });
          updates.push(update);
        } catch (error) {
          fail(update, 'INVALID_INPUT', (error as Error).message);
        }
      }
      return { updates, messages };
    };
    const acknowledge = (updates: readonly PlannedUpdate[], result: WriteResult): void => {
      const failedAt = new Set<number>();
      for (const failure of result.failures) {
        failedAt.add(failure.index);
        this.settings.metrics.refusedUpdates.inc({ switch: this.name, code: failure.code });
        const update = updates[failure.index]!;
        fail(update, failure.code, failure.details);
        const table = tableLabel(update.entry);
        if (update.op === 'INSERT' && TABLE_FULL_CODES.has(failure.code) && !fullTables.has(table))
          fullTables.set(table, { code: failure.code, details: failure.details });
      }
      const acknowledged = new Map<string, { op: string; table: string; count: number }>();
      updates.forEach((update, i) => {
        if (failedAt.has(i)) return;
        writes++;
        const table = tableLabel(update.entry);
        const counted = acknowledged.get(`${update.op} ${table}`);
        if (counted) counted.count++;
        else acknowledged.set(`${update.op} ${table}`, { op: update.op, table, count: 1 });
        this.entries.setHeld(update.key, update.op === 'DELETE' ? undefined : update.entry);
      });
      for (const { op, table, count } of acknowledged.values()) {
        this.settings.metrics.writes.inc({ switch: this.name, op, table }, count);
      }
    };
    const { batchSize, writeConcurrency } = this.settings;
    // A phase is encoded a few rounds of batches at a time, the next chunk while the switch
    // works on the one before: encoded messages never pile up for a whole phase.
    const chunkSize = batchSize * writeConcurrency * 4;
    for (const phase of phases) {
      let writing: Promise<void> = Promise.resolve();
      for (let first = 0; first < phase.updates.length; first += chunkSize) {
        const { updates, messages } = encode(phase.updates.slice(first, first + chunkSize));
        await writing;
        if (messages.length === 0) continue;
        writing = this.client
          .write(messages, { batchSize, concurrency: writeConcurrency })
          .then((result) => acknowledge(updates, result));
      }
      await writing;
    }
    // Retry times count from now, not from the start of a pass that may have been long.
    const now = this.settings.now();
    for (const [owner, { code, details }] of refusals) {
      const reason = `${code}: ${details}`;
      const routePrefix = owner.startsWith(routeOwner(''))
        ? owner.slice(routeOwner('').length)
        : undefined;
      if (routePrefix !== undefined) {
        const route = this.routesApplied?.find(
          (r) => r.prefix === routePrefix && isRouteOfSwitch(r, this.name),
        );
        this.refusedRoutes.set(owner, {
          reason,
          code,
          fingerprint: JSON.stringify(route),
          service: undefined,
          retryAt: now + this.settings.refusedRetryMs,
        });
        this.entries.removeOwner(owner);
        this.log('warn', 'route not installed', { prefix: routePrefix, reason });
        continue;
      }
      const frontend = this.current?.state.frontends.get(owner);
      if (frontend !== undefined) this.refuse(owner, frontend, code, reason, now);
    }
    return { writes, refused: refusals.size, stale };
  }

  private finishPass(
    generation: number,
    outcome: { writes: number; refused: number; stale: boolean },
    started: number,
  ): void {
    const durationMs = performance.now() - started;
    const labels = { switch: this.name };
    if (outcome.stale) {
      this.stalePasses++;
      this.holdingValid = false;
      this.settings.metrics.errors.inc({ ...labels, kind: 'stale' });
    } else {
      this.stalePasses = 0;
    }
    // Refused or stale: run again now, to take refused frontends' leftovers off the switch
    // or to converge from a fresh read-back.
    if (outcome.refused > 0 || outcome.stale) this.again = true;
    this.settings.metrics.passes.inc({ ...labels, result: outcome.refused > 0 ? 'refused' : 'ok' });
    if (outcome.writes > 0) this.settings.metrics.duration.observe(durationMs / 1000, labels);
    this.settings.metrics.notOffloaded.set(this.refused.size, labels);
    this.lastPass = {
      generation,
      finishedAt: Date.now(),
      durationMs,
      writes: outcome.writes,
      refused: outcome.refused,
    };
    this.applied = Math.max(this.applied, generation);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (waiter.generation <= this.applied) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  private failPass(error: unknown): void {
    const labels = { switch: this.name };
    this.settings.metrics.passes.inc({ ...labels, result: 'error' });
    this.lastError = error instanceof Error ? error.message : String(error);
    this.holdingValid = false;
    this.needsSync = true;
    // The state being applied is applied again on the next pass, unless a newer one came.
    this.pending ??= this.current;
    if (error instanceof P4RuntimeRpcError && error.isSessionFailure) {
      this.settings.metrics.errors.inc({ ...labels, kind: 'session' });
      this.log('warn', 'switch session failed; reconnecting', { error: this.lastError });
      // Not primary: wait for the device to say we are again; otherwise reconnect now.
      if (error.code !== 'PERMISSION_DENIED') this.client.reconnect(this.lastError);
      return;
    }
    this.settings.metrics.errors.inc({ ...labels, kind: 'error' });
    this.log('error', 'reconcile pass failed', { error: this.lastError });
    const delay = this.retryBackoff.next();
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.kick(), delay);
  }

  /** Wakes up for the next drain expiry or refusal retry. */
  private scheduleWake(): void {
    if (this.closed || this.lastError !== undefined) return;
    let next = Infinity;
    for (const derived of this.derived.values()) {
      if (derived.drainExpiry !== undefined) next = Math.min(next, derived.drainExpiry);
    }
    for (const refusal of this.refused.values()) next = Math.min(next, refusal.retryAt);
    for (const refusal of this.refusedRoutes.values()) next = Math.min(next, refusal.retryAt);
    clearTimeout(this.wakeTimer);
    if (next === Infinity) return;
    const delay = Math.max(0, next - this.settings.now());
    this.wakeTimer = setTimeout(() => this.kick(), Math.min(delay, 2 ** 31 - 1));
  }

  private log(
    level: 'info' | 'warn' | 'error',
    message: string,
    fields: Record<string, unknown>,
  ): void {
    this.settings.log[level](message, { switch: this.name, ...fields });
  }
}

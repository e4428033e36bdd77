import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/base/logger.ts';
import type { DesiredState } from '../../src/model/desired-state.ts';
import { eventually } from './eventually.ts';
import { P4RuntimeClient } from '../../src/p4rt/client.ts';
import { EntityCodec } from '../../src/p4rt/entity-codec.ts';
import { P4InfoIndex } from '../../src/p4rt/p4info-index.ts';
import { pipelineOf, type Pipeline } from '../../src/p4rt/pipeline.ts';
import { TABLES } from '../../src/reconcile/p4-names.ts';
import { Reconciler } from '../../src/reconcile/reconciler.ts';
import type { ReconcilerOptions } from '../../src/reconcile/reconciler-options.ts';
import { talariaPipeline } from './conformance/pipelines.ts';
import {
  compareWithState,
  readingLines,
  readSwitch,
  resizedPipeline,
  syntheticFrontend,
  syntheticState,
  withFrontend,
  withoutFrontend,
  writeAsOtherController,
} from './reconcile-fixtures.ts';

/**
 * The reconciler's scenarios against a switch target over real gRPC, with the Talaria
 * program (p4/build): test/unit/reconcile-switch.test.ts runs them on the embedded target,
 * test/bmv2/reconcile.test.ts on simple_switch_grpc. What the switch holds is checked by
 * reading it back through its P4Info (reconcile-fixtures.ts), independently of the
 * reconciler's own model.
 */

/** A running switch: its P4Runtime address (device id 1) and how to stop it. */
export interface RunningTarget {
  readonly address: string;
  stop(): Promise<void>;
}

export interface ReconcileTarget {
  /** Starts a switch without a pipeline; with `address`, listening there (a restart). */
  start(address?: string): Promise<RunningTarget>;
  /** How long convergence may take on this target. */
  readonly timeoutMs: number;
  /** The code the target refuses an insert into a full table with. */
  readonly tableFullCode: string;
  /** Why two switches cannot run at once on this target, if they cannot. */
  readonly noSecondSwitch?: string;
}

/** Why the suite cannot run (the compiled program is missing), or undefined. */
export function reconcileSuiteUnavailable(): string | undefined {
  return talariaPipeline() ? undefined : 'p4/build/talaria.json and .p4info.txtpb not built yet';
}

export async function freeAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

/**
 * Registers the scenarios against `target`, or reports each as skipped with the reason when
 * the program is not built or `unavailable` says the target cannot run here.
 */
export function defineReconcileSuite(
  title: string,
  kind: ReconcileTarget,
  unavailable?: string,
): void {
  const files = talariaPipeline();
  const pipeline: Pipeline | undefined = files && pipelineOf(files.p4info, files.json);
  const skip = unavailable ?? reconcileSuiteUnavailable();
  (skip ? describe.skip : describe)(skip ? `${title} [skipped: ${skip}]` : title, () => {
    const running: RunningTarget[] = [];
    const reconcilers: Reconciler[] = [];

    afterEach(async () => {
      for (const reconciler of reconcilers.splice(0)) reconciler.close();
      await Promise.all(running.splice(0).map((s) => s.stop()));
    });

    async function startTarget(address?: string): Promise<RunningTarget> {
      const started = await kind.start(address);
      running.push(started);
      return started;
    }

    async function stopTarget(started: RunningTarget): Promise<void> {
      running.splice(running.indexOf(started), 1);
      await started.stop();
    }

    interface Logged {
      readonly level: string;
      readonly message: string;
      readonly fields: Record<string, unknown>;
    }

    function reconcilerFor(
      addresses: string[],
      overrides: Partial<ReconcilerOptions> = {},
      dependencies: { now?: () => number; onLog?: (message: string) => void } = {},
    ): { reconciler: Reconciler; logged: Logged[] } {
      const logged: Logged[] = [];
      // The real logger, its JSON lines read back.
      const log = createLogger('reconcile', {
        trace: '',
        output: (line) => {
          const { level, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
          logged.push({ level: String(level), message: String(msg), fields });
          dependencies.onLog?.(String(msg));
        },
      });
      const reconciler = new Reconciler(
        {
          switches: addresses.map((address, i) => ({ name: `s${i + 1}`, address, deviceId: 1n })),
          electionId: 10n,
          pipeline: pipeline!,
          drainMs: 0,
          tagKey: 0x5eedn,
          backoff: { initialMs: 20, maxMs: 300 },
          ...overrides,
        },
        { log, ...(dependencies.now ? { now: dependencies.now } : {}) },
      );
      reconcilers.push(reconciler);
      reconciler.start();
      return { reconciler, logged };
    }

    async function waitFor(
      what: string,
      condition: () => boolean | Promise<boolean>,
      timeoutMs = kind.timeoutMs,
    ): Promise<void> {
      await eventually(
        async () => expect(await condition(), `waiting for ${what}`).toBe(true),
        timeoutMs,
      );
    }

    async function expectServes(
      target: RunningTarget,
      state: DesiredState,
      options: Parameters<typeof compareWithState>[2] = {},
    ) {
      const { problems, serviceIds } = compareWithState(
        await readSwitch(target.address, 1n),
        state,
        options,
      );
      expect(problems).toEqual([]);
      return serviceIds;
    }

    const writes = (reconciler: Reconciler, labels: Record<string, string> = {}): number =>
      reconciler.metrics.writes.sum({ switch: 's1', ...labels });

    const state = syntheticState({
      services: 24,
      backendsPerService: 3,
      affinityEvery: 5,
      nodes: 3,
    });

    it('converges from empty: pipeline pushed, every frontend served, nothing else', async () => {
      const target = await startTarget();
      const { reconciler } = reconcilerFor([target.address]);
      await reconciler.whenApplied(reconciler.setDesiredState(state));
      await expectServes(target, state);
      const status = reconciler.status();
      expect(status.notOffloaded).toEqual([]);
      expect(status.switches[0]).toMatchObject({
        session: 'primary',
        inSync: true,
        offloadedFrontends: 24,
      });
      expect(reconciler.metrics.pipelinePushes.get({ switch: 's1' })).toBe(1);
      expect(writes(reconciler, { op: 'DELETE' })).toBe(0);
    });

    it('converges from empty with one-shot selector programming', async () => {
      const target = await startTarget();
      const { reconciler } = reconcilerFor([target.address], {
        selectorMode: 'one-shot',
        backendChoice: 'selector',
      });
      await reconciler.whenApplied(reconciler.setDesiredState(state));
      await expectServes(target, state);
      const reading = await readSwitch(target.address, 1n);
      expect(reading.members).toEqual([]);
      expect(reading.groups).toEqual([]);
    });

    it('converges from a wrong state: wrong ids, stray entries and routes are corrected', async () => {
      const target = await startTarget();
      const first = [...state.frontends.values()][0]!;
      await writeAsOtherController(target.address, 1n, pipeline!, (codec) => [
        // svc-0's VIP pointing at a service id with no reply entry, no slots, no selector.
        codec.tableEntry({
          table: TABLES.frontends,
          match: { vip_addr: 0x0a600000n, protocol: 6, vip_port: first.port },
          action: {
            kind: 'action',
            action: { name: 'TalariaIngress.set_service', params: { service_id: 999 } },
          },
        }),
        // A VIP nobody wants, a slot of a service that does not exist, a route nobody wants.
        codec.tableEntry({
          table: TABLES.frontends,
          match: { vip_addr: 0x0a630001n, protocol: 17, vip_port: 53 },
          action: {
            kind: 'action',
            action: { name: 'TalariaIngress.set_service', params: { service_id: 5 } },
          },
        }),
        codec.tableEntry({
          table: TABLES.backends,
          match: { service_id: 777, slot: 1 },
          action: {
            kind: 'action',
            action: { name: 'TalariaIngress.set_backend', params: { addr: 1, port: 1 } },
          },
        }),
        codec.tableEntry({
          table: TABLES.l3Forward,
          match: { dst_addr: { kind: 'lpm', value: 0x0afa0000n, prefixLen: 16 } },
          action: {
            kind: 'action',
            action: {
              name: 'TalariaIngress.forward_to_host',
              params: { port: 9, smac: 1, dmac: 2 },
            },
          },
        }),
      ]);
      const { reconciler } = reconcilerFor([target.address]);
      await reconciler.whenApplied(reconciler.setDesiredState(state));
      await expectServes(target, state);
      expect(reconciler.metrics.pipelinePushes.get({ switch: 's1' })).toBe(0);
      expect(writes(reconciler, { op: 'DELETE' })).toBeGreaterThanOrEqual(3);
    });

    it('adopts the ids on the switch after a controller restart and rewrites nothing', async () => {
      const target = await startTarget();
      const first = reconcilerFor([target.address], { drainMs: 60_000 });
      await first.reconciler.whenApplied(first.reconciler.setDesiredState(state));
      const before = readingLines(await readSwitch(target.address, 1n));
      const idsBefore = await expectServes(target, state);
      first.reconciler.close();

      // A new controller process: same cluster, new objects, nothing in memory.
      const second = reconcilerFor([target.address], { drainMs: 60_000 });
      const rebuilt = syntheticState({
        services: 24,
        backendsPerService: 3,
        affinityEvery: 5,
        nodes: 3,
      });
      await second.reconciler.whenApplied(second.reconciler.setDesiredState(rebuilt));
      expect(writes(second.reconciler)).toBe(0);
      expect(readingLines(await readSwitch(target.address, 1n))).toEqual(before);
      expect(await expectServes(target, rebuilt)).toEqual(idsBefore);

      // One more backend for svc-1: only its slot entry and the buckets of its 256-bucket
      // table that the new backend takes (64) are written: the bucket tables were adopted.
      const svc1 = rebuilt.frontends.get(syntheticFrontend(1, 3).key)!;
      const extra = { ip: '10.200.0.1', port: 8080, family: 4 as const, state: 'active' as const };
      const grown = withFrontend(rebuilt, { ...svc1, backends: [...svc1.backends, extra] });
      await second.reconciler.whenApplied(second.reconciler.setDesiredState(grown));
      expect(writes(second.reconciler, { table: TABLES.backends })).toBe(1);
      expect(writes(second.reconciler, { table: TABLES.frontends })).toBe(0);
      expect(writes(second.reconciler, { op: 'DELETE' })).toBe(0);
      expect(writes(second.reconciler, { table: TABLES.bucketSelect, op: 'MODIFY' })).toBe(64);
      expect(writes(second.reconciler)).toBe(65);
      await expectServes(target, grown);
    });

    it('keeps a ClientIP bucket table through an addition and a controller restart', async () => {
      const target = await startTarget();
      const first = reconcilerFor([target.address], { drainMs: 60_000 });
      await first.reconciler.whenApplied(first.reconciler.setDesiredState(state));
      // svc-0 has ClientIP affinity: a new backend waits timeoutSeconds to join its table.
      const svc0 = state.frontends.get(syntheticFrontend(0, 3, { affinity: true }).key)!;
      expect(svc0.clientIpAffinity).toBeDefined();
      const extra = { ip: '10.200.0.9', port: 8080, family: 4 as const, state: 'active' as const };
      const grown = withFrontend(state, { ...svc0, backends: [...svc0.backends, extra] });
      await first.reconciler.whenApplied(first.reconciler.setDesiredState(grown));
      expect(writes(first.reconciler, { table: TABLES.bucketSelect, op: 'MODIFY' })).toBe(0);
      const before = readingLines(await readSwitch(target.address, 1n));
      first.reconciler.close();

      const second = reconcilerFor([target.address], { drainMs: 60_000 });
      await second.reconciler.whenApplied(second.reconciler.setDesiredState(grown));
      expect(writes(second.reconciler)).toBe(0);
      expect(readingLines(await readSwitch(target.address, 1n))).toEqual(before);
    });

    it('restores everything, with the same ids, after a switch restart', async () => {
      const target = await startTarget();
      const { reconciler } = reconcilerFor([target.address]);
      await reconciler.whenApplied(reconciler.setDesiredState(state));
      const idsBefore = await expectServes(target, state);
      const before = readingLines(await readSwitch(target.address, 1n));

      await stopTarget(target);
      const restarted = await startTarget(target.address);
      await waitFor(
        'the pipeline to be pushed again',
        () => reconciler.metrics.pipelinePushes.get({ switch: 's1' }) === 2,
      );
      await waitFor('the switch to be in sync', () => reconciler.status().switches[0]!.inSync);
      expect(await expectServes(restarted, state)).toEqual(idsBefore);
      expect(readingLines(await readSwitch(restarted.address, 1n))).toEqual(before);
    });

    it('with a table filled to capacity: the frontends that do not fit are not offloaded, the others work', async () => {
      const small = resizedPipeline(files!, { [TABLES.frontends]: 20 });
      const target = await startTarget();
      const { reconciler, logged } = reconcilerFor([target.address], { pipeline: small });
      await reconciler.whenApplied(reconciler.setDesiredState(state));
      await waitFor(
        'leftovers of refused frontends to be removed',
        () => reconciler.status().switches[0]!.inSync,
      );
      const status = reconciler.status();
      expect(status.notOffloaded).toHaveLength(4);
      for (const item of status.notOffloaded) expect(item.reason).toContain(kind.tableFullCode);
      const refused = new Set(status.switches[0]!.notOffloaded.map((n) => n.frontendKey));
      await expectServes(target, state, { absent: refused });
      expect(reconciler.metrics.notOffloaded.get({ switch: 's1' })).toBe(4);
      expect(
        reconciler.metrics.refusedUpdates.get({ switch: 's1', code: kind.tableFullCode }),
      ).toBeGreaterThanOrEqual(4);
      expect(logged.filter((l) => l.message === 'frontend not offloaded')).toHaveLength(4);

      // Room again: two Services go away, two refused ones are offloaded.
      const keys = [...state.frontends.keys()].filter((key) => !refused.has(key));
      const shrunk = withoutFrontend(withoutFrontend(state, keys[0]!), keys[1]!);
      await reconciler.whenApplied(reconciler.setDesiredState(shrunk));
      await waitFor(
        'refused frontends to be retried',
        () => reconciler.status().notOffloaded.length === 2,
      );
      await waitFor('the switch to be in sync', () => reconciler.status().switches[0]!.inSync);
      const stillRefused = new Set(
        reconciler.status().switches[0]!.notOffloaded.map((n) => n.frontendKey),
      );
      await expectServes(target, shrunk, { absent: stillRefused });
    });

    it('once a table answers full, refuses the rest of its inserts in that pass without sending them', async () => {
      const small = resizedPipeline(files!, { [TABLES.frontends]: 20 });
      const target = await startTarget();
      const { reconciler } = reconcilerFor([target.address], {
        pipeline: small,
        batchSize: 1,
        writeConcurrency: 1,
      });
      const many = syntheticState({ services: 60, backendsPerService: 1, nodes: 1 });
      await reconciler.whenApplied(reconciler.setDesiredState(many));
      await waitFor('the switch to be in sync', () => reconciler.status().switches[0]!.inSync);
      expect(reconciler.status().notOffloaded).toHaveLength(40);
      const sent = reconciler.metrics.refusedUpdates.get({
        switch: 's1',
        code: kind.tableFullCode,
      });
      // Without the skip, each of the 40 frontends that do not fit is one refused write.
      expect(sent).toBeGreaterThanOrEqual(1);
      expect(sent).toBeLessThan(40);
      await expectServes(target, many, {
        absent: new Set(reconciler.status().switches[0]!.notOffloaded.map((n) => n.frontendKey)),
      });
    });

    it('counts the retry time of a refusal from the refusal, not from the start of a long pass', async () => {
      const small = resizedPipeline(files!, { [TABLES.frontends]: 20 });
      const target = await startTarget();
      // The clock jumps past the retry time while the switch answers the pass's writes.
      let clock = 0;
      const { reconciler, logged } = reconcilerFor(
        [target.address],
        { pipeline: small, refusedRetryMs: 60_000 },
        { now: () => clock, onLog: (m) => m === 'update refused' && (clock += 120_000) },
      );
      await reconciler.whenApplied(reconciler.setDesiredState(state));
      await waitFor(
        'leftovers of refused frontends to be removed',
        () => reconciler.status().switches[0]!.inSync,
      );
      expect(reconciler.status().notOffloaded).toHaveLength(4);
      expect(logged.filter((l) => l.message === 'frontend not offloaded')).toHaveLength(4);
    });

    it('reports a Service out of slots instead of wrapping, and serves the others', async () => {
      const target = await startTarget();
      const { reconciler } = reconcilerFor([target.address], { maxSlotsPerService: 3 });
      const big = withFrontend(state, syntheticFrontend(2, 4));
      await reconciler.whenApplied(reconciler.setDesiredState(big));
      const status = reconciler.status();
      expect(status.notOffloaded).toHaveLength(1);
      expect(status.notOffloaded[0]!.reason).toMatch(
        /no free backend slot: 4 backends .* limit of 3/,
      );
      await expectServes(target, big, { absent: new Set([syntheticFrontend(2, 4).key]) });
    });

    it('recovers when the switch is killed in the middle of a batch', async () => {
      const target = await startTarget();
      const large = syntheticState({ services: 300, backendsPerService: 4, nodes: 2 });
      const { reconciler } = reconcilerFor([target.address], {
        batchSize: 50,
        writeConcurrency: 1,
        // Small bucket tables: 300 Services x 256 buckets would be 76,800 writes.
        buckets: { minBuckets: 16, bucketsPerBackend: 4 },
      });
      const generation = reconciler.setDesiredState(large);
      await waitFor('the first batches to be acknowledged', () => writes(reconciler) >= 200);
      await stopTarget(target);
      expect(reconciler.status().switches[0]!.appliedGeneration).toBe(0);
      const restarted = await startTarget(target.address);
      await reconciler.whenApplied(generation);
      await waitFor('the switch to be in sync', () => reconciler.status().switches[0]!.inSync);
      await expectServes(restarted, large);
      expect(
        reconciler.metrics.errors.get({ switch: 's1', kind: 'session' }),
      ).toBeGreaterThanOrEqual(1);
    });

    it('coalesces a burst of desired states into few passes', async () => {
      const target = await startTarget();
      const { reconciler } = reconcilerFor([target.address]);
      let current = syntheticState({ services: 4, backendsPerService: 2 });
      let generation = 0;
      for (let i = 4; i < 54; i++) {
        current = withFrontend(current, syntheticFrontend(i, 2));
        generation = reconciler.setDesiredState(current);
      }
      await reconciler.whenApplied(generation);
      await expectServes(target, current);
      expect(reconciler.metrics.passes.sum({ switch: 's1' })).toBeLessThan(10);
    });

    it('programs the agent ports and rotates the tag key: the old key stays as the previous one', async () => {
      const target = await startTarget();
      let drawn = 0n;
      const reconciler = new Reconciler(
        {
          switches: [{ name: 's1', address: target.address, deviceId: 1n, agentPorts: [2, 5] }],
          electionId: 10n,
          pipeline: pipeline!,
          backoff: { initialMs: 20, maxMs: 300 },
        },
        { drawTagKey: () => (drawn += 0x1111_0000_0000_0001n) },
      );
      reconcilers.push(reconciler);
      reconciler.start();
      const client = new P4RuntimeClient({ address: target.address, deviceId: 1n, electionId: 0n });
      try {
        await reconciler.whenApplied(reconciler.setDesiredState(state));
        const codec = new EntityCodec(new P4InfoIndex((await client.getP4Info())!));
        const read = async () => {
          const [keys, ...ports] = await client.read([
            codec.readDefaultEntry(TABLES.tagKey),
            codec.readTable(TABLES.agentPorts),
          ]);
          const decoded = [keys!, ...ports].map((entity) => codec.decode(entity));
          const entries = decoded.flatMap((n) => (n?.kind === 'tableEntry' ? [n.entry] : []));
          return {
            keys: entries.find((e) => e.table === TABLES.tagKey)?.action,
            ports: entries
              .filter((e) => e.table === TABLES.agentPorts)
              .map((e) => e.match.port)
              .map((port) =>
                Number(typeof port === 'object' && 'value' in port ? port.value : port),
              )
              .sort((a, b) => a - b),
          };
        };
        const first = await read();
        expect(first.ports).toEqual([2, 5]);
        expect(first.keys).toMatchObject({
          kind: 'action',
          action: { params: { epoch: 0n, current_key: drawn, previous_key: drawn } },
        });
        const before = drawn;
        expect(reconciler.rotateTagKey()).toBe(1);
        await waitFor('the rotated keys on the switch', async () => {
          const keys = (await read()).keys;
          return keys?.kind === 'action' && keys.action.params.epoch === 1n;
        });
        expect((await read()).keys).toMatchObject({
          action: { params: { epoch: 1n, current_key: drawn, previous_key: before } },
        });
        expect(drawn).not.toBe(before);
        // A configured key is not rotated by the controller: changing the configuration does it.
        const configured = new Reconciler({
          switches: [{ address: target.address, deviceId: 1n }],
          tagKey: 0x42n,
        });
        expect(configured.rotateTagKey()).toBeUndefined();
        configured.close();
      } finally {
        client.close();
      }
    });

    it("keeps a terminating backend's slot but takes it out of the selector", async () => {
      const target = await startTarget();
      const { reconciler } = reconcilerFor([target.address], { backendChoice: 'selector' });
      await reconciler.whenApplied(reconciler.setDesiredState(state));
      const frontend = syntheticFrontend(3, 3);
      const terminating = withFrontend(state, {
        ...frontend,
        backends: frontend.backends.map((b, i) =>
          i === 0 ? { ...b, state: 'terminating' as const } : b,
        ),
      });
      await reconciler.whenApplied(reconciler.setDesiredState(terminating));
      await expectServes(target, terminating);
      expect(writes(reconciler, { table: TABLES.backends, op: 'DELETE' })).toBe(0);
    });

    it("keeps a removed backend's slot entry for the drain time, then deletes it", async () => {
      const target = await startTarget();
      // The reconciler's clock is the test's: time passes only when the test says so.
      let clock = 1_000_000;
      const drainMs = 60_000;
      const { reconciler } = reconcilerFor([target.address], { drainMs }, { now: () => clock });
      await reconciler.whenApplied(reconciler.setDesiredState(state));
      const frontend = syntheticFrontend(3, 3);
      const removed = withFrontend(state, { ...frontend, backends: frontend.backends.slice(1) });
      await reconciler.whenApplied(reconciler.setDesiredState(removed));
      await expectServes(target, removed, { allowDraining: true });
      const slotEntries = async () =>
        (await readSwitch(target.address, 1n)).entries.filter((e) => e.table === TABLES.backends)
          .length;
      expect(await slotEntries()).toBe(24 * 3);
      // A pass just before the drain time is over keeps the entry...
      clock += drainMs - 1;
      await reconciler.whenApplied(reconciler.setDesiredState(removed));
      expect(await slotEntries()).toBe(24 * 3);
      // ...the first pass after it deletes the entry.
      clock += 1;
      await reconciler.whenApplied(reconciler.setDesiredState(removed));
      expect(await slotEntries()).toBe(24 * 3 - 1);
      await expectServes(target, removed);
    });

    const twoSwitches =
      'keeps serving one switch while another is dead, and converges that one when it comes up';
    (kind.noSecondSwitch ? it.skip : it)(
      kind.noSecondSwitch ? `${twoSwitches} [skipped: ${kind.noSecondSwitch}]` : twoSwitches,
      async () => {
        const alive = await startTarget();
        const deadAddress = await freeAddress();
        const { reconciler } = reconcilerFor([alive.address, deadAddress]);
        const generation = reconciler.setDesiredState(state);
        await reconciler.whenApplied(generation, 's1');
        await expectServes(alive, state);
        expect(reconciler.status().switches[1]!.session).not.toBe('primary');
        expect(reconciler.status().switches[1]!.appliedGeneration).toBe(0);

        const revived = await startTarget(deadAddress);
        await reconciler.whenApplied(generation, 's2');
        expect(await expectServes(revived, state)).toBeDefined();
      },
    );

    const splitRoutes =
      'programs each switch with the routes of its own nodes and the unassigned ones';
    (kind.noSecondSwitch ? it.skip : it)(
      kind.noSecondSwitch ? `${splitRoutes} [skipped: ${kind.noSecondSwitch}]` : splitRoutes,
      async () => {
        const [first, second] = [await startTarget(), await startTarget()];
        const { reconciler } = reconcilerFor([first.address, second.address]);
        const [onS1, onS2, unassigned] = state.routes;
        const split: DesiredState = {
          ...state,
          routes: [{ ...onS1!, switchName: 's1' }, { ...onS2!, switchName: 's2' }, unassigned!],
        };
        await reconciler.whenApplied(reconciler.setDesiredState(split));
        const routesOf = (name: string) =>
          split.routes.filter((r) => r.switchName === undefined || r.switchName === name);
        await expectServes(first, { ...split, routes: routesOf('s1') });
        await expectServes(second, { ...split, routes: routesOf('s2') });
        const prefixesOn = async (target: RunningTarget) =>
          (await readSwitch(target.address, 1n)).entries
            .filter((e) => e.table === TABLES.l3Forward)
            .map((e) =>
              JSON.stringify(e.match, (_, v: unknown) => (typeof v === 'bigint' ? `${v}` : v)),
            )
            .sort();
        expect(await prefixesOn(first)).not.toEqual(await prefixesOn(second));
      },
    );
  });
}

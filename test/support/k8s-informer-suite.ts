import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DesiredStatePipeline } from '../../src/controller/desired-state-pipeline.ts';
import { MetricsRegistry } from '../../src/metrics/registry.ts';
import { createLogger, type Logger } from '../../src/base/logger.ts';
import { ApiClient } from '../../src/k8s/api-client.ts';
import { ClusterWatcher } from '../../src/k8s/cluster-watcher.ts';
import { EventRecorder } from '../../src/k8s/event-recorder.ts';
import { InvalidObjectReporter } from '../../src/k8s/invalid-object-reporter.ts';
import { endpointSliceSchema } from '../../src/k8s/objects/endpoint-slice.ts';
import { nodeSchema } from '../../src/k8s/objects/node.ts';
import { serviceSchema } from '../../src/k8s/objects/service.ts';
import {
  endpointSliceObject,
  nodeObject,
  serviceObject,
  type ApiObject,
} from '../../src/k8s/testing/object-builders.ts';
import { computeDesiredState } from '../../src/model/compute-desired-state.ts';
import type { DesiredState } from '../../src/model/desired-state.ts';
import type { ModelConfig } from '../../src/model/model-config.ts';
import type { z } from 'zod';
import { eventually } from './eventually.ts';
import { applyObject, deleteObject, listObjects, type ApiTarget } from './k8s-api-target.ts';

/**
 * The informer tests, for any API target: the controller's watch side (ClusterWatcher ->
 * DesiredStatePipeline) must end with the desired state the API's objects give, through
 * cuts, 410s, stalls and bad objects. Tests that need fault injection on the server side
 * run only against our test API server.
 */

const NS = 'default';
const model: ModelConfig = {
  nodes: new Map([
    [
      'talaria-n1',
      { switchName: 'tor1', port: 1, hostMac: '02:00:00:00:01:01', switchMac: '02:00:00:00:00:01' },
    ],
  ]),
};

// Valid for a real API server too: selectorless Services (nothing else writes their
// slices) with cluster IPs inside k3s's default service range.
export function webService(ip = '10.43.100.10', name = 'talaria-web'): ApiObject {
  return serviceObject({
    namespace: NS,
    name,
    clusterIPs: [ip],
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    selector: null,
  });
}

export function webSlice(
  ips: string[],
  name = 'talaria-web-1',
  service = 'talaria-web',
): ApiObject {
  return endpointSliceObject({
    namespace: NS,
    name,
    service,
    ports: [{ name: 'http', port: 8080 }],
    endpoints: ips.map((ip) => ({ ip, node: 'talaria-n1' })),
  });
}

export const fabricNode = (): ApiObject =>
  nodeObject({ name: 'talaria-n1', internalIPs: ['192.168.77.11'], podCIDRs: ['10.42.77.0/24'] });

function valid<S extends z.ZodType>(schema: S, objects: ApiObject[]): z.output<S>[] {
  return objects.flatMap((o) => {
    const parsed = schema.safeParse(o);
    return parsed.success ? [parsed.data] : [];
  });
}

export function normalized(state: DesiredState | undefined) {
  if (state === undefined) return undefined;
  return {
    frontends: [...state.frontends.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    routes: state.routes,
    notOffloaded: state.notOffloaded,
  };
}

/** What the desired state must be for the API's objects now. */
export async function apiDesiredState(client: ApiClient): Promise<DesiredState> {
  const [services, slices, nodes] = await Promise.all(
    ['Service', 'EndpointSlice', 'Node'].map((kind) => listObjects(client, kind)),
  );
  return computeDesiredState(
    {
      services: valid(serviceSchema, services!),
      endpointSlices: valid(endpointSliceSchema, slices!),
      nodes: valid(nodeSchema, nodes!),
    },
    model,
  );
}

export interface WatchSide {
  readonly watcher: ClusterWatcher;
  readonly pipeline: DesiredStatePipeline;
  readonly metrics: MetricsRegistry;
  readonly logLines: string[];
  stop(): Promise<void>;
}

/** The watch side of the controller, on the proxied connection. */
export async function startWatchSide(
  target: ApiTarget,
  options: { pageSize?: number; inactivityTimeoutMs?: number } = {},
): Promise<WatchSide> {
  const logLines: string[] = [];
  const logger: Logger = createLogger('test', { output: (line) => logLines.push(line), trace: '' });
  const metrics = new MetricsRegistry();
  const client = new ApiClient(target.proxiedKubeConfig());
  const events = new EventRecorder(client, {
    controller: 'talaria.dev/controller',
    instance: 'test',
  });
  const watcher = new ClusterWatcher(client, {
    pageSize: options.pageSize,
    inactivityTimeoutMs: options.inactivityTimeoutMs ?? 30_000,
    backoff: { initialMs: 50, maxMs: 500 },
    reporter: new InvalidObjectReporter(logger, events, metrics),
    logger,
  });
  const pipeline = new DesiredStatePipeline(watcher.cache, {
    model,
    drainMs: Infinity,
    coalesceMs: 10,
    metrics,
  });
  watcher.start();
  await watcher.whenSynced();
  pipeline.start();
  return {
    watcher,
    pipeline,
    metrics,
    logLines,
    async stop() {
      pipeline.stop();
      await watcher.stop();
    },
  };
}

export async function expectConverged(target: ApiTarget, controller: WatchSide): Promise<void> {
  await eventually(async () => {
    expect(normalized(controller.pipeline.current())).toEqual(
      normalized(await apiDesiredState(target.client)),
    );
  });
}

/** Waits until the informers' watches are open on the test API server. */
async function watchesOpen(target: ApiTarget, count: number): Promise<void> {
  await eventually(() => expect(target.testServer!.openWatches).toBe(count));
}

const listsOf = (c: WatchSide, name: string) =>
  c.watcher.informers.find((i) => i.name === name)!.stats.lists;

export function defineInformerSuite(
  makeTarget: () => Promise<ApiTarget>,
  capabilities: { readonly faults: boolean },
): void {
  const withFaults = it.skipIf(!capabilities.faults);
  let target: ApiTarget;
  let controller: WatchSide | undefined;

  beforeEach(async () => {
    target = await makeTarget();
    await applyObject(target.client, fabricNode());
    await applyObject(target.client, webService());
    await applyObject(target.client, webSlice(['10.42.77.5', '10.42.77.6']));
  });

  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    for (const [kind, name] of [
      ['EndpointSlice', 'talaria-web-1'],
      ['EndpointSlice', 'talaria-api-1'],
      ['Service', 'talaria-web'],
      ['Service', 'talaria-api'],
      ['Node', 'talaria-n1'],
    ] as const) {
      await deleteObject(target.client, kind, kind === 'Node' ? undefined : NS, name).catch(
        () => {},
      );
    }
    await target.stop();
  });

  describe('informers', () => {
    it("list, then follow adds, updates and deletes to the API's desired state", async () => {
      controller = await startWatchSide(target);
      await expectConverged(target, controller);
      expect(
        controller.pipeline
          .current()!
          .frontends.get('10.43.100.10|TCP|80')!
          .backends.map((b) => b.ip),
      ).toEqual(['10.42.77.5', '10.42.77.6']);
      await applyObject(target.client, webSlice(['10.42.77.5', '10.42.77.7', '10.42.77.8']));
      await applyObject(target.client, webService('10.43.100.11', 'talaria-api'));
      await applyObject(target.client, webSlice(['10.42.77.9'], 'talaria-api-1', 'talaria-api'));
      await expectConverged(target, controller);
      await deleteObject(target.client, 'Service', NS, 'talaria-web');
      await expectConverged(target, controller);
      expect(controller.pipeline.current()!.frontends.has('10.43.100.10|TCP|80')).toBe(false);
    });

    it('resume from their resourceVersion after the connection is cut mid-stream', async () => {
      controller = await startWatchSide(target);
      await expectConverged(target, controller);
      const watchesBefore = controller.watcher.informers.map((i) => i.stats.watches);
      expect(target.proxy.cutAll()).toBeGreaterThan(0);
      // Changes while the watches are down: the resumed watches must replay them.
      await applyObject(target.client, webSlice(['10.42.77.6', '10.42.77.9']));
      await applyObject(target.client, webService('10.43.100.11', 'talaria-api'));
      await expectConverged(target, controller);
      controller.watcher.informers.forEach((informer, i) => {
        expect(informer.stats.watches).toBeGreaterThan(watchesBefore[i]!);
        expect(informer.stats.lists).toBe(1);
      });
    });

    withFaults('resume after a watch is cut in the middle of an event line', async () => {
      controller = await startWatchSide(target);
      await expectConverged(target, controller);
      await watchesOpen(target, controller.watcher.informers.length);
      expect(target.testServer!.cutWatches({ midEvent: true })).toBe(
        controller.watcher.informers.length,
      );
      await applyObject(target.client, webSlice(['10.42.77.9']));
      await expectConverged(target, controller);
      expect(listsOf(controller, 'endpointslices')).toBe(1);
      const restarts = controller.metrics.render();
      expect(restarts).toMatch(/talaria_model_flushes_total \d+/);
    });

    withFaults('relist on 410 Gone sent as an ERROR event, and end equal to the API', async () => {
      controller = await startWatchSide(target);
      await expectConverged(target, controller);
      const server = target.testServer!;
      await watchesOpen(target, controller.watcher.informers.length);
      server.stallWatches();
      // Missed while stalled, then compacted away: only a relist can find these.
      await deleteObject(target.client, 'EndpointSlice', NS, 'talaria-web-1');
      await applyObject(target.client, webService('10.43.100.11', 'talaria-api'));
      await applyObject(target.client, webSlice(['10.42.77.9'], 'talaria-api-1', 'talaria-api'));
      server.compact();
      await watchesOpen(target, controller.watcher.informers.length);
      expect(server.expireWatches()).toBe(controller.watcher.informers.length);
      await expectConverged(target, controller);
      expect(listsOf(controller, 'services')).toBe(2);
      expect(listsOf(controller, 'endpointslices')).toBe(2);
      expect(controller.pipeline.current()!.frontends.get('10.43.100.10|TCP|80')!.backends).toEqual(
        [],
      );
    });

    withFaults('relist when the resumed watch is refused with HTTP 410', async () => {
      const server = target.testServer!;
      controller = await startWatchSide(target);
      await expectConverged(target, controller);
      await watchesOpen(target, controller.watcher.informers.length);
      server.stallWatches();
      await applyObject(target.client, webSlice(['10.42.77.20']));
      server.compact();
      target.proxy.cutAll();
      await expectConverged(target, controller);
      expect(listsOf(controller, 'endpointslices')).toBe(2);
      const refused = server.requests.filter((r) => r.watch && r.resource === 'endpointslices');
      expect(refused.length).toBeGreaterThanOrEqual(3);
    });

    withFaults('notice a stalled watch by its silence and resume it', async () => {
      controller = await startWatchSide(target, { inactivityTimeoutMs: 400 });
      await expectConverged(target, controller);
      await watchesOpen(target, controller.watcher.informers.length);
      target.testServer!.stallWatches();
      await applyObject(target.client, webSlice(['10.42.77.30']));
      await expectConverged(target, controller);
      expect(listsOf(controller, 'endpointslices')).toBe(1);
    });

    withFaults('follow bookmarks, so a resume after compaction needs no relist', async () => {
      const server = target.testServer!;
      controller = await startWatchSide(target);
      await expectConverged(target, controller);
      const services = controller.watcher.informers[0];
      // Other objects move the revision on; only bookmarks tell the services watch.
      await applyObject(target.client, webSlice(['10.42.77.40']));
      server.sendBookmarks();
      await eventually(() =>
        expect(services.resourceVersion).toBe(String(server.store.resourceVersion)),
      );
      expect(services.stats.bookmarks).toBeGreaterThan(0);
      server.compact();
      await watchesOpen(target, controller.watcher.informers.length);
      server.cutWatches();
      await applyObject(target.client, webService('10.43.100.11', 'talaria-api'));
      await expectConverged(target, controller);
      expect(services.stats.lists).toBe(1);
    });

    withFaults('skip bad objects, report them with a log line, an Event and a metric', async () => {
      const server = target.testServer!;
      controller = await startWatchSide(target);
      await expectConverged(target, controller);
      const badService = webService('10.43.100.12', 'talaria-bad');
      (badService.spec as { ports: { port: number }[] }).ports[0]!.port = 70_000;
      const hugeSlice = webSlice(
        Array.from({ length: 1001 }, (_, i) => `10.42.${80 + (i >> 8)}.${i & 255}`),
        'talaria-web-huge',
      );
      const badNode = nodeObject({
        name: 'talaria-n2',
        internalIPs: ['192.168.77.300'],
        podCIDRs: [],
      });
      // A good Service turned bad: its last good version must leave the cache too.
      const brokenWeb = webService();
      (brokenWeb.spec as { clusterIPs: string[] }).clusterIPs = ['10.43.100.999'];
      for (const object of [badService, hugeSlice, badNode, brokenWeb]) server.apply(object);
      await expectConverged(target, controller);
      expect(controller.watcher.cache.service('default/talaria-web')).toBeUndefined();
      expect(controller.watcher.cache.counts()).toMatchObject({
        services: 0,
        endpointSlices: 1,
        nodes: 1,
      });
      await eventually(() => {
        const events = server.list('Event');
        expect(
          events
            .map(
              (e) =>
                `${(e.regarding as { kind: string; name: string }).kind}/${(e.regarding as { name: string }).name} ${e.reason}`,
            )
            .sort(),
        ).toEqual([
          'Node/talaria-n2 InvalidObject',
          'Service/talaria-bad InvalidObject',
          'Service/talaria-web InvalidObject',
          'Service/talaria-web InvalidObject',
        ]);
      });
      const notes = server
        .list('Event')
        .map((e) => e.note as string)
        .sort();
      expect(
        notes.some((n) => n.includes('EndpointSlice default/talaria-web-huge: endpoints: Too big')),
      ).toBe(true);
      expect(
        notes.some((n) =>
          n.includes('spec.clusterIPs.0: not an IP address, "None" or "": \'10.43.100.999\''),
        ),
      ).toBe(true);
      expect(controller.metrics.render()).toContain(
        'talaria_k8s_invalid_objects_total{kind="Service"} 2',
      );
      expect(
        controller.logLines.filter((l) => l.includes('skipped an invalid object')),
      ).toHaveLength(4);
      // Fixed again: back in.
      server.apply(webService());
      await expectConverged(target, controller);
      expect(controller.watcher.cache.service('default/talaria-web')).toBeDefined();
    });

    withFaults('act only after every first list, retrying failed lists with backoff', async () => {
      target.testServer!.failNextRequests(3, 500, { method: 'GET', resource: 'nodes' });
      controller = await startWatchSide(target);
      const nodes = controller.watcher.informers[2];
      expect(nodes.stats.restarts).toBe(3);
      expect(controller.watcher.synced).toBe(true);
      await expectConverged(target, controller);
    });

    withFaults('read large lists page by page', async () => {
      for (let i = 0; i < 5; i++)
        await applyObject(target.client, webService(`10.43.101.${i}`, `talaria-page-${i}`));
      controller = await startWatchSide(target, { pageSize: 2 });
      await expectConverged(target, controller);
      expect(controller.watcher.cache.counts().services).toBe(6);
      const pages = target.testServer!.requests.filter(
        (r) => r.resource === 'services' && r.query.limit,
      );
      expect(pages.length).toBe(3);
      expect(pages[1]!.query.continue).toBeTruthy();
    });
  });
}

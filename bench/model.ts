/**
 * The Kubernetes side at scale: how many watch events per second the watcher plus the
 * model absorb, and how much heap the caches and the desired state take, at 10,000
 * Services with 100,000 endpoints (10 per Service, one EndpointSlice each).
 *
 *   npm run bench:model [-- --services 10000 --endpoints-per-service 10 --events 20000]
 *
 * 1. model alone: the validated objects put into the ClusterCache; heap after GC; the
 *    first full computation; then endpoint changes applied to the cache and flushed in
 *    bursts of 100 (as the pipeline's coalescing does), and the time of one flush after a
 *    single change (p50/p99);
 * 2. watcher + model: the same cluster in the test API server running in a child process;
 *    the controller's informers list it over HTTP (time to sync), then the child writes
 *    endpoint changes as fast as it can and we measure until the pipeline has absorbed the
 *    last one: events/s through watch, JSON parsing, zod validation, cache and model.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DesiredStatePipeline } from '../src/controller/desired-state-pipeline.ts';
import { ApiClient } from '../src/k8s/api-client.ts';
import { ClusterCache } from '../src/k8s/cluster-cache.ts';
import { ClusterWatcher } from '../src/k8s/cluster-watcher.ts';
import { endpointSliceSchema } from '../src/k8s/objects/endpoint-slice.ts';
import { nodeSchema } from '../src/k8s/objects/node.ts';
import { serviceSchema } from '../src/k8s/objects/service.ts';
import { TestApiServer } from '../src/k8s/testing/api-server.ts';
import {
  endpointSliceObject,
  nodeObject,
  serviceObject,
  type ApiObject,
} from '../src/k8s/testing/object-builders.ts';
import type { ModelConfig } from '../src/model/model-config.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== 'serve'),
  options: {
    services: { type: 'string', default: '10000' },
    'endpoints-per-service': { type: 'string', default: '10' },
    events: { type: 'string', default: '20000' },
  },
});
const SERVICES = Number(values.services);
const PER_SERVICE = Number(values['endpoints-per-service']);
const EVENTS = Number(values.events);
const NODES = 50;

const ipOf = (n: number, base: number) => `${base}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

function nodes(): ApiObject[] {
  return Array.from({ length: NODES }, (_, i) =>
    nodeObject({
      name: `node-${i}`,
      internalIPs: [`192.168.${i >> 8}.${i & 255}`],
      podCIDRs: [`10.${100 + (i >> 8)}.${i & 255}.0/24`],
    }),
  );
}

function service(i: number): ApiObject {
  return serviceObject({
    namespace: `ns-${i % 100}`,
    name: `svc-${i}`,
    clusterIPs: [ipOf(i + 1, 10)],
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
  });
}

/** Slice of Service i; `version` shifts one endpoint so that each change is a real one. */
function slice(i: number, version = 0): ApiObject {
  return endpointSliceObject({
    namespace: `ns-${i % 100}`,
    name: `svc-${i}-abcde`,
    service: `svc-${i}`,
    ports: [{ name: 'http', port: 8080 }],
    endpoints: Array.from({ length: PER_SERVICE }, (_, j) => ({
      ip: ipOf(i * PER_SERVICE + j + (j === 0 ? version * 7919 : 0), 11),
      node: `node-${(i + j) % NODES}`,
      ready: j !== 1 || version % 2 === 0,
    })),
  });
}

const model: ModelConfig = {
  nodes: new Map(
    Array.from({ length: NODES }, (_, i) => [
      `node-${i}`,
      {
        switchName: 'tor1',
        port: i + 1,
        hostMac: '02:00:00:00:01:01',
        switchMac: '02:00:00:00:00:01',
      },
    ]),
  ),
};

const heapMiB = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

// ---- child: the test API server with the cluster -------------------------------------
async function serve(): Promise<void> {
  const server = await TestApiServer.start({
    bookmarkIntervalMs: 60_000,
    historyLimit: EVENTS * 2,
  });
  for (const object of nodes()) server.apply(object);
  for (let i = 0; i < SERVICES; i++) {
    server.apply(service(i));
    server.apply(slice(i));
  }
  process.send!({ url: server.url });
  process.on('message', async (message: { churn: number }) => {
    for (let k = 0; k < message.churn; k++) {
      server.apply(slice(k % SERVICES, 1 + Math.floor(k / SERVICES) + k));
      if (k % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
    }
    process.send!({ resourceVersion: String(server.store.resourceVersion) });
  });
}

// ---- 1: model alone -------------------------------------------------------------------
function modelAlone(): void {
  const before = heapMiB();
  let started = performance.now();
  const cache = new ClusterCache();
  for (const n of nodes()) cache.upsertNode(nodeSchema.parse(n));
  for (let i = 0; i < SERVICES; i++) {
    cache.upsertService(serviceSchema.parse(service(i)));
    cache.upsertEndpointSlice(endpointSliceSchema.parse(slice(i)));
  }
  const parseMs = performance.now() - started;
  const cacheHeap = heapMiB() - before;
  const pipeline = new DesiredStatePipeline(cache, {
    model,
    drainMs: Infinity,
    coalesceMs: 1_000_000,
  });
  started = performance.now();
  const state = pipeline.start();
  const firstMs = performance.now() - started;
  const totalHeap = heapMiB() - before;
  const endpoints = [...state.frontends.values()].reduce((sum, f) => sum + f.backends.length, 0);
  console.log(
    `model alone: ${SERVICES} Services, ${endpoints} backends in the desired state (${state.frontends.size} frontends, ${state.routes.length} routes)`,
  );
  console.log(
    `  validate + cache ${SERVICES * 2 + NODES} objects: ${parseMs.toFixed(0)} ms; first desired state: ${firstMs.toFixed(0)} ms`,
  );
  console.log(
    `  heap: caches ${cacheHeap.toFixed(1)} MiB, caches + model + desired state ${totalHeap.toFixed(1)} MiB`,
  );

  const changes = Array.from({ length: EVENTS }, (_, k) =>
    endpointSliceSchema.parse(slice(k % SERVICES, 1 + k)),
  );
  started = performance.now();
  changes.forEach((change, k) => {
    cache.upsertEndpointSlice(change);
    if (k % 100 === 99) pipeline.flush();
  });
  pipeline.flush();
  const churnMs = performance.now() - started;
  console.log(
    `  ${EVENTS} endpoint changes, flushed every 100: ${((EVENTS / churnMs) * 1000).toFixed(0)} events/s`,
  );

  const single: number[] = [];
  for (let k = 0; k < 200; k++) {
    cache.upsertEndpointSlice(endpointSliceSchema.parse(slice(k, 100_000 + k)));
    const t = performance.now();
    pipeline.flush();
    single.push(performance.now() - t);
  }
  single.sort((a, b) => a - b);
  console.log(
    `  one change -> new desired state: p50 ${percentile(single, 0.5).toFixed(2)} ms, p99 ${percentile(single, 0.99).toFixed(2)} ms`,
  );
  pipeline.stop();
}

// ---- 2: watcher + model over HTTP -------------------------------------------------------
async function watcherAndModel(): Promise<void> {
  const child: ChildProcess = fork(
    fileURLToPath(import.meta.url),
    ['serve', ...process.argv.slice(2)],
    {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const next = () =>
    new Promise<Record<string, string>>((resolve) => child.once('message', resolve as never));
  const { url } = await next();
  const server = await TestApiServer.start(); // only for its KubeConfig shape
  const kubeConfig = server.kubeConfig();
  await server.stop();
  kubeConfig.clusters[0] = { ...kubeConfig.clusters[0]!, server: url! };
  const before = heapMiB();
  const watcher = new ClusterWatcher(new ApiClient(kubeConfig));
  const pipeline = new DesiredStatePipeline(watcher.cache, {
    model,
    drainMs: Infinity,
    coalesceMs: 20,
  });
  let started = performance.now();
  watcher.start();
  await watcher.whenSynced();
  pipeline.start();
  const syncMs = performance.now() - started;
  console.log(
    `watcher + model: initial list of ${SERVICES} Services / ${SERVICES} EndpointSlices / ${NODES} Nodes over HTTP and first desired state: ${syncMs.toFixed(0)} ms; heap ${(heapMiB() - before).toFixed(1)} MiB`,
  );

  const slices = watcher.informers[1];
  const eventsBefore = slices.stats.events;
  started = performance.now();
  child.send({ churn: EVENTS });
  const { resourceVersion } = await next();
  while (slices.resourceVersion !== resourceVersion)
    await new Promise((resolve) => setTimeout(resolve, 5));
  pipeline.flush();
  const churnMs = performance.now() - started;
  const received = slices.stats.events - eventsBefore;
  console.log(
    `  ${received} watch events (EndpointSlice MODIFIED) absorbed in ${churnMs.toFixed(0)} ms: ${((received / churnMs) * 1000).toFixed(0)} events/s (server in another process)`,
  );
  pipeline.stop();
  await watcher.stop();
  child.kill();
}

if (process.argv.includes('serve')) {
  await serve();
} else {
  if (globalThis.gc === undefined)
    console.log('(run with --expose-gc for exact heap figures: npm run bench:model)');
  console.log(
    `node ${process.version}, ${SERVICES} Services x ${PER_SERVICE} endpoints, ${EVENTS} change events`,
  );
  modelAlone();
  await watcherAndModel();
}

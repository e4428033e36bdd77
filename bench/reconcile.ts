/**
 * The reconciler at scale against the embedded switch target, run as its own process
 * (`talaria switch`) over real gRPC on 127.0.0.1, as a controller talks to a switch:
 *
 *   1. raw write throughput of the P4Runtime client (entries/s, batched INSERTs, DELETEs);
 *   2. convergence of N Services with M backends each from an empty switch;
 *   3. latency from one endpoint change handed to the reconciler to its writes being
 *      acknowledged (p50, p99), with all N Services on the switch;
 *   4. a controller restart at that scale: read back, adopt, verify, write nothing.
 *
 *   npm run bench:reconcile [-- --services 10000 --backends 10 --changes 300 --sizes fit]
 *
 * --sizes fit (default) raises the program's table sizes (FRONTENDS_SIZE, BACKENDS_SIZE of
 * p4/include/size.p4) in the pushed pipeline to what the scale needs, as a -D build profile
 * would; --sizes default keeps size.p4's and lowers the Service count to what fits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { insert, P4RuntimeClient, remove } from '../src/p4rt/client.ts';
import { EntityCodec } from '../src/p4rt/entity-codec.ts';
import type { Entity } from '../src/p4rt/generated/p4/v1/Entity.ts';
import { P4InfoIndex } from '../src/p4rt/p4info-index.ts';
import type { Pipeline } from '../src/p4rt/pipeline.ts';
import { pipelineOf } from '../src/p4rt/pipeline.ts';
import { ACTIONS, TABLES } from '../src/reconcile/p4-names.ts';
import { Reconciler } from '../src/reconcile/reconciler.ts';
import type { ReconcilerOptions } from '../src/reconcile/reconciler-options.ts';
import { talariaPipeline } from '../test/support/conformance/pipelines.ts';
import {
  resizedPipeline,
  syntheticState,
  withFrontend,
} from '../test/support/reconcile-fixtures.ts';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    backends: { type: 'string', default: '10' },
    changes: { type: 'string', default: '300' },
    sizes: { type: 'string', default: 'fit' },
    'raw-entries': { type: 'string', default: '50000' },
  },
});
const positive = (name: keyof typeof values): number => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer`);
  return value;
};
let services = positive('services');
const backendsPerService = positive('backends');
const changes = positive('changes');
const rawEntries = positive('raw-entries');
if (values.sizes !== 'fit' && values.sizes !== 'default')
  throw new Error('--sizes is fit or default');

const files = talariaPipeline();
if (files === undefined) {
  console.error('p4/build/talaria.json is missing: build it with npm run p4:build');
  process.exit(1);
}
const index = new P4InfoIndex(files.p4info);
const sizeOf = (table: string): number => index.table(table).size;
let pipeline: Pipeline;
if (values.sizes === 'fit') {
  const frontends = Math.max(services, sizeOf(TABLES.frontends));
  const sizes = {
    [TABLES.frontends]: frontends,
    [TABLES.replyFrontends]: frontends,
    [TABLES.backendSelect]: frontends,
    [TABLES.affinitySelect]: frontends,
    [TABLES.backends]: Math.max(services * backendsPerService * 2, sizeOf(TABLES.backends)),
  };
  pipeline = resizedPipeline(files, sizes);
  console.log(
    `table sizes: frontends ${sizeOf(TABLES.frontends)} -> ${frontends}, backends ${sizeOf(TABLES.backends)} -> ${sizes[TABLES.backends]} ` +
      '(size.p4 defaults raised in the pushed pipeline, as a -D profile would)',
  );
} else {
  const fits = Math.min(
    sizeOf(TABLES.frontends),
    Math.floor(sizeOf(TABLES.backends) / backendsPerService),
  );
  if (services > fits) {
    console.log(
      `size.p4 fits ${fits} Services with ${backendsPerService} backends: running ${fits}, not ${services}`,
    );
    services = fits;
  }
  pipeline = pipelineOf(files.p4info, files.json);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startSwitchProcess(address: string): Promise<ChildProcess> {
  const bin = fileURLToPath(new URL('../bin/talaria.js', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--max-old-space-size=4096', bin, 'switch', '--grpc', address],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const probe = new P4RuntimeClient({ address, deviceId: 1n, electionId: 0n, rpcTimeoutMs: 1_000 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await probe.capabilities();
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error('talaria switch did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  probe.close();
  return child;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const rate = (count: number, ms: number): string =>
  `${Math.round((count * 1000) / ms).toLocaleString('en')}/s`;
const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const address = `127.0.0.1:${await freePort()}`;
const child = await startSwitchProcess(address);
try {
  // 1. Raw client throughput: backends entries of service ids the reconciler never uses.
  const client = new P4RuntimeClient({ address, deviceId: 1n, electionId: 1n });
  client.start();
  await client.waitForPrimary();
  await client.ensurePipeline(pipeline);
  const codec = new EntityCodec(new P4InfoIndex(pipeline.p4info));
  const entries: Entity[] = [];
  for (let n = 0; n < rawEntries; n++) {
    entries.push(
      codec.tableEntry({
        table: TABLES.backends,
        match: { service_id: 0xf000_0000 + Math.floor(n / 1000), slot: n % 1000 },
        action: {
          kind: 'action',
          action: { name: ACTIONS.setBackend, params: { addr: 0x0a000000 + n, port: 80 } },
        },
      }),
    );
  }
  for (const [batchSize, concurrency] of [
    [1000, 1],
    [1000, 4],
  ] as const) {
    let started = performance.now();
    const inserted = await client.write(entries.map(insert), { batchSize, concurrency });
    const insertMs = performance.now() - started;
    started = performance.now();
    const deleted = await client.write(entries.map(remove), { batchSize, concurrency });
    const deleteMs = performance.now() - started;
    if (inserted.failures.length + deleted.failures.length > 0)
      throw new Error('raw writes failed');
    console.log(
      `raw writes, batch ${batchSize} x ${concurrency} in flight: INSERT ${rate(rawEntries, insertMs)}, DELETE ${rate(rawEntries, deleteMs)} (${rawEntries.toLocaleString('en')} entries)`,
    );
  }
  client.close();

  // 2. Convergence from empty.
  const state = syntheticState({ services, backendsPerService, affinityEvery: 10, nodes: 16 });
  const options: ReconcilerOptions = {
    switches: [{ name: 'bench', address, deviceId: 1n }],
    electionId: 2n,
    pipeline,
    tagKey: 0x1234n,
  };
  const reconciler = new Reconciler(options);
  reconciler.start();
  let started = performance.now();
  await reconciler.whenApplied(reconciler.setDesiredState(state));
  const convergeMs = performance.now() - started;
  const written = reconciler.metrics.writes.sum();
  console.log(
    `converge from empty: ${services.toLocaleString('en')} Services, ${(services * backendsPerService).toLocaleString('en')} backends: ` +
      `${seconds(convergeMs)}, ${written.toLocaleString('en')} updates (${rate(written, convergeMs)})`,
  );
  const notOffloaded = reconciler.status().notOffloaded.length;
  if (notOffloaded > 0) console.log(`  ${notOffloaded} Services not offloaded (tables full)`);

  // 3. One endpoint change at a time: a backend replaced by a new one.
  const latencies: number[] = [];
  let current = state;
  const frontends = [...state.frontends.values()];
  for (let i = 0; i < changes; i++) {
    const target = frontends[Math.floor(Math.random() * frontends.length)]!;
    const before = current.frontends.get(target.key)!;
    const replaced = {
      ...before.backends[0]!,
      ip: `10.${200 + Math.floor(i / 65536)}.${(i >> 8) & 255}.${i & 255}`,
    };
    current = withFrontend(current, {
      ...before,
      backends: [replaced, ...before.backends.slice(1)],
    });
    started = performance.now();
    await reconciler.whenApplied(reconciler.setDesiredState(current));
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `one endpoint change -> writes acknowledged, ${changes} changes at that scale: ` +
      `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms ` +
      '(kube-proxy iptables-restore of 10,000 Services: ~500 ms per change)',
  );
  reconciler.close();

  // 4. Controller restart: read back, adopt ids, verify, write nothing.
  const restarted = new Reconciler({ ...options, electionId: 3n });
  restarted.start();
  started = performance.now();
  await restarted.whenApplied(restarted.setDesiredState(current));
  console.log(
    `controller restart at that scale: read back and verified in ${seconds(performance.now() - started)}, ` +
      `${restarted.metrics.writes.sum()} updates written`,
  );
  restarted.close();
  console.log(`controller heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
} finally {
  child.kill();
}

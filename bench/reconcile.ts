/**
 * The reconciler at scale against the embedded switch target, run as its own process
 * (`talaria switch`) over real gRPC on 127.0.0.1, as a controller talks to a switch:
 *
 *   1. convergence of N Services with M backends each from an empty switch, and the
 *      controller's memory (RSS and heap after a GC, peak RSS, growth per Service);
 *   2. latency from one endpoint change handed to the reconciler to its writes being
 *      acknowledged (p50, p99), with all N Services on the switch: one change at a time,
 *      then changes arriving at --rate per second whether or not the last one is done;
 *   3. a controller restart at that scale: read back, adopt, verify, write nothing;
 *   4. raw write throughput of the P4Runtime client (entries/s, batched INSERTs, DELETEs);
 *   5. where simple_switch_grpc is installed (and we are root): BMv2's raw write rate for
 *      the same updates and the reconciler's convergence on BMv2 against that bound.
 *
 *   npm run bench:reconcile [-- --services 10000 --backends 10 --changes 300 --rate 50 --sizes fit]
 *
 * --sizes fit (default) raises the program's table sizes (FRONTENDS_SIZE, BACKENDS_SIZE of
 * p4/include/size.p4) in the pushed pipeline to what the scale needs, as a -D build profile
 * would; --sizes default keeps size.p4's: the Services that do not fit are refused by the
 * switch and reported not offloaded (the benchmark prints how many and why).
 * BENCH_SWITCH_NODE_ARGS adds node options to the switch process (e.g. --cpu-prof).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { insert, P4RuntimeClient, remove } from '../src/p4rt/client.ts';
import { createLogger, type Logger } from '../src/base/logger.ts';
import { EntityCodec } from '../src/p4rt/entity-codec.ts';
import type { Entity } from '../src/p4rt/generated/p4/v1/Entity.ts';
import { P4InfoIndex } from '../src/p4rt/p4info-index.ts';
import type { Pipeline } from '../src/p4rt/pipeline.ts';
import { pipelineOf } from '../src/p4rt/pipeline.ts';
import type { DesiredState } from '../src/model/desired-state.ts';
import { ACTIONS, TABLES } from '../src/reconcile/p4-names.ts';
import { Reconciler } from '../src/reconcile/reconciler.ts';
import type { ReconcilerOptions } from '../src/reconcile/reconciler-options.ts';
import { Bmv2Switch } from '../test/support/bmv2-switch.ts';
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
    rate: { type: 'string', default: '50' },
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
const services = positive('services');
const backendsPerService = positive('backends');
const changes = positive('changes');
const changeRate = positive('rate');
const rawEntries = positive('raw-entries');
if (values.sizes !== 'fit' && values.sizes !== 'default')
  throw new Error('--sizes is fit or default');
if (typeof global.gc !== 'function')
  throw new Error('run with node --expose-gc (npm run bench:reconcile)');

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
  console.log(
    `size.p4 defaults (frontends ${sizeOf(TABLES.frontends)}, backends ${sizeOf(TABLES.backends)}) hold ${fits.toLocaleString('en')} ` +
      `Services of ${backendsPerService} backends: the switch will refuse the rest`,
  );
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
    [
      '--max-old-space-size=8192',
      ...(process.env.BENCH_SWITCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      bin,
      'switch',
      '--grpc',
      address,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
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
const count = (n: number): string => Math.round(n).toLocaleString('en');
const rate = (n: number, ms: number): string => `${count((n * 1000) / ms)}/s`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const latencySummary = (latencies: number[]): string => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return (
    `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, ` +
    `max ${sorted.at(-1)!.toFixed(1)} ms`
  );
};
/** Resident and heap memory after two full GCs. */
function memory(): { rss: number; heap: number } {
  global.gc!();
  global.gc!();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heap: heapUsed };
}
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Backends entries of service ids the reconciler never uses, for raw write rates. */
function rawBackendEntries(codec: EntityCodec): Entity[] {
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
  return entries;
}

/** Raw INSERT and DELETE rates of the client against `address`; returns the INSERT rate (entries/s). */
async function rawWrites(address: string, label: string): Promise<number> {
  const client = new P4RuntimeClient({ address, deviceId: 1n, electionId: 1n });
  client.start();
  await client.waitForPrimary();
  await client.ensurePipeline(pipeline);
  const entries = rawBackendEntries(new EntityCodec(new P4InfoIndex(pipeline.p4info)));
  let insertRate = 0;
  // The reconciler's own batching (256 updates a Write, 4 in flight), and bigger batches.
  for (const [batchSize, concurrency] of [
    [256, 4],
    [1000, 4],
  ] as const) {
    let started = performance.now();
    const inserted = await client.write(entries.map(insert), { batchSize, concurrency });
    const insertMs = performance.now() - started;
    started = performance.now();
    const deleted = await client.write(entries.map(remove), { batchSize, concurrency });
    const deleteMs = performance.now() - started;
    const failure = inserted.failures[0] ?? deleted.failures[0];
    if (failure !== undefined) {
      // With size.p4's defaults at a scale that does not fit, the table is already full.
      console.log(`${label} raw writes skipped: ${failure.code}: ${failure.details}`);
      break;
    }
    if (batchSize === 256) insertRate = (rawEntries * 1000) / insertMs;
    console.log(
      `${label} raw writes, batch ${batchSize} x ${concurrency} in flight: INSERT ${rate(rawEntries, insertMs)}, DELETE ${rate(rawEntries, deleteMs)} (${count(rawEntries)} entries)`,
    );
  }
  client.close();
  return insertRate;
}

/** Counts the reconciler's warnings instead of printing one line per refused Service. */
function countingLog(): { log: Logger; warnings: Map<string, number> } {
  const warnings = new Map<string, number>();
  const log = createLogger('reconcile', {
    output: (json) => {
      const { level, msg } = JSON.parse(json) as { level: string; msg: string };
      const line = `${level}: ${msg}`;
      warnings.set(line, (warnings.get(line) ?? 0) + 1);
    },
  });
  return { warnings, log };
}

/** Converges `state` from an empty switch; prints time, updates and what was refused. */
async function converge(
  reconciler: Reconciler,
  state: DesiredState,
  label: string,
): Promise<{ ms: number; written: number }> {
  reconciler.start();
  const started = performance.now();
  await reconciler.whenApplied(reconciler.setDesiredState(state));
  const ms = performance.now() - started;
  const written = reconciler.metrics.writes.sum();
  console.log(
    `${label} converge from empty: ${count(services)} Services, ${count(services * backendsPerService)} backends: ` +
      `${seconds(ms)}, ${count(written)} updates (${rate(written, ms)}), load average ${load()}`,
  );
  const status = reconciler.status();
  if (status.notOffloaded.length > 0) {
    console.log(
      `  not offloaded: ${count(status.notOffloaded.length)} Services, e.g. "${status.notOffloaded[0]!.reason}"; ` +
        `${count(reconciler.metrics.refusedUpdates.sum())} refused updates; ` +
        `offloaded ${count(status.switches[0]!.offloadedFrontends)}`,
    );
  }
  return { ms, written };
}

const address = `127.0.0.1:${await freePort()}`;
const child = await startSwitchProcess(address);
console.log(`load average at start ${load()}`);
try {
  // 1. Convergence from empty, and the controller's memory.
  const before = memory();
  const state = syntheticState({ services, backendsPerService, affinityEvery: 10, nodes: 16 });
  const withModel = memory();
  const { log, warnings } = countingLog();
  const options: ReconcilerOptions = {
    switches: [{ name: 'bench', address, deviceId: 1n }],
    electionId: 2n,
    pipeline,
    tagKey: 0x1234n,
  };
  const reconciler = new Reconciler(options, { log });
  await converge(reconciler, state, 'embedded');
  const converged = memory();
  const grown = converged.rss - before.rss;
  console.log(
    `controller memory after convergence: RSS ${mib(converged.rss)} (peak ${mib(process.resourceUsage().maxRSS * 1024)}), ` +
      `heap ${mib(converged.heap)}; before the state: RSS ${mib(before.rss)}, heap ${mib(before.heap)}`,
  );
  console.log(
    `  growth: model ${mib(withModel.heap - before.heap)} heap, reconciler ${mib(converged.heap - withModel.heap)} heap; ` +
      `RSS +${mib(grown)} = ${count(grown / services)} bytes per Service with ${backendsPerService} backends ` +
      `(${count(grown / (services * backendsPerService))} bytes per backend)`,
  );
  const logLines = (): string =>
    [...warnings].map(([line, n]) => `${count(n)} x "${line}"`).join(', ');
  console.log(`  reconciler log: ${logLines()}`);

  // 2. Endpoint changes: a backend of a random Service replaced by a new one.
  let current = state;
  const refused = new Set(reconciler.status().notOffloaded.map((n) => n.service.name));
  const frontends = [...state.frontends.values()].filter((f) => !refused.has(f.service.name));
  let changed = 0;
  const change = (): number => {
    const target = frontends[Math.floor(Math.random() * frontends.length)]!;
    const before = current.frontends.get(target.key)!;
    const i = changed++;
    const replaced = {
      ...before.backends[0]!,
      ip: `10.${200 + Math.floor(i / 65536)}.${(i >> 8) & 255}.${i & 255}`,
    };
    current = withFrontend(current, {
      ...before,
      backends: [replaced, ...before.backends.slice(1)],
    });
    return reconciler.setDesiredState(current);
  };
  const oneAtATime: number[] = [];
  for (let i = 0; i < changes; i++) {
    const started = performance.now();
    await reconciler.whenApplied(change());
    oneAtATime.push(performance.now() - started);
  }
  console.log(
    `one endpoint change -> writes acknowledged, ${changes} changes one at a time: ${latencySummary(oneAtATime)} ` +
      '(kube-proxy iptables-restore of 10,000 Services: ~500 ms per change)',
  );
  const arriving: Promise<number>[] = [];
  const periodMs = 1000 / changeRate;
  const firstAt = performance.now();
  for (let i = 0; i < changes; i++) {
    const due = firstAt + i * periodMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const started = performance.now();
    arriving.push(reconciler.whenApplied(change()).then(() => performance.now() - started));
  }
  console.log(
    `one endpoint change -> writes acknowledged, ${changes} changes arriving at ${changeRate}/s: ` +
      `${latencySummary(await Promise.all(arriving))}, load average ${load()}`,
  );
  console.log(`  reconciler log: ${logLines()}`);
  reconciler.close();

  // 3. Controller restart: read back, adopt ids, verify, write nothing.
  const restarted = new Reconciler({ ...options, electionId: 3n }, { log });
  restarted.start();
  const started = performance.now();
  await restarted.whenApplied(restarted.setDesiredState(current));
  console.log(
    `controller restart at that scale: read back and verified in ${seconds(performance.now() - started)}, ` +
      `${restarted.metrics.writes.sum()} updates written`,
  );
  restarted.close();

  // Raw client throughput, last so that its garbage does not count in the controller's memory.
  await rawWrites(address, 'embedded');
} finally {
  child.kill();
}

// 5. BMv2: its raw write rate for the same kind of updates is the bound to converge against.
if (existsSync('/opt/p4/bin/simple_switch_grpc'))
  process.env.PATH = `/opt/p4/bin:${process.env.PATH}`;
const bmv2Unavailable = Bmv2Switch.unavailableReason();
if (bmv2Unavailable !== undefined) {
  console.log(`BMv2 skipped: ${bmv2Unavailable} (PATH, /opt/p4/bin)`);
} else {
  const bmv2 = await Bmv2Switch.start({ ports: [] });
  try {
    const bound = await rawWrites(bmv2.grpcAddress, 'BMv2');
    const state = syntheticState({ services, backendsPerService, affinityEvery: 10, nodes: 16 });
    const reconciler = new Reconciler(
      {
        switches: [{ name: 'bmv2', address: bmv2.grpcAddress, deviceId: 1n }],
        electionId: 2n,
        pipeline,
        tagKey: 0x1234n,
      },
      { log: countingLog().log },
    );
    const { ms, written } = await converge(reconciler, state, 'BMv2');
    const boundMs = (written * 1000) / bound;
    console.log(
      `  BMv2 write-rate bound for ${count(written)} updates at ${rate(bound, 1000)}: ${seconds(boundMs)}; ` +
        `convergence took ${(ms / boundMs).toFixed(2)}x the bound`,
    );
    reconciler.close();
  } finally {
    await bmv2.stop();
  }
}

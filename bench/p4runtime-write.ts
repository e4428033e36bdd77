/**
 * P4Runtime Write throughput in entries/s, over real gRPC: batches of 1, 100 and 1,000 LPM
 * entries INSERTed into (and then DELETEd from) the conformance fixture's route_table, one
 * batch in flight at a time as a controller sends dependent batches. Against the embedded
 * switch (`talaria switch`, its own process on 127.0.0.1, as BMv2 is), and against
 * simple_switch_grpc in the same run when it is on PATH or in /opt/p4/bin (and we are root:
 * it runs in a network namespace). Prints one table.
 *
 *   npm run bench:p4runtime [-- --seconds 3 --batches 1,100,1000]
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Update } from '../src/p4rt/generated/p4/v1/Update.ts';
import { startBmv2Target } from '../test/support/conformance/bmv2-target.ts';
import { uint128 } from '../test/support/conformance/context.ts';
import { EntityBuilder, insert, remove } from '../test/support/conformance/entities.ts';
import { P4InfoNames } from '../test/support/conformance/p4info-names.ts';
import { fixturePipeline } from '../test/support/conformance/pipelines.ts';
import type { ConformanceTarget, TargetFactory } from '../test/support/conformance/target.ts';
import { P4RuntimeDriver } from '../test/support/p4runtime-driver.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    batches: { type: 'string', default: '1,100,1000' },
  },
});
const seconds = Number(values.seconds);
const batchSizes = values.batches.split(',').map(Number);
if (!(seconds > 0) || batchSizes.some((b) => !Number.isInteger(b) || b < 1 || b > 1000)) {
  console.error('--seconds must be > 0 and --batches a list of sizes from 1 to 1000');
  process.exit(2);
}

const fixture = fixturePipeline();
const build = new EntityBuilder(new P4InfoNames(fixture.p4info));
/** route_table holds 1,024 entries: each round inserts 1,000 and deletes them again. */
const entriesPerRound = 1_000;

const routes = Array.from({ length: entriesPerRound }, (_, i) =>
  build.tableEntry('FixtureIngress.route_table', {
    match: { dst_addr: { lpm: (10 << 24) | (i << 8), prefixLen: 24 } },
    action: { name: 'FixtureIngress.forward', params: { port: 1 + (i % 4) } },
  }),
);

interface Result {
  target: string;
  batch: number;
  insertRate: number;
  deleteRate: number;
  batches: number;
}

async function measure(target: ConformanceTarget, batch: number): Promise<Result> {
  const driver = P4RuntimeDriver.connect(target.address);
  const stream = driver.openStream();
  const electionId = BigInt(Date.now());
  stream.arbitrate(target.deviceId, electionId);
  if ((await stream.nextArbitrationCode()) !== 'OK') throw new Error(`${target.name}: not primary`);
  const deviceId = target.deviceId.toString();
  await driver.setPipeline({
    deviceId,
    electionId: uint128(electionId),
    action: 'VERIFY_AND_COMMIT',
    config: { p4info: fixture.p4info as never, p4DeviceConfig: fixture.json },
  });
  const write = (updates: Update[]) =>
    driver.write({ deviceId, electionId: uint128(electionId), updates });
  let inserted = 0;
  let deleted = 0;
  let insertNs = 0n;
  let deleteNs = 0n;
  let batches = 0;
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline || batches === 0) {
    for (const [make, add] of [
      [insert, (ns: bigint, n: number) => ((insertNs += ns), (inserted += n))],
      [remove, (ns: bigint, n: number) => ((deleteNs += ns), (deleted += n))],
    ] as const) {
      for (let i = 0; i < routes.length; i += batch) {
        const updates = routes.slice(i, i + batch).map(make);
        const start = process.hrtime.bigint();
        await write(updates);
        add(process.hrtime.bigint() - start, updates.length);
        batches++;
      }
    }
  }
  stream.cancel();
  driver.close();
  return {
    target: target.name,
    batch,
    insertRate: inserted / (Number(insertNs) / 1e9),
    deleteRate: deleted / (Number(deleteNs) / 1e9),
    batches,
  };
}

/** Why BMv2 cannot run here, or undefined when it can. */
function bmv2Missing(): string | undefined {
  if (existsSync('/opt/p4/bin/simple_switch_grpc'))
    process.env.PATH = `/opt/p4/bin:${process.env.PATH}`;
  try {
    execFileSync('sh', ['-c', 'command -v simple_switch_grpc'], { stdio: 'ignore' });
  } catch {
    return 'simple_switch_grpc is not on PATH nor in /opt/p4/bin';
  }
  return process.getuid?.() === 0 ? undefined : 'BMv2 runs in a network namespace: needs root';
}

/** The embedded switch as its own process (`talaria switch`), on a free loopback port. */
const startEmbeddedProcess: TargetFactory = async (ports) => {
  const bin = fileURLToPath(new URL('../bin/talaria.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'switch', '--grpc', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /"address":"(127\.0\.0\.1:\d+)"/.exec(output);
      if (found) resolve(found[1]!);
    });
    child.on('exit', (code) => reject(new Error(`talaria switch exited (${code}): ${output}`)));
  });
  return {
    name: 'embedded',
    address,
    deviceId: 1n,
    ports,
    send: () => Promise.reject(new Error('no packets in this benchmark')),
    streamsForgotten: async () => {},
    stop: async () => {
      child.kill();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
};

const targets: [string, TargetFactory][] = [['embedded', startEmbeddedProcess]];
const missing = bmv2Missing();
if (missing === undefined) targets.push(['bmv2', startBmv2Target]);
else console.log(`BMv2 skipped (${missing}): embedded target only`);

const results: Result[] = [];
for (const [, start] of targets) {
  const target = await start([1, 2, 3, 4]);
  try {
    for (const batch of batchSizes) results.push(await measure(target, batch));
  } finally {
    await target.stop();
  }
}

const rate = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);
console.log(
  `\nP4Runtime Write throughput (LPM entries, one batch in flight, ${seconds} s per row)`,
);
console.log(
  `${'target'.padEnd(10)}${'batch'.padStart(7)}${'INSERT entries/s'.padStart(18)}${'DELETE entries/s'.padStart(18)}${'batches'.padStart(10)}`,
);
for (const r of results) {
  console.log(
    `${r.target.padEnd(10)}${String(r.batch).padStart(7)}${rate(r.insertRate).padStart(18)}${rate(r.deleteRate).padStart(18)}${String(r.batches).padStart(10)}`,
  );
}

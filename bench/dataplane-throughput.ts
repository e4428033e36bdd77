/**
 * Packets per second through the embedded data plane (no gRPC, no ports): the compiled
 * p4/build/talaria.json programmed with the state of test/vectors/pipeline.json, fed the
 * vectors' input frames in a loop. Prints one line per traffic mix.
 *
 *   npm run bench:dataplane [-- --packets 300000 --pipeline p4/build/talaria.json]
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadPipeline, type Dataplane } from '../src/softswitch/index.ts';
import { hexToBytes, loadVectorFiles, type PacketVector } from '../src/wire/vectors.ts';
import { programVectorState } from '../test/support/dataplane-vector-state.ts';

const { values } = parseArgs({
  options: {
    packets: { type: 'string', default: '300000' },
    pipeline: { type: 'string', default: 'p4/build/talaria.json' },
  },
});
const packets = Number(values.packets);
if (!Number.isInteger(packets) || packets <= 0)
  throw new Error('--packets must be a positive integer');
if (!existsSync(values.pipeline)) {
  console.error(`${values.pipeline} does not exist: build it with npm run p4:build`);
  process.exit(1);
}

const pipeline = loadPipeline(JSON.parse(readFileSync(values.pipeline, 'utf8')));
const files = [...loadVectorFiles().values()];

function freshDataplane(): Dataplane {
  const dp = pipeline.createDataplane();
  programVectorState(dp, files[0]!.switch);
  return dp;
}

function measure(name: string, vectors: readonly PacketVector[]): void {
  const inputs = vectors.map((v) => ({ port: v.input.port, bytes: hexToBytes(v.input.packet) }));
  const dp = freshDataplane();
  const run = (count: number) => {
    let forwarded = 0;
    for (let i = 0; i < count; i++) {
      const input = inputs[i % inputs.length]!;
      if (dp.process(input.port, input.bytes).outputs.length > 0) forwarded++;
    }
    return forwarded;
  };
  run(Math.min(20_000, packets)); // warm-up: let V8 optimise the compiled closures
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const forwarded = run(packets);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const format = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10);
  // Packets per CPU second as well: on a busy machine the wall-clock rate understates it.
  console.log(
    `${name.padEnd(24)} ${format(packets / seconds)} packets/s` +
      ` ${format(packets / cpuSeconds)} packets/cpu-s` +
      `  ${((seconds / packets) * 1e9).toFixed(0).padStart(6)} ns/packet` +
      `  (${inputs.length} frames, ${((forwarded / packets) * 100).toFixed(0)}% forwarded)`,
  );
}

const all = files.flatMap((f) => f.vectors);
console.log(
  `embedded data plane, ${values.pipeline}, ${packets.toLocaleString('en-US')} packets per mix`,
);
measure('all vectors', all);
measure(
  'forwarded vectors',
  all.filter((v) => v.expect.kind === 'forward'),
);
measure(
  'new connections',
  all.filter((v) => v.path === 'new-connection'),
);
measure(
  'cookie (later packets)',
  all.filter((v) => v.path === 'cookie'),
);
measure(
  'dropped vectors',
  all.filter((v) => v.expect.kind === 'drop'),
);

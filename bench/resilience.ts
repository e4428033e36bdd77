/**
 * How many cookie-less flows change backend when a Service's backends change: the bucket
 * table (resilient assignment, src/reconcile/bucket-assignment.ts) beside the old choice
 * (the action selector: crc16 of the 5-tuple mod the number of members). 100,000 flows from
 * random clients to one VIP; backends 10 -> 11 -> 9 -> 10 (a new pod, then two old ones
 * leave, then another new pod). Prints the fraction of flows whose backend changed at each
 * step and the least any scheme can move (the flows of removed backends, or the new
 * backend's share).
 *
 * The moved fractions come from selection functions that mirror the pipeline (BMv2's crc16
 * over client address, VIP, protocol, client port, VIP port; bucket = hash & (size - 1);
 * the selector's member = hash mod n). The bucket choices of `--sample` flows (default: all
 * of them) at every step are then checked against the compiled program
 * (p4/build/talaria.json) on the embedded data plane, programmed with the same tables: the
 * run fails if any differs. `--sample 0` skips that.
 *
 *   npm run bench:resilience [-- --flows 100000 --sample 100000 --pipeline p4/build/talaria.json]
 */
import { parseArgs } from 'node:util';
import { assignBuckets } from '../src/reconcile/bucket-assignment.ts';
import { DEFAULT_BUCKET_SIZING, wantedBucketCount } from '../src/reconcile/bucket-sizing.ts';
import { crc16FlowHash, type Flow } from '../test/support/flow-hash.ts';
import { pipelineChoices } from './lib/pipeline-choice.ts';

const { values } = parseArgs({
  options: {
    flows: { type: 'string', default: '100000' },
    sample: { type: 'string' },
    pipeline: { type: 'string', default: 'p4/build/talaria.json' },
  },
});
const flowCount = Number(values.flows);
const sampleCount = Number(values.sample ?? values.flows);
if (!Number.isInteger(flowCount) || flowCount <= 0) throw new Error('--flows: a positive integer');
if (!Number.isInteger(sampleCount) || sampleCount < 0) throw new Error('--sample: an integer >= 0');

/** xorshift32: the same flows on every run. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const VIP = 0x0a60000a; // 10.96.0.10
const next = random(0x7a1a71a);
const flows: Flow[] = Array.from({ length: flowCount }, () => ({
  clientAddr: (0xc6120000 | (next() & 0xffff)) >>> 0, // 198.18.0.0/16
  vipAddr: VIP,
  protocol: 6,
  clientPort: 1024 + (next() % 64_512),
  vipPort: 80,
}));
const hashes = flows.map(crc16FlowHash);

// Backend slots of each step: 0-9, a new pod (10), slots 3 and 7 leave, a new pod (11).
const steps: { name: string; members: number[] }[] = [
  { name: '10 backends', members: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
  { name: '10 -> 11 (add)', members: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  { name: '11 -> 9 (remove 2)', members: [0, 1, 2, 4, 5, 6, 8, 9, 10] },
  { name: '9 -> 10 (add)', members: [0, 1, 2, 4, 5, 6, 8, 9, 10, 11] },
];

let table: number[] | undefined;
let size = 0;
const bucketChoice: number[][] = [];
const moduloChoice: number[][] = [];
const tables: { size: number; table: number[] }[] = [];
for (const step of steps) {
  size = wantedBucketCount(step.members.length, size, DEFAULT_BUCKET_SIZING);
  table = assignBuckets(table, step.members, size);
  tables.push({ size, table });
  const mask = size - 1;
  bucketChoice.push(hashes.map((h) => table![h & mask]!));
  // The selector's group lists members in member-id (slot) order.
  moduloChoice.push(hashes.map((h) => step.members[h % step.members.length]!));
}

const fraction = (a: readonly number[], b: readonly number[]): number => {
  let moved = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) moved++;
  return moved / a.length;
};
const pct = (x: number): string => `${(x * 100).toFixed(2).padStart(6)} %`;

console.log(
  `${flowCount.toLocaleString('en-US')} cookie-less TCP flows to one VIP (fractions from the selection functions mirroring the pipeline, checked against it below)`,
);
console.log(
  `${'step'.padEnd(20)} ${'buckets'.padEnd(8)} ${'bucket table'.padStart(12)} ${'modulo (old)'.padStart(13)} ${'least possible'.padStart(15)}`,
);
console.log(`${steps[0]!.name.padEnd(20)} ${String(tables[0]!.size).padEnd(8)}`);
for (let i = 1; i < steps.length; i++) {
  const before = new Set(steps[i - 1]!.members);
  const after = new Set(steps[i]!.members);
  // Least movement: the flows of backends that left, or (additions) the new backends' share.
  const removed = [...before].filter((m) => !after.has(m));
  const added = [...after].filter((m) => !before.has(m));
  const least =
    removed.length > 0
      ? bucketChoice[i - 1]!.filter((m) => removed.includes(m)).length / flowCount
      : added.length / after.size;
  console.log(
    `${steps[i]!.name.padEnd(20)} ${String(tables[i]!.size).padEnd(8)} ${pct(fraction(bucketChoice[i - 1]!, bucketChoice[i]!)).padStart(12)} ${pct(fraction(moduloChoice[i - 1]!, moduloChoice[i]!)).padStart(13)} ${pct(least).padStart(15)}`,
  );
}
const loads = (choice: readonly number[]): string => {
  const counts = new Map<number, number>();
  for (const c of choice) counts.set(c, (counts.get(c) ?? 0) + 1);
  const values = [...counts.values()];
  const mean = choice.length / values.length;
  return `max/mean ${(Math.max(...values) / mean).toFixed(3)}, min/mean ${(Math.min(...values) / mean).toFixed(3)}`;
};
console.log(
  `flow balance at the end: bucket table ${loads(bucketChoice.at(-1)!)}; modulo ${loads(moduloChoice.at(-1)!)}`,
);

if (sampleCount > 0) {
  const sample = flows.slice(0, sampleCount);
  for (const scheme of ['bucket table', 'modulo (selector)'] as const) {
    let agree = 0;
    let total = 0;
    for (let i = 0; i < steps.length; i++) {
      const buckets = scheme === 'bucket table' ? tables[i]! : undefined;
      const mirror = scheme === 'bucket table' ? bucketChoice[i]! : moduloChoice[i]!;
      const chosen = pipelineChoices(values.pipeline, sample, buckets, steps[i]!.members);
      for (let f = 0; f < sample.length; f++) {
        total++;
        if (chosen[f] === mirror[f]) agree++;
      }
    }
    console.log(
      `${scheme}: ${sample.length.toLocaleString('en-US')} flows x ${steps.length} steps through ${values.pipeline} on the embedded data plane: ${agree}/${total} chose the backend the mirror chose`,
    );
    if (agree !== total) process.exitCode = 1;
  }
}

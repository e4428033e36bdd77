import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPipeline, type DataplanePipeline } from '../../src/softswitch/index.ts';
import { hexToBytes, loadVectorFiles } from '../../src/wire/vectors.ts';
import { programVectorState } from '../support/dataplane-vector-state.ts';
import { handwrittenProgram } from '../support/handwritten-pipeline.ts';

/**
 * Malformed packets never throw out of process(): truncated frames, random bytes and
 * corrupted valid frames each end as a parser error, a counted drop or a forwarded frame.
 */
const TALARIA = 'p4/build/talaria.json';

/** The pipelines to run; one not built yet is listed with undefined, and reported skipped. */
function pipelines(): [string, DataplanePipeline | undefined][] {
  return [
    ['hand-written fixture', loadPipeline(handwrittenProgram())],
    [
      TALARIA,
      existsSync(TALARIA) ? loadPipeline(JSON.parse(readFileSync(TALARIA, 'utf8'))) : undefined,
    ],
  ];
}

const validFrames = [...loadVectorFiles().values()].flatMap((f) =>
  f.vectors.map((v) => hexToBytes(v.input.packet)),
);

/** Random bytes, truncations of valid frames, and valid frames with bytes flipped. */
const malformedFrame = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 128 }),
  fc
    .tuple(fc.constantFrom(...validFrames), fc.nat())
    .map(([frame, cut]) => frame.subarray(0, cut % (frame.length + 1))),
  fc
    .tuple(
      fc.constantFrom(...validFrames),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 6,
      }),
    )
    .map(([frame, flips]) => {
      const copy = Uint8Array.from(frame);
      for (const [at, value] of flips) copy[at % copy.length] = value;
      return copy;
    }),
);

describe('malformed packets through the embedded data plane', () => {
  for (const [name, pipeline] of pipelines()) {
    const title = `1,000 malformed packets never throw and each has an outcome (${name})`;
    if (!pipeline) {
      it.skip(`${title} [skipped: ${name} not built (npm run p4:build)]`, () => {});
      continue;
    }
    it(title, () => {
      const dp = pipeline.createDataplane();
      if (name === TALARIA) programVectorState(dp, [...loadVectorFiles().values()][0]!.switch);
      const outcomes = new Map<string, number>();
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 510 }), malformedFrame, (port, frame) => {
          const result = dp.process(port, frame);
          const outcome = result.dropped
            ? `dropped:${result.dropped.stage}`
            : `forwarded:${result.outputs.length}`;
          expect(result.dropped?.stage).not.toBe('error');
          expect(result.dropped === undefined).toBe(result.outputs.length === 1);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          outcomes.set(result.parserError, (outcomes.get(result.parserError) ?? 0) + 1);
        }),
        { numRuns: 1000, seed: 4 },
      );
      // The mix really exercised the error paths.
      expect(outcomes.get('PacketTooShort') ?? 0).toBeGreaterThan(0);
      expect([...outcomes.keys()].some((k) => k.startsWith('dropped'))).toBe(true);
    });
  }
});

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/softswitch/index.ts';
import { DROP_COUNTER_INDICES } from '../../src/wire/drop-reasons.ts';
import { hexToBytes, loadVectorFiles } from '../../src/wire/vectors.ts';
import { programVectorState } from '../support/dataplane-vector-state.ts';

/**
 * The packet vectors (test/vectors) through the embedded data plane running p4c's output for
 * p4/talaria.p4, tables programmed through the control API. The P4Runtime conformance suite
 * runs them again over gRPC.
 */
const PIPELINE = 'p4/build/talaria.json';
const built = existsSync(PIPELINE);
const bytesHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe.skipIf(!built)(
  `packet vectors through the embedded data plane${built ? '' : ` (skipped: ${PIPELINE} not built; npm run p4:build)`}`,
  () => {
    const pipeline = built ? loadPipeline(JSON.parse(readFileSync(PIPELINE, 'utf8'))) : undefined;
    for (const [fileName, file] of loadVectorFiles()) {
      describe(fileName, () => {
        const dp = pipeline?.createDataplane();
        if (dp) programVectorState(dp, file.switch);
        for (const vector of file.vectors) {
          it(`${vector.path}: ${vector.name}`, () => {
            const counter = 'TalariaIngress.drop_counter';
            const index =
              vector.expect.kind === 'drop' ? DROP_COUNTER_INDICES[vector.expect.reason] : 0;
            const before = dp!.readCounter(counter, index).packets;
            const result = dp!.process(vector.input.port, hexToBytes(vector.input.packet));
            if (vector.expect.kind === 'forward') {
              expect(result.dropped).toBeUndefined();
              expect(
                result.outputs.map((o) => ({ port: o.port, packet: bytesHex(o.bytes) })),
              ).toEqual([{ port: vector.expect.port, packet: vector.expect.packet }]);
            } else {
              expect(result.outputs).toEqual([]);
              expect(result.dropped).toEqual({ stage: 'ingress' });
              expect(dp!.readCounter(counter, index).packets).toBe(before + 1n);
            }
          });
        }
      });
    }
  },
);

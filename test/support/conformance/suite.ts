import { afterAll, beforeAll, describe, it } from 'vitest';
import { P4RuntimeDriver } from '../p4runtime-driver.ts';
import { arbitrationCases } from './cases/arbitration.ts';
import { counterCases } from './cases/counters.ts';
import { packetCases } from './cases/packets.ts';
import { pipelineConfigCases } from './cases/pipeline-config.ts';
import { readBackCases } from './cases/read-back.ts';
import { selectorCases } from './cases/selectors.ts';
import { vectorCases } from './cases/vectors.ts';
import { writeErrorCases } from './cases/write-errors.ts';
import { CaseContext, CaseSkipped, type ConformanceCase } from './context.ts';
import { fixturePipeline } from './pipelines.ts';
import type { ConformanceTarget, TargetFactory } from './target.ts';

/** Every conformance case, in the order they run. */
export const conformanceCases: readonly ConformanceCase[] = [
  ...arbitrationCases,
  ...pipelineConfigCases,
  ...writeErrorCases,
  ...readBackCases,
  ...selectorCases,
  ...counterCases,
  ...packetCases,
  ...vectorCases(),
];

/** Switch ports the cases use: the fixture's 1-4 and every port of the packet vectors. */
export const conformancePorts: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8];

/**
 * Registers the conformance suite against the target `start` creates: one target for the
 * whole suite, one vitest test per case (each starts by installing the pipeline it needs).
 */
export function defineConformanceSuite(title: string, start: TargetFactory): void {
  describe(title, () => {
    let target: ConformanceTarget;
    let driver: P4RuntimeDriver;
    let electionId = 1_000_000_000n;
    const fixture = fixturePipeline();

    beforeAll(async () => {
      target = await start(conformancePorts);
      driver = P4RuntimeDriver.connect(target.address);
    });
    afterAll(async () => {
      driver?.close();
      await target?.stop();
    });

    for (const conformanceCase of conformanceCases) {
      it(conformanceCase.name, async (test) => {
        const ctx = new CaseContext(target, driver, fixture, () => (electionId += 10n));
        try {
          await conformanceCase.run(ctx);
        } catch (error) {
          if (error instanceof CaseSkipped) test.skip(error.message);
          throw error;
        } finally {
          await ctx.close();
        }
      });
    }
  });
}

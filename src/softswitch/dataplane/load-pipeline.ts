/**
 * loadPipeline: validates a BMv2 JSON (zod schema, then a full compile that refuses what this
 * target does not run) and describes its control-plane objects. Each createDataplane()
 * compiles the JSON again, so instances share nothing.
 */
import { bmv2JsonSchema, type Bmv2Json } from '../bmv2/bmv2-json.ts';
import type { Dataplane, LoadPipeline, DataplanePipeline } from './api.ts';
import { CompiledDataplane } from './dataplane.ts';
import { DataplaneError } from './dataplane-error.ts';
import { compileProgram } from './program.ts';
import { describeFirstIssue } from '../../validation/zod-issue.ts';

export const loadPipeline: LoadPipeline = (json: unknown): DataplanePipeline => {
  const parsed = bmv2JsonSchema.safeParse(json);
  if (!parsed.success) {
    throw new DataplaneError(
      'INVALID_ARGUMENT',
      `invalid BMv2 JSON at ${describeFirstIssue(parsed.error)}`,
    );
  }
  return describe(parsed.data);
};

function describe(json: Bmv2Json): DataplanePipeline {
  const program = compileProgram(json);
  const pipeline: DataplanePipeline = {
    tables: [...program.tables.values()].map((t) => t.info),
    actions: program.actions,
    actionProfiles: program.profileInfos,
    counters: program.counterInfos,
    directCounters: program.directCounterInfos,
    registers: program.registerInfos,
    createDataplane(): Dataplane {
      return new CompiledDataplane(pipeline, compileProgram(json));
    },
  };
  return pipeline;
}

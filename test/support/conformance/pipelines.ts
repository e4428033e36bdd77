import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { P4Info__Output } from '../../../src/p4rt/generated/p4/config/v1/P4Info.ts';
import { parseP4InfoText } from '../../../src/p4rt/text-format.ts';

/** A compiled program: the BMv2 JSON bytes and its P4Info. */
export interface PipelineFiles {
  readonly json: Buffer;
  readonly p4info: P4Info__Output;
}

function load(jsonUrl: URL, p4infoUrl: URL): PipelineFiles | undefined {
  const jsonPath = fileURLToPath(jsonUrl);
  const p4infoPath = fileURLToPath(p4infoUrl);
  if (!existsSync(jsonPath) || !existsSync(p4infoPath)) return undefined;
  return {
    json: readFileSync(jsonPath),
    p4info: parseP4InfoText(readFileSync(p4infoPath, 'utf8')),
  };
}

/** The conformance fixture (fixture/conformance.p4, compiled outputs committed beside it). */
export function fixturePipeline(): PipelineFiles {
  const files = load(
    new URL('fixture/conformance.json', import.meta.url),
    new URL('fixture/conformance.p4info.txtpb', import.meta.url),
  );
  if (!files)
    throw new Error('test/support/conformance/fixture: compiled fixture missing (see its README)');
  return files;
}

/** The project's pipeline (p4/build), once the P4 build has produced it. */
export function talariaPipeline(): PipelineFiles | undefined {
  return load(
    new URL('../../../p4/build/talaria.json', import.meta.url),
    new URL('../../../p4/build/talaria.p4info.txtpb', import.meta.url),
  );
}

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { P4Info__Output } from '../../../src/p4rt/generated/p4/config/v1/P4Info.ts';
import { parseP4InfoText } from '../../../src/p4rt/text-format.ts';
import { decodeWire } from '../p4runtime-wire.ts';

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

/**
 * The conformance fixture (fixture/conformance.p4, compiled outputs committed beside it).
 * Its P4Info is read from p4c's binary encoding with the tests' own reading of the schema,
 * so that the suite does not depend on the project's text-format parser either.
 */
export function fixturePipeline(): PipelineFiles {
  const json = new URL('fixture/conformance.json', import.meta.url);
  const p4info = new URL('fixture/conformance.p4info.bin', import.meta.url);
  if (!existsSync(json) || !existsSync(p4info))
    throw new Error('test/support/conformance/fixture: compiled fixture missing (see its README)');
  return {
    json: readFileSync(json),
    p4info: decodeWire<P4Info__Output>('p4.config.v1.P4Info', readFileSync(p4info)),
  };
}

/** The project's pipeline (p4/build), once the P4 build has produced it. */
export function talariaPipeline(): PipelineFiles | undefined {
  return load(
    new URL('../../../p4/build/talaria.json', import.meta.url),
    new URL('../../../p4/build/talaria.p4info.txtpb', import.meta.url),
  );
}

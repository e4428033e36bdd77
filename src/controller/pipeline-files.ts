import { readFile } from 'node:fs/promises';
import type { P4Info__Output } from '../p4rt/generated/p4/config/v1/P4Info.ts';
import { pipelineOf, type Pipeline } from '../p4rt/pipeline.ts';
import { decodeMessage } from '../p4rt/schema.ts';
import { parseP4InfoText } from '../p4rt/text-format.ts';

/**
 * The pipeline p4c produced: the BMv2 JSON (the device config) and the P4Info, text
 * format (.txtpb, .txt, .pbtxt) or binary. Its cookie is derived from the content.
 */
export async function readPipelineFiles(jsonPath: string, p4infoPath: string): Promise<Pipeline> {
  const [deviceConfig, p4infoBytes] = await Promise.all([readFile(jsonPath), readFile(p4infoPath)]);
  const p4info: P4Info__Output = /\.(txt|txtpb|pbtxt|prototxt)$/.test(p4infoPath)
    ? parseP4InfoText(p4infoBytes.toString('utf8'))
    : decodeMessage<P4Info__Output>('p4.config.v1.P4Info', p4infoBytes);
  return pipelineOf(p4info, deviceConfig);
}

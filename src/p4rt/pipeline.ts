import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { P4Info, P4Info__Output } from './generated/p4/config/v1/P4Info.ts';
import { decodeMessage, encodeMessage } from './schema.ts';
import { parseP4InfoText } from './text-format.ts';

/**
 * A forwarding pipeline to install: the P4Info, the target's device config (BMv2: the JSON
 * p4c emits) and the cookie that identifies the pair on the device, so a client can see
 * that the right pipeline is already there and not wipe a working switch by pushing it
 * again.
 */
export interface Pipeline {
  readonly p4info: P4Info__Output;
  readonly deviceConfig: Buffer;
  /** uint64. */
  readonly cookie: bigint;
}

/** The cookie of a pipeline by content: the first 8 bytes of SHA-256(P4Info ‖ device config). */
export function pipelineCookie(p4info: P4Info | P4Info__Output, deviceConfig: Buffer): bigint {
  const hash = createHash('sha256')
    .update(encodeMessage('p4.config.v1.P4Info', p4info))
    .update(deviceConfig)
    .digest();
  return hash.readBigUInt64BE(0);
}

/** A Pipeline whose cookie is derived from its content. */
export function pipelineOf(p4info: P4Info__Output, deviceConfig: Buffer): Pipeline {
  return { p4info, deviceConfig, cookie: pipelineCookie(p4info, deviceConfig) };
}

/**
 * The pipeline p4c produced, read from disk: the BMv2 JSON (the device config) and the
 * P4Info, text format (.txt, .txtpb, .pbtxt, .prototxt) or binary protobuf (anything else).
 */
export async function readPipelineFiles(jsonPath: string, p4infoPath: string): Promise<Pipeline> {
  const [deviceConfig, p4infoBytes] = await Promise.all([readFile(jsonPath), readFile(p4infoPath)]);
  const p4info: P4Info__Output = /\.(txt|txtpb|pbtxt|prototxt)$/.test(p4infoPath)
    ? parseP4InfoText(p4infoBytes.toString('utf8'))
    : decodeMessage<P4Info__Output>('p4.config.v1.P4Info', p4infoBytes);
  return pipelineOf(p4info, deviceConfig);
}

import type { P4Info__Output } from '../../p4rt/generated/p4/config/v1/P4Info.ts';
import type { ForwardingPipelineConfig__Output } from '../../p4rt/generated/p4/v1/ForwardingPipelineConfig.ts';
import type { LoadPipeline, DataplanePipeline } from '../dataplane/api.ts';
import { DeviceP4InfoIndex } from './p4info-index.ts';
import { invalidArgument, toP4RuntimeError } from './p4runtime-error.ts';

/** A forwarding pipeline config this target can realize, as given and as understood. */
export interface VerifiedConfig {
  readonly p4info: P4Info__Output;
  /** The BMv2 JSON bytes, returned unchanged by GetForwardingPipelineConfig. */
  readonly deviceConfig: Buffer;
  /** The client's cookie (uint64 as a decimal string), when it gave one. */
  readonly cookie: string | undefined;
  readonly pipeline: DataplanePipeline;
  readonly index: DeviceP4InfoIndex;
}

/**
 * Checks that a ForwardingPipelineConfig can run here: a P4Info, a BMv2 JSON the data
 * plane loads, and a P4Info whose every object the JSON has with the same shape. Anything
 * else is INVALID_ARGUMENT with the reason (spec: a config that cannot be realized).
 */
export function verifyPipelineConfig(
  config: ForwardingPipelineConfig__Output | undefined,
  loadPipeline: LoadPipeline,
): VerifiedConfig {
  if (!config) throw invalidArgument('config is missing');
  if (!config.p4info) throw invalidArgument('config.p4info is missing');
  const deviceConfig = config.p4DeviceConfig;
  if (!deviceConfig || deviceConfig.length === 0) {
    throw invalidArgument('config.p4_device_config is empty (expected the BMv2 JSON)');
  }
  let json: unknown;
  try {
    json = JSON.parse(deviceConfig.toString('utf8'));
  } catch (error) {
    throw invalidArgument(`p4_device_config is not JSON: ${(error as Error).message}`);
  }
  let pipeline: DataplanePipeline;
  try {
    pipeline = loadPipeline(json);
  } catch (error) {
    throw invalidArgument(`the BMv2 JSON cannot be realized: ${toP4RuntimeError(error).message}`);
  }
  const index = new DeviceP4InfoIndex(config.p4info, pipeline);
  return { p4info: config.p4info, deviceConfig, cookie: config.cookie?.cookie, pipeline, index };
}

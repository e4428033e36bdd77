import { hashAlgorithm } from '../../src/softswitch/dataplane/hash-algorithms.ts';

/** A connection's client-side 5-tuple, addresses as unsigned 32-bit numbers. */
export interface Flow {
  readonly clientAddr: number;
  readonly vipAddr: number;
  readonly protocol: number;
  readonly clientPort: number;
  readonly vipPort: number;
}

const crc16 = hashAlgorithm('crc16', 'flow hash');
const input = new Uint8Array(13);
const view = new DataView(input.buffer);

/**
 * BMv2's crc16 over the 5-tuple in the pipeline's order (client address, VIP, protocol,
 * client port, VIP port: p4/v1model/bucket_hash_v1model.p4 and backend_select's selector).
 */
export function crc16FlowHash(flow: Flow): number {
  view.setUint32(0, flow.clientAddr);
  view.setUint32(4, flow.vipAddr);
  view.setUint8(8, flow.protocol);
  view.setUint16(9, flow.clientPort);
  view.setUint16(11, flow.vipPort);
  return crc16.compute(input, input.length);
}

import { crc32 } from 'node:zlib';
import { ipv4ToNumber } from './addresses.ts';
import { checkUnsigned } from './wire-error.ts';

/**
 * The cookie's integrity tag (docs/wire-format.md, "The tag"):
 * CRC-32(key ‖ client_addr ‖ vip_addr ‖ client_port ‖ vip_port ‖ protocol ‖ service_id ‖ slot)
 * over 23 big-endian bytes, with the reflected IEEE CRC-32 (zlib's, BMv2's crc32,
 * Tofino's CRC32). The tuple is always the client-side one, in both directions.
 */

export const TAG_INPUT_LENGTH = 23;

export interface TagInput {
  /** The controller's 32-bit secret (table tag_key). */
  readonly key: number;
  readonly clientAddr: string;
  readonly vipAddr: string;
  readonly clientPort: number;
  readonly vipPort: number;
  /** IP protocol number (6 TCP, 17 UDP). */
  readonly protocol: number;
  readonly serviceId: number;
  readonly slot: number;
}

/** The 23 bytes the tag is computed over. */
export function tagInputBytes(input: TagInput): Uint8Array {
  const bytes = new Uint8Array(TAG_INPUT_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, checkUnsigned('tag.key', input.key, 32));
  view.setUint32(4, ipv4ToNumber(input.clientAddr, 'tag.client_addr'));
  view.setUint32(8, ipv4ToNumber(input.vipAddr, 'tag.vip_addr'));
  view.setUint16(12, checkUnsigned('tag.client_port', input.clientPort, 16));
  view.setUint16(14, checkUnsigned('tag.vip_port', input.vipPort, 16));
  view.setUint8(16, checkUnsigned('tag.protocol', input.protocol, 8));
  view.setUint32(17, checkUnsigned('tag.service_id', input.serviceId, 32));
  view.setUint16(21, checkUnsigned('tag.slot', input.slot, 16));
  return bytes;
}

export function computeTag(input: TagInput): number {
  return crc32(tagInputBytes(input)) >>> 0;
}

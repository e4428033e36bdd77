import { ipv4ToNumber } from './addresses.ts';
import { checkUnsigned, WireFormatError } from './wire-error.ts';

/**
 * The cookie's integrity tag (docs/wire-format.md, "The tag"): HalfSipHash-2-4 (32-bit
 * words, 64-bit key, 32-bit output) of the connection's client-side tuple, its Service and
 * slot, under the switch's secret key. A keyed PRF: frames observed on the wire tell
 * nothing about the key, unlike the CRC-32 this replaced, which is affine in the key.
 */

export const TAG_KEY_BYTES = 8;
export const TAG_MESSAGE_LENGTH = 19;

export interface TagInput {
  /** The switch's 64-bit secret of the cookie's key epoch (table tag_key). */
  readonly key: bigint;
  readonly clientAddr: string;
  readonly vipAddr: string;
  readonly clientPort: number;
  readonly vipPort: number;
  /** IP protocol number (6 TCP, 17 UDP). */
  readonly protocol: number;
  readonly serviceId: number;
  readonly slot: number;
}

const rotl = (x: number, bits: number) => ((x << bits) | (x >>> (32 - bits))) >>> 0;

/**
 * HalfSipHash-2-4 with a 32-bit output, as the reference implementation (veorq/SipHash,
 * halfsiphash.c) defines it: the key and the message are read as little-endian 32-bit
 * words; the last word holds the remaining bytes and the length mod 256 in its top byte.
 * Returns the output word (the reference's 4 output bytes, read little-endian).
 */
export function halfSipHash24(key: Uint8Array, message: Uint8Array): number {
  if (key.length !== TAG_KEY_BYTES) {
    throw new WireFormatError('tag.key', `${key.length} bytes, not ${TAG_KEY_BYTES}`);
  }
  const keyView = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const k0 = keyView.getUint32(0, true);
  const k1 = keyView.getUint32(4, true);
  let v0 = k0;
  let v1 = k1;
  let v2 = (0x6c796765 ^ k0) >>> 0;
  let v3 = (0x74656462 ^ k1) >>> 0;
  const round = () => {
    v0 = (v0 + v1) >>> 0;
    v1 = (rotl(v1, 5) ^ v0) >>> 0;
    v0 = rotl(v0, 16);
    v2 = (v2 + v3) >>> 0;
    v3 = (rotl(v3, 8) ^ v2) >>> 0;
    v0 = (v0 + v3) >>> 0;
    v3 = (rotl(v3, 7) ^ v0) >>> 0;
    v2 = (v2 + v1) >>> 0;
    v1 = (rotl(v1, 13) ^ v2) >>> 0;
    v2 = rotl(v2, 16);
  };
  const compress = (m: number) => {
    v3 = (v3 ^ m) >>> 0;
    round();
    round();
    v0 = (v0 ^ m) >>> 0;
  };
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const whole = message.length - (message.length % 4);
  for (let offset = 0; offset < whole; offset += 4) compress(view.getUint32(offset, true));
  let last = ((message.length & 0xff) << 24) >>> 0;
  for (let i = message.length - 1; i >= whole; i--) {
    last = (last | (message[i]! << (8 * (i - whole)))) >>> 0;
  }
  compress(last);
  v2 = (v2 ^ 0xff) >>> 0;
  for (let i = 0; i < 4; i++) round();
  return (v1 ^ v3) >>> 0;
}

/** The 8 key bytes of a 64-bit key: little-endian, so k0 is its low and k1 its high word. */
export function tagKeyBytes(key: bigint): Uint8Array {
  if (key < 0n || key >= 1n << 64n) {
    throw new WireFormatError('tag.key', `${key} is not an unsigned 64-bit integer`);
  }
  const bytes = new Uint8Array(TAG_KEY_BYTES);
  new DataView(bytes.buffer).setBigUint64(0, key, true);
  return bytes;
}

/**
 * The 19 message bytes: the little-endian words client_addr, vip_addr,
 * client_port << 16 | vip_port and service_id, then slot (2 bytes, little-endian) and
 * protocol. Word-aligned this way, the switch reads each word straight from its fields and
 * the final word is (19 << 24) | protocol << 16 | slot.
 */
export function tagMessageBytes(input: Omit<TagInput, 'key'>): Uint8Array {
  const bytes = new Uint8Array(TAG_MESSAGE_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, ipv4ToNumber(input.clientAddr, 'tag.client_addr'), true);
  view.setUint32(4, ipv4ToNumber(input.vipAddr, 'tag.vip_addr'), true);
  view.setUint16(8, checkUnsigned('tag.vip_port', input.vipPort, 16), true);
  view.setUint16(10, checkUnsigned('tag.client_port', input.clientPort, 16), true);
  view.setUint32(12, checkUnsigned('tag.service_id', input.serviceId, 32), true);
  view.setUint16(16, checkUnsigned('tag.slot', input.slot, 16), true);
  view.setUint8(18, checkUnsigned('tag.protocol', input.protocol, 8));
  return bytes;
}

export function computeTag(input: TagInput): number {
  return halfSipHash24(tagKeyBytes(input.key), tagMessageBytes(input));
}

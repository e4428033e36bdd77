import { outOfRange } from './p4runtime-error.ts';

/**
 * Reads a P4Runtime bytestring as an unsigned value of `bitwidth` bits (spec section
 * "Bytestrings"): big-endian, any length whose value fits, so non-canonical (zero-padded
 * or short) strings are accepted. Empty or too wide is OUT_OF_RANGE; `what` names the
 * field in the message.
 */
export function decodeBytestring(
  bytes: Uint8Array | undefined,
  bitwidth: number,
  what: string,
): bigint {
  if (bytes === undefined || bytes.length === 0) throw outOfRange(`${what}: empty bytestring`);
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (value >> BigInt(bitwidth) !== 0n) {
    throw outOfRange(`${what}: value 0x${value.toString(16)} does not fit in ${bitwidth} bits`);
  }
  return value;
}

/** The canonical (shortest) bytestring of an unsigned value: 0 is one zero byte. */
export function encodeBytestring(value: bigint): Buffer {
  if (value < 0n) throw new RangeError(`cannot encode negative value ${value}`);
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
}

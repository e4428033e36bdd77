/**
 * P4Runtime bytestrings (spec section "Bytestrings"): unsigned big-endian values of a known
 * bitwidth. A client may send any length whose value fits; servers answer with the
 * canonical form (shortest string, one zero byte for 0), so everything we compare after a
 * read goes through `canonicalBytestring` or is decoded to a bigint first.
 */

/** A value that does not fit its field, or bytes that cannot be a value of it. */
export class BytestringError extends RangeError {
  override readonly name = 'BytestringError';
  /** The canonical code a spec-following server would answer with. */
  readonly code = 'OUT_OF_RANGE';
}

/** Encodes an unsigned value of `bitwidth` bits canonically; `what` names the field. */
export function encodeBytestring(value: bigint | number, bitwidth: number, what: string): Buffer {
  const big = toBigInt(value, what);
  if (big < 0n) throw new BytestringError(`${what}: negative value ${big}`);
  if (big >> BigInt(bitwidth) !== 0n) {
    throw new BytestringError(`${what}: value ${big} does not fit in ${bitwidth} bits`);
  }
  const hex = big.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
}

/** Decodes a bytestring of any length whose value fits `bitwidth` bits. */
export function decodeBytestring(
  bytes: Uint8Array | undefined,
  bitwidth: number,
  what: string,
): bigint {
  if (bytes === undefined || bytes.length === 0) {
    throw new BytestringError(`${what}: empty bytestring`);
  }
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (value >> BigInt(bitwidth) !== 0n) {
    throw new BytestringError(
      `${what}: value 0x${value.toString(16)} does not fit in ${bitwidth} bits`,
    );
  }
  return value;
}

/** The canonical form of a bytestring: leading zero bytes removed, one byte kept. */
export function canonicalBytestring(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return Buffer.from(bytes.subarray(start));
}

function toBigInt(value: bigint | number, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) {
    throw new BytestringError(`${what}: ${value} is not an integer`);
  }
  return BigInt(value);
}

/** `value` as exactly ceil(bitwidth / 8) big-endian bytes (e.g. a MAC's 6), for display. */
export function fixedWidthBytes(value: bigint | number, bitwidth: number): Buffer {
  const hex = BigInt(value)
    .toString(16)
    .padStart(Math.ceil(bitwidth / 8) * 2, '0');
  return Buffer.from(hex, 'hex');
}

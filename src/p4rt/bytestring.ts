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

const IPV4_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** '10.0.0.1' as a 32-bit value; anything else is an error naming `what`. */
export function ipv4ToValue(address: string, what: string): bigint {
  const octets = IPV4_PATTERN.exec(address)?.slice(1).map(Number);
  if (octets === undefined || octets.some((o) => o > 255)) {
    throw new BytestringError(`${what}: "${address}" is not an IPv4 address`);
  }
  return octets.reduce((acc, octet) => (acc << 8n) | BigInt(octet), 0n);
}

/** A 32-bit value as a dotted IPv4 address. */
export function valueToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => Number((value >> shift) & 0xffn)).join('.');
}

/** 'aa:bb:cc:dd:ee:ff' as a 48-bit value. */
export function macToValue(mac: string, what: string): bigint {
  if (!MAC_PATTERN.test(mac)) throw new BytestringError(`${what}: "${mac}" is not a MAC address`);
  return BigInt(`0x${mac.replaceAll(':', '')}`);
}

/** A 48-bit value as a lower-case colon-separated MAC address. */
export function valueToMac(value: bigint): string {
  const hex = value.toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}

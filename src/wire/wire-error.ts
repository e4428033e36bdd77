/**
 * A packet or header that cannot be encoded or decoded. `field` names the offending field
 * the way docs/wire-format.md and the P4 headers do (`talaria.version`, `ipv4.ihl`, ...).
 */
export class WireFormatError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'WireFormatError';
  }
}

/** Checks that `value` is an integer that fits in `bits` unsigned bits. */
export function checkUnsigned(field: string, value: number, bits: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new WireFormatError(field, `${value} is not an unsigned ${bits}-bit integer`);
  }
  return value;
}

/** Checks that `length` bytes are left in `bytes` from `offset`. */
export function checkRemaining(
  field: string,
  bytes: Uint8Array,
  offset: number,
  length: number,
): void {
  const left = Math.max(0, bytes.length - offset);
  if (left < length) throw new WireFormatError(field, `truncated: ${left} of ${length} bytes`);
}

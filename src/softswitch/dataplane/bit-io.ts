/**
 * Big-endian bit fields in byte buffers, as BMv2 lays out header fields and hash inputs: a
 * field of `width` bits starts `bitOffset` bits into the buffer, most significant bit first.
 * Values of up to 53 bits are numbers, wider ones bigints (see value.ts).
 */

/** Widest field held as a JS number (exact integers up to 2^53). */
export const MAX_NUMBER_WIDTH = 53;

export type NumberReader = (bytes: Uint8Array, base: number) => number;
export type BigReader = (bytes: Uint8Array, base: number) => bigint;
export type NumberWriter = (bytes: Uint8Array, base: number, value: number) => void;
export type BigWriter = (bytes: Uint8Array, base: number, value: bigint) => void;

const POW2 = Array.from({ length: 64 }, (_, i) => 2 ** i);

/** Reads `width` (<= 53) bits at `bitOffset` bits after byte `base`. */
export function numberReader(bitOffset: number, width: number): NumberReader {
  const first = bitOffset >> 3;
  const lead = bitOffset & 7;
  const span = (lead + width + 7) >> 3;
  if (lead === 0 && (width & 7) === 0) {
    switch (width) {
      case 8:
        return (b, base) => b[base + first]!;
      case 16:
        return (b, base) => (b[base + first]! << 8) | b[base + first + 1]!;
      case 32:
        return (b, base) =>
          ((b[base + first]! << 24) |
            (b[base + first + 1]! << 16) |
            (b[base + first + 2]! << 8) |
            b[base + first + 3]!) >>>
          0;
      case 48:
        return (b, base) => {
          const at = base + first;
          return (
            ((b[at]! << 8) | b[at + 1]!) * 2 ** 32 +
            (((b[at + 2]! << 24) | (b[at + 3]! << 16) | (b[at + 4]! << 8) | b[at + 5]!) >>> 0)
          );
        };
    }
  }
  if (span <= 4) {
    // Within 32 bits: integer shifts.
    const trailing = span * 8 - lead - width;
    const mask = width === 32 ? 0xffffffff : 2 ** width - 1;
    return (b, base) => {
      let v = 0;
      for (let i = 0; i < span; i++) v = (v << 8) | b[base + first + i]!;
      return ((v >>> trailing) & mask) >>> 0;
    };
  }
  if (span <= 6) {
    // At most 48 bits gathered: exact as a number, then drop the trailing bits and the lead.
    const trailing = span * 8 - lead - width;
    const divisor = POW2[trailing]!;
    const modulus = POW2[width]!;
    return (b, base) => {
      let v = 0;
      for (let i = 0; i < span; i++) v = v * 256 + b[base + first + i]!;
      return Math.floor(v / divisor) % modulus;
    };
  }
  const big = bigReader(bitOffset, width);
  return (b, base) => Number(big(b, base));
}

/** Reads `width` bits (any width) at `bitOffset` bits after byte `base`, as a bigint. */
export function bigReader(bitOffset: number, width: number): BigReader {
  const first = bitOffset >> 3;
  const lead = bitOffset & 7;
  const span = (lead + width + 7) >> 3;
  const trailing = BigInt(span * 8 - lead - width);
  return (b, base) => {
    let v = 0n;
    for (let i = 0; i < span; i++) v = (v << 8n) | BigInt(b[base + first + i]!);
    return BigInt.asUintN(width, v >> trailing);
  };
}

/**
 * Writes `width` (<= 53) bits at `bitOffset` bits after byte `base`. The bits of the target
 * range must be zero (writers fill fresh, zeroed buffers in order); others are kept.
 */
export function numberWriter(bitOffset: number, width: number): NumberWriter {
  const first = bitOffset >> 3;
  const lead = bitOffset & 7;
  const span = (lead + width + 7) >> 3;
  // Whole bytes: plain stores (the target bytes are zero, so storing equals OR-ing).
  if (lead === 0 && (width & 7) === 0) {
    switch (width) {
      case 8:
        return (b, base, value) => void (b[base + first] = value);
      case 16:
        return (b, base, value) => {
          b[base + first] = value >>> 8;
          b[base + first + 1] = value & 0xff;
        };
      case 32:
        return (b, base, value) => {
          const at = base + first;
          b[at] = value >>> 24;
          b[at + 1] = (value >>> 16) & 0xff;
          b[at + 2] = (value >>> 8) & 0xff;
          b[at + 3] = value & 0xff;
        };
      case 48:
        return (b, base, value) => {
          const at = base + first;
          const high = Math.floor(value / 2 ** 32);
          const low = value >>> 0;
          b[at] = high >>> 8;
          b[at + 1] = high & 0xff;
          b[at + 2] = low >>> 24;
          b[at + 3] = (low >>> 16) & 0xff;
          b[at + 4] = (low >>> 8) & 0xff;
          b[at + 5] = low & 0xff;
        };
    }
  }
  if (span <= 4) {
    const trailing = span * 8 - lead - width;
    return (b, base, value) => {
      const v = value << trailing;
      for (let i = 0; i < span; i++) {
        const at = base + first + i;
        b[at] = b[at]! | ((v >>> (8 * (span - 1 - i))) & 0xff);
      }
    };
  }
  if (span <= 6) {
    const trailing = span * 8 - lead - width;
    const multiplier = POW2[trailing]!;
    return (b, base, value) => {
      let v = value * multiplier;
      for (let i = span - 1; i >= 0; i--) {
        const byte = v % 256;
        b[base + first + i] = b[base + first + i]! | byte;
        v = (v - byte) / 256;
      }
    };
  }
  const big = bigWriter(bitOffset, width);
  return (b, base, value) => big(b, base, BigInt(value));
}

/** Writes `width` bits (any width) from a bigint; same contract as numberWriter. */
export function bigWriter(bitOffset: number, width: number): BigWriter {
  const first = bitOffset >> 3;
  const lead = bitOffset & 7;
  const span = (lead + width + 7) >> 3;
  const trailing = BigInt(span * 8 - lead - width);
  return (b, base, value) => {
    let v = BigInt.asUintN(width, value) << trailing;
    for (let i = span - 1; i >= 0; i--) {
      b[base + first + i] = b[base + first + i]! | Number(v & 0xffn);
      v >>= 8n;
    }
  };
}

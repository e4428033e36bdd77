/**
 * BMv2's hash algorithms (behavioral-model src/bm_sim/calculations.cpp), bit-exact, by the
 * names the JSON uses in calculations and selectors. Each takes the input bytes BMv2's
 * BufBuilder produces (see calculation.ts) and returns the unsigned result.
 *
 * Parameters (width, polynomial, init, reflected in/out, final xor):
 *   crc16          16, 0x8005,     0,          yes, 0            (CRC-16/ARC)
 *   crc32          32, 0x04C11DB7, 0xFFFFFFFF, yes, 0xFFFFFFFF   (CRC-32/IEEE)
 *   crcCCITT       16, 0x1021,     0xFFFF,     no,  0            (CRC-16/CCITT-FALSE)
 *   crc8_custom, crc16_custom, crc32_custom: BMv2's defaults for the custom CRCs
 *     (0x07/0/0/no/no, 0x8005/0/0/yes/yes, 0x04C11DB7/~0/~0/yes/yes) until a control plane
 *     changes them, which this target does not offer.
 *   csum16/cksum16 the Internet checksum (ones' complement of the ones' complement sum of
 *                  16-bit big-endian words, an odd last byte padded with zero).
 *   xor16/xor32    XOR of big-endian words, the last one zero-padded.
 *   identity       the first (up to) 8 bytes as a big-endian integer.
 */
import { unsupported } from './load-errors.ts';

export interface HashAlgorithm {
  readonly name: string;
  /** Result width in bits. */
  readonly width: number;
  /** The result; exact as a number when width <= 32. */
  compute(data: Uint8Array, length: number): number;
  /** The result as a bigint (any width). */
  computeBig(data: Uint8Array, length: number): bigint;
}

interface CrcParameters {
  readonly width: 8 | 16 | 32;
  readonly polynomial: number;
  readonly init: number;
  readonly reflected: boolean;
  readonly finalXor: number;
}

function reflectBits(value: number, width: number): number {
  let r = 0;
  for (let i = 0; i < width; i++) if (value & (2 ** i)) r += 2 ** (width - 1 - i);
  return r;
}

/** A table-driven CRC of width <= 32, reflected variants done with a reflected table. */
function crc(name: string, p: CrcParameters): HashAlgorithm {
  const { width, reflected, finalXor } = p;
  const mask = width === 32 ? 0xffffffff : (1 << width) - 1;
  const table = new Uint32Array(256);
  if (reflected) {
    const poly = reflectBits(p.polynomial, width);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
      table[n] = c >>> 0;
    }
  } else {
    const top = 2 ** (width - 1);
    for (let n = 0; n < 256; n++) {
      let c = width >= 8 ? n * 2 ** (width - 8) : n;
      for (let k = 0; k < 8; k++) {
        c = c & top ? ((c * 2) ^ p.polynomial) & mask : (c * 2) & mask;
        c >>>= 0;
      }
      table[n] = c;
    }
  }
  const init = reflected ? reflectBits(p.init, width) : p.init;
  const shift = width - 8;
  const compute = reflected
    ? (data: Uint8Array, length: number) => {
        let c = init;
        for (let i = 0; i < length; i++) c = (c >>> 8) ^ table[(c ^ data[i]!) & 0xff]!;
        return ((c ^ finalXor) & mask) >>> 0;
      }
    : (data: Uint8Array, length: number) => {
        let c = init;
        for (let i = 0; i < length; i++) {
          c = ((c << 8) & mask) ^ table[((c >>> shift) ^ data[i]!) & 0xff]!;
          c >>>= 0;
        }
        return ((c ^ finalXor) & mask) >>> 0;
      };
  return { name, width, compute, computeBig: (d, l) => BigInt(compute(d, l)) };
}

function csum16(name: string): HashAlgorithm {
  const compute = (data: Uint8Array, length: number) => {
    let sum = 0;
    let i = 0;
    for (; i + 1 < length; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
    if (i < length) sum += data[i]! << 8;
    while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
    return ~sum & 0xffff;
  };
  return { name, width: 16, compute, computeBig: (d, l) => BigInt(compute(d, l)) };
}

function xorWords(name: string, bytes: 2 | 4): HashAlgorithm {
  const compute = (data: Uint8Array, length: number) => {
    let acc = 0;
    for (let i = 0; i < length; i += bytes) {
      let word = 0;
      for (let k = 0; k < bytes; k++) word = word * 256 + (i + k < length ? data[i + k]! : 0);
      acc = (acc ^ word) >>> 0;
    }
    return acc;
  };
  return { name, width: bytes * 8, compute, computeBig: (d, l) => BigInt(compute(d, l)) };
}

const identity: HashAlgorithm = {
  name: 'identity',
  width: 64,
  compute: (data, length) => Number(identity.computeBig(data, length)),
  computeBig: (data, length) => {
    let v = 0n;
    for (let i = 0; i < Math.min(8, length); i++) v = (v << 8n) | BigInt(data[i]!);
    return v;
  },
};

const algorithms = new Map<string, HashAlgorithm>(
  [
    crc('crc16', { width: 16, polynomial: 0x8005, init: 0, reflected: true, finalXor: 0 }),
    crc('crc32', {
      width: 32,
      polynomial: 0x04c11db7,
      init: 0xffffffff,
      reflected: true,
      finalXor: 0xffffffff,
    }),
    crc('crcCCITT', { width: 16, polynomial: 0x1021, init: 0xffff, reflected: false, finalXor: 0 }),
    crc('crc8_custom', { width: 8, polynomial: 0x07, init: 0, reflected: false, finalXor: 0 }),
    crc('crc16_custom', { width: 16, polynomial: 0x8005, init: 0, reflected: true, finalXor: 0 }),
    crc('crc32_custom', {
      width: 32,
      polynomial: 0x04c11db7,
      init: 0xffffffff,
      reflected: true,
      finalXor: 0xffffffff,
    }),
    csum16('csum16'),
    csum16('cksum16'),
    xorWords('xor16', 2),
    xorWords('xor32', 4),
    identity,
  ].map((a) => [a.name, a]),
);

/** The algorithm BMv2 registers under `name`; refuses the ones this target does not compute. */
export function hashAlgorithm(name: string, where: string): HashAlgorithm {
  const algorithm = algorithms.get(name);
  if (!algorithm) throw unsupported(`hash algorithm '${name}' in ${where}`);
  return algorithm;
}

import { describe, expect, it } from 'vitest';
import { hashAlgorithm } from '../../src/softswitch/dataplane/hash-algorithms.ts';
import { DataplaneError } from '../../src/softswitch/dataplane/dataplane-error.ts';

const check = new TextEncoder().encode('123456789');

function hash(name: string, bytes: Uint8Array): number {
  return hashAlgorithm(name, 'test').compute(bytes, bytes.length);
}

describe('BMv2 hash algorithms', () => {
  // Check values of the catalogued CRCs over "123456789" (BMv2's parameters in the file comment).
  it.each([
    ['crc32', 0xcbf43926],
    ['crc32_custom', 0xcbf43926],
    ['crc16', 0xbb3d],
    ['crc16_custom', 0xbb3d],
    ['crcCCITT', 0x29b1],
    ['crc8_custom', 0xf4],
  ])('%s of "123456789" is its catalogued check value', (name, expected) => {
    expect(hash(name, check)).toBe(expected);
  });

  it('crc16 and crc32 of nothing are their init after the final xor', () => {
    expect(hash('crc16', new Uint8Array(0))).toBe(0);
    expect(hash('crc32', new Uint8Array(0))).toBe(0);
  });

  it('only reads the given length of the buffer', () => {
    const padded = new Uint8Array([...check, 0xff, 0xff]);
    expect(hashAlgorithm('crc32', 'test').compute(padded, check.length)).toBe(0xcbf43926);
  });

  it('csum16 is the Internet checksum of an IPv4 header (RFC 1071 example header)', () => {
    // 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7, checksum field zeroed.
    const header = Uint8Array.from([
      0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00,
      0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ]);
    expect(hash('csum16', header)).toBe(0xb861);
    header[10] = 0xb8;
    header[11] = 0x61;
    expect(hash('csum16', header)).toBe(0);
  });

  it('csum16 pads an odd last byte with zero at the end', () => {
    expect(hash('csum16', Uint8Array.from([0x12, 0x34, 0x56]))).toBe(~(0x1234 + 0x5600) & 0xffff);
  });

  it('xor16 and xor32 fold big-endian words, the last one zero-padded', () => {
    const bytes = Uint8Array.from([0x12, 0x34, 0xab, 0xcd, 0xff]);
    expect(hash('xor16', bytes)).toBe(0x1234 ^ 0xabcd ^ 0xff00);
    expect(hash('xor32', bytes)).toBe((0x1234abcd ^ 0xff000000) >>> 0);
  });

  it('identity is the first 8 bytes as a big-endian integer', () => {
    const algorithm = hashAlgorithm('identity', 'test');
    const bytes = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(algorithm.computeBig(bytes, 9)).toBe(0x0102030405060708n);
    expect(algorithm.computeBig(bytes, 2)).toBe(0x0102n);
  });

  it('refuses algorithms it does not compute, naming them', () => {
    expect(() => hashAlgorithm('random', 'selector x')).toThrow(DataplaneError);
    expect(() => hashAlgorithm('xxh64', 'selector x')).toThrow(
      /hash algorithm 'xxh64' in selector x/,
    );
  });
});

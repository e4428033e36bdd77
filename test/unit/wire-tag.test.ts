import { describe, expect, it } from 'vitest';
import {
  computeTag,
  halfSipHash24,
  tagKeyBytes,
  tagMessageBytes,
  type TagInput,
} from '../../src/wire/tag.ts';
import { WireFormatError } from '../../src/wire/wire-error.ts';

/**
 * The reference implementation's HalfSipHash-2-4 32-bit vectors (veorq/SipHash vectors.h,
 * vectors_hsip32): key 00 01 .. 07, message 00 01 .. (n-1) for n = 0..63, output bytes.
 */
// prettier-ignore
const REFERENCE_HSIP32 = [
  'a9359f5b', '27475ab8', 'fa62a603', '8afee704', '2a6e4689', 'c5fab669', '5863fc23', '8bcf63c5',
  'd0b8848f', 'f806e779', '94b07934', '08083050', '57f0872f', '77e663ff', 'd6fff87c', '74fe2b97',
  'd9b5ac84', 'c474645b', '465b8d9b', '7befe387', 'e34d1045', '613f62b3', '70f367fe', 'e6adb8bd',
  '27400c63', '26787875', '4f567b5f', '3ab0e669', 'b0644000', 'ff670fb4', '509e338b', '5d589f1a',
  'fee72112', '33753259', '6a434f8c', 'fe28b729', 'e75cc6ec', '697e8d54', '63688b0f', '650b62b4',
  'b6bc1840', '5d074505', '2442fd2e', '7bb7863a', '7705d548', 'd75208b1', 'b6d499c8', '0892202e',
  '69e12ce3', '8db580e5', '369764c6', '016e0204', '3b85f3d4', 'fedb66be', '1e692a3a', 'c68984c0',
  'a5c5b940', '9be9e88c', '7dbc8140', '7c078ec5', 'd4e76c73', '428fcbb9', 'bd83997a', '59ea4a74',
];

const input: TagInput = {
  key: 0x0011223344556677n,
  clientAddr: '10.244.1.5',
  vipAddr: '10.96.0.10',
  clientPort: 0x9c40,
  vipPort: 80,
  protocol: 6,
  serviceId: 0x000003e9,
  slot: 0x0102,
};

const outputBytes = (word: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(word);
  return bytes.toString('hex');
};

describe('tag', () => {
  it('is HalfSipHash-2-4 as the reference implementation computes it (all 64 vectors)', () => {
    const key = Uint8Array.from({ length: 8 }, (_, i) => i);
    const message = Uint8Array.from({ length: 64 }, (_, i) => i);
    REFERENCE_HSIP32.forEach((expected, n) => {
      expect(outputBytes(halfSipHash24(key, message.subarray(0, n))), `length ${n}`).toBe(expected);
    });
  });

  it('reads a 64-bit key little-endian: k0 is its low word', () => {
    expect(Buffer.from(tagKeyBytes(0x0706050403020100n)).toString('hex')).toBe('0001020304050607');
  });

  it('covers the 19 bytes: words client addr, VIP, ports, service, then slot and protocol', () => {
    expect(Buffer.from(tagMessageBytes(input)).toString('hex')).toBe(
      '0501f40a' + '0a00600a' + '5000409c' + 'e9030000' + '0201' + '06',
    );
    expect(computeTag(input)).toBe(halfSipHash24(tagKeyBytes(input.key), tagMessageBytes(input)));
  });

  it('changes when any covered field or any key bit changes', () => {
    const base = computeTag(input);
    const changed: Partial<TagInput>[] = [
      { key: input.key ^ 1n },
      { key: input.key ^ (1n << 63n) },
      { clientAddr: '10.244.1.6' },
      { vipAddr: '10.96.0.11' },
      { clientPort: input.clientPort + 1 },
      { vipPort: 81 },
      { protocol: 17 },
      { serviceId: input.serviceId + 1 },
      { slot: input.slot + 1 },
    ];
    for (const change of changed) expect(computeTag({ ...input, ...change })).not.toBe(base);
  });

  it('refuses out-of-range fields by name', () => {
    expect(() => computeTag({ ...input, slot: 0x10000 })).toThrow(WireFormatError);
    expect(() => computeTag({ ...input, slot: 0x10000 })).toThrow(/^tag\.slot: /);
    expect(() => computeTag({ ...input, vipAddr: '10.96.0' })).toThrow(
      /^tag\.vip_addr: not an IPv4/,
    );
    expect(() => computeTag({ ...input, key: -1n })).toThrow(/^tag\.key: /);
    expect(() => computeTag({ ...input, key: 1n << 64n })).toThrow(/^tag\.key: /);
    expect(() => halfSipHash24(new Uint8Array(4), new Uint8Array(0))).toThrow(/^tag\.key: /);
  });
});

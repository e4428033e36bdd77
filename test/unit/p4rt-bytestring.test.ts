import { describe, expect, it } from 'vitest';
import {
  BytestringError,
  canonicalBytestring,
  decodeBytestring,
  encodeBytestring,
  fixedWidthBytes,
} from '../../src/p4rt/bytestring.ts';

describe('bytestrings', () => {
  it('encodes canonically: shortest big-endian form, one zero byte for 0', () => {
    expect(encodeBytestring(0, 32, 'f')).toEqual(Buffer.from([0]));
    expect(encodeBytestring(1, 32, 'f')).toEqual(Buffer.from([1]));
    expect(encodeBytestring(0x1234, 32, 'f')).toEqual(Buffer.from([0x12, 0x34]));
    expect(encodeBytestring(0x10000, 32, 'f')).toEqual(Buffer.from([1, 0, 0]));
    expect(encodeBytestring(2n ** 48n - 1n, 48, 'f')).toEqual(Buffer.alloc(6, 0xff));
  });

  it('refuses values wider than the field, naming it', () => {
    expect(() => encodeBytestring(512, 9, 'forward_to_host.port')).toThrowError(
      new BytestringError('forward_to_host.port: value 512 does not fit in 9 bits'),
    );
    expect(() => encodeBytestring(-1, 8, 'p')).toThrow(/negative/);
    expect(() => encodeBytestring(1.5, 8, 'p')).toThrow(/not an integer/);
  });

  it('decodes any length that fits, and refuses empty or too wide strings', () => {
    expect(decodeBytestring(Buffer.from([0, 0, 0x12, 0x34]), 16, 'f')).toBe(0x1234n);
    expect(decodeBytestring(Buffer.from([0x01, 0xff]), 9, 'f')).toBe(511n);
    expect(() => decodeBytestring(Buffer.from([0x02, 0x00]), 9, 'slot')).toThrow(
      'slot: value 0x200 does not fit in 9 bits',
    );
    expect(() => decodeBytestring(Buffer.alloc(0), 8, 'f')).toThrow('f: empty bytestring');
  });

  it('round-trips through encode and decode at every width boundary', () => {
    for (const width of [1, 8, 9, 16, 32, 48, 64]) {
      for (const value of [0n, 1n, (1n << BigInt(width)) - 1n]) {
        expect(decodeBytestring(encodeBytestring(value, width, 'f'), width, 'f')).toBe(value);
      }
    }
  });

  it('canonicalizes padded strings', () => {
    expect(canonicalBytestring(Buffer.from([0, 0, 5]))).toEqual(Buffer.from([5]));
    expect(canonicalBytestring(Buffer.from([0, 0]))).toEqual(Buffer.from([0]));
  });

  it('gives the fixed-width form for display', () => {
    expect(fixedWidthBytes(0x0a0000000001n, 48)).toEqual(Buffer.from('0a0000000001', 'hex'));
    expect(fixedWidthBytes(5, 9)).toEqual(Buffer.from([0, 5]));
  });
});

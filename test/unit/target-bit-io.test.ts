import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bigReader,
  bigWriter,
  numberReader,
  numberWriter,
} from '../../src/softswitch/dataplane/bit-io.ts';

/** Reference: bit i of the buffer, MSB first. */
function bitsOf(bytes: Uint8Array, from: number, width: number): bigint {
  let v = 0n;
  for (let i = from; i < from + width; i++)
    v = (v << 1n) | BigInt((bytes[i >> 3]! >> (7 - (i & 7))) & 1);
  return v;
}

describe('bit fields in byte buffers', () => {
  it('numberReader reads any width up to 53 bits at any offset', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 53 }),
        fc.integer({ min: 0, max: 2 }),
        (bytes, offset, width, base) => {
          fc.pre(base * 8 + offset + width <= 128);
          const expected = bitsOf(bytes, base * 8 + offset, width);
          expect(numberReader(offset, width)(bytes, base)).toBe(Number(expected));
          expect(bigReader(offset, width)(bytes, base)).toBe(expected);
        },
      ),
    );
  });

  it('writers put back what readers read, leaving the other bits alone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 80 }),
        fc.bigInt({ min: 0n, max: (1n << 80n) - 1n }),
        (offset, width, raw) => {
          const value = BigInt.asUintN(width, raw);
          const bytes = new Uint8Array(16);
          if (width <= 53) numberWriter(offset, width)(bytes, 1, Number(value));
          else bigWriter(offset, width)(bytes, 1, value);
          expect(bitsOf(bytes, 8 + offset, width)).toBe(value);
          expect(bitsOf(bytes, 0, 8 + offset)).toBe(0n);
          expect(bitsOf(bytes, 8 + offset + width, 128 - 8 - offset - width)).toBe(0n);
        },
      ),
    );
  });
});

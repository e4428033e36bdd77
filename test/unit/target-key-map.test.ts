import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyMap, type KeyValue } from '../../src/softswitch/dataplane/key-map.ts';

/**
 * A field value of `width` bits: small values (so that keys repeat and deletes hit), the
 * top bit alone, all ones, and any value of the width.
 */
function fieldValue(width: number): fc.Arbitrary<KeyValue> {
  if (width > 53) {
    const max = (1n << BigInt(width)) - 1n;
    return fc.oneof(
      fc.bigInt({ min: 0n, max: 7n }),
      fc.constant(1n << BigInt(width - 1)),
      fc.constant(max),
      fc.bigInt({ min: 0n, max }),
    );
  }
  const max = 2 ** width - 1;
  return fc.oneof(
    fc.integer({ min: 0, max: Math.min(max, 7) }),
    fc.constant(2 ** (width - 1)),
    fc.constant(max),
    fc.integer({ min: 0, max }),
  );
}

/** Every packing (one number, two numbers, string) behaves as a map keyed by the values. */
describe('table key maps', () => {
  it.each([
    ['one word', [9, 16]],
    ['one word of exactly 53 bits', [32, 21]],
    ['a single 53-bit field', [53]],
    ['two words', [32, 8, 16]],
    ['two words, the second full', [48, 53]],
    ['a string for fields over 53 bits', [64, 8]],
    ['a string for a 128-bit field', [128]],
    ['no key at all', []],
  ] as const)('%s', (_name, widths) => {
    const keyArbitrary = fc.tuple(...widths.map((w) => fieldValue(w))) as fc.Arbitrary<KeyValue[]>;
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArbitrary, fc.boolean()), { maxLength: 40 }), (ops) => {
        const map = keyMap<number>(widths);
        const reference = new Map<string, number>();
        ops.forEach(([key, remove], i) => {
          const text = key.map(String).join(',');
          if (remove) {
            map.delete(key);
            reference.delete(text);
          } else {
            map.set(key, i);
            reference.set(text, i);
          }
          expect(map.size).toBe(reference.size);
        });
        for (const [key] of ops)
          expect(map.get(key)).toBe(reference.get(key.map(String).join(',')));
      }),
    );
  });

  it('tells apart keys that differ only in the top bit of a field', () => {
    // (VIP, protocol, port): 32 + 8 + 16 bits, two words.
    const map = keyMap<string>([32, 8, 16]);
    map.set([0x0a00_0001, 6, 80], 'low');
    map.set([0x8a00_0001, 6, 80], 'vip top bit');
    map.set([0x0a00_0001, 0x86, 80], 'protocol top bit');
    map.set([0x0a00_0001, 6, 0x8050], 'port top bit');
    expect(map.size).toBe(4);
    expect(map.get([0x8a00_0001, 6, 80])).toBe('vip top bit');
    expect(map.get([0x0a00_0001, 0x86, 80])).toBe('protocol top bit');
    expect(map.get([0x0a00_0001, 6, 0x8050])).toBe('port top bit');
    expect(map.get([0x0a00_0001, 6, 80])).toBe('low');
    const wide = keyMap<string>([53]);
    wide.set([2 ** 52], 'top');
    wide.set([0], 'zero');
    expect([wide.get([2 ** 52]), wide.get([0]), wide.size]).toEqual(['top', 'zero', 2]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyMap, type KeyValue } from '../../src/target/dataplane/key-map.ts';

/** Every packing (one number, two numbers, string) behaves as a map keyed by the values. */
describe('table key maps', () => {
  it.each([
    ['one word', [9, 16]],
    ['two words', [32, 8, 16]],
    ['a string for fields over 53 bits', [64, 8]],
    ['no key at all', []],
  ] as const)('%s', (_name, widths) => {
    const valueOf = (w: number) =>
      w > 53
        ? fc.bigInt({ min: 0n, max: (1n << BigInt(w)) - 1n })
        : fc.integer({ min: 0, max: Math.min(2 ** w - 1, 7) });
    const keyArbitrary = fc.tuple(...widths.map((w) => valueOf(w))) as fc.Arbitrary<KeyValue[]>;
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
});

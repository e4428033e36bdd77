import { describe, expect, it } from 'vitest';
import { drawTagKey, TagKeyRing } from '../../src/reconcile/tag-key.ts';

/** Keys 1, 2, 3, ... in order, so every rotation is visible. */
function counter(): () => bigint {
  let next = 0n;
  return () => ++next;
}

describe('tag key ring', () => {
  it('starts epoch 0 with a drawn key standing in as the previous one', () => {
    const ring = new TagKeyRing(undefined, counter());
    expect(ring.value).toBeUndefined();
    expect(ring.ensure()).toEqual({ epoch: 0, current: 1n, previous: 1n });
    expect(ring.ensure()).toEqual({ epoch: 0, current: 1n, previous: 1n });
  });

  it('rotates: a fresh key becomes current, the current one previous, the older one is gone', () => {
    const ring = new TagKeyRing(undefined, counter());
    ring.ensure();
    expect(ring.rotate()).toEqual({ epoch: 1, current: 2n, previous: 1n });
    expect(ring.rotate()).toEqual({ epoch: 2, current: 3n, previous: 2n });
  });

  it('wraps the 16-bit epoch', () => {
    const ring = new TagKeyRing(undefined, counter());
    ring.adopt({ epoch: 0xffff, current: 7n, previous: 6n });
    expect(ring.rotate()).toEqual({ epoch: 0, current: 1n, previous: 7n });
  });

  it("adopts a switch's keys once, and never key 0 (a switch nobody programmed)", () => {
    const ring = new TagKeyRing(undefined, counter());
    ring.adopt({ epoch: 0, current: 0n, previous: 0n });
    expect(ring.value).toBeUndefined();
    ring.adopt({ epoch: 4, current: 40n, previous: 30n });
    ring.adopt({ epoch: 9, current: 90n, previous: 80n });
    expect(ring.ensure()).toEqual({ epoch: 4, current: 40n, previous: 30n });
  });

  it('rotates to a configured key that differs from the adopted one (a configuration change)', () => {
    const ring = new TagKeyRing(50n, counter());
    ring.adopt({ epoch: 4, current: 40n, previous: 30n });
    expect(ring.value).toEqual({ epoch: 5, current: 50n, previous: 40n });
    const same = new TagKeyRing(40n, counter());
    same.adopt({ epoch: 4, current: 40n, previous: 30n });
    expect(same.value).toEqual({ epoch: 4, current: 40n, previous: 30n });
    expect(same.rotatable).toBe(false);
    expect(new TagKeyRing(undefined).rotatable).toBe(true);
  });

  it('draws non-zero 64-bit keys that differ', () => {
    const keys = new Set(Array.from({ length: 64 }, () => drawTagKey()));
    expect(keys.size).toBe(64);
    for (const key of keys) {
      expect(key).toBeGreaterThan(0n);
      expect(key).toBeLessThan(1n << 64n);
    }
    // 64 keys of 64 random bits: some key has its top bit set unless the draw is narrower.
    expect([...keys].some((key) => key >= 1n << 63n)).toBe(true);
  });
});

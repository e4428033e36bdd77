import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/base/backoff.ts';

describe('Backoff', () => {
  it('grows by the multiplier up to the cap', () => {
    const backoff = new Backoff({ initialMs: 100, multiplier: 2, maxMs: 1000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoff.attempts).toBe(6);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 50, multiplier: 3, jitter: 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(50);
    expect(backoff.attempts).toBe(1);
  });

  it('spreads each delay over ±jitter of itself', () => {
    const low = new Backoff({ initialMs: 1000, jitter: 0.2, random: () => 0 });
    const high = new Backoff({ initialMs: 1000, jitter: 0.2, random: () => 0.999999 });
    expect(low.next()).toBe(800);
    expect(high.next()).toBe(1200);
    const random = new Backoff({ initialMs: 1000, multiplier: 1, jitter: 0.5 });
    for (let i = 0; i < 100; i++) {
      const delay = random.next();
      expect(delay).toBeGreaterThanOrEqual(500);
      expect(delay).toBeLessThanOrEqual(1500);
    }
  });

  it('refuses nonsensical settings', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(/initialMs/);
    expect(() => new Backoff({ initialMs: 10, maxMs: 5 })).toThrow(/maxMs/);
    expect(() => new Backoff({ multiplier: 0.5 })).toThrow(/multiplier/);
    expect(() => new Backoff({ jitter: 2 })).toThrow(/jitter/);
  });
});

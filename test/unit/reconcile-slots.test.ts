import { describe, expect, it } from 'vitest';
import { IdAllocator, LowestFreeIds, ServiceSlots } from '../../src/reconcile/id-allocator.ts';

describe('LowestFreeIds', () => {
  it('hands out the lowest free id and reuses released ones smallest first', () => {
    const ids = new LowestFreeIds(1, 10);
    expect([ids.take(), ids.take(), ids.take(), ids.take()]).toEqual([1, 2, 3, 4]);
    ids.release(3);
    ids.release(2);
    expect([ids.take(), ids.take(), ids.take()]).toEqual([2, 3, 5]);
  });

  it('claims specific ids and skips them later', () => {
    const ids = new LowestFreeIds(0, 4);
    expect(ids.claim(1)).toBe(true);
    expect(ids.claim(1)).toBe(false);
    expect(ids.claim(5)).toBe(false);
    expect([ids.take(), ids.take()]).toEqual([0, 2]);
  });

  it('reports exhaustion instead of wrapping', () => {
    const ids = new LowestFreeIds(0, 1);
    expect([ids.take(), ids.take(), ids.take()]).toEqual([0, 1, undefined]);
  });
});

describe('ServiceSlots', () => {
  it('keeps a backend on its slot and gives new backends the lowest free slot', () => {
    const slots = new ServiceSlots(16);
    expect(slots.assign('10.0.0.1', 80)).toBe(0);
    expect(slots.assign('10.0.0.2', 80)).toBe(1);
    expect(slots.assign('10.0.0.1', 80)).toBe(0);
    expect(slots.assign('10.0.0.1', 81)).toBe(2);
  });

  it('does not give a draining slot to another backend, and frees it once released', () => {
    const slots = new ServiceSlots(16);
    slots.assign('10.0.0.1', 80);
    slots.assign('10.0.0.2', 80);
    slots.startDraining(0, 1000);
    expect(slots.assign('10.0.0.3', 80)).toBe(2);
    slots.release(0);
    expect(slots.assign('10.0.0.4', 80)).toBe(0);
  });

  it('gives a backend that comes back while draining its own slot again', () => {
    const slots = new ServiceSlots(16);
    slots.assign('10.0.0.1', 80);
    slots.startDraining(0, 1000);
    expect(slots.holder(0)?.drainingUntil).toBe(1000);
    expect(slots.assign('10.0.0.1', 80)).toBe(0);
    expect(slots.holder(0)?.drainingUntil).toBeUndefined();
  });

  it('is bounded by the configured maximum and by 16 bits', () => {
    const slots = new ServiceSlots(2);
    expect([slots.assign('a', 1), slots.assign('b', 1), slots.assign('c', 1)]).toEqual([
      0,
      1,
      undefined,
    ]);
    const wide = new ServiceSlots(1 << 20);
    expect(wide.adopt(65535, '10.0.0.1', 1)).toBe(true);
    expect(wide.adopt(65536, '10.0.0.2', 1)).toBe(false);
  });

  it('adopts slots from a switch; a second slot of one address is kept but not reused', () => {
    const slots = new ServiceSlots(16);
    expect(slots.adopt(4, '10.0.0.1', 80)).toBe(true);
    expect(slots.adopt(7, '10.0.0.1', 80)).toBe(true);
    expect(slots.slotOf('10.0.0.1:80')).toBe(4);
    expect(slots.holder(7)?.endpoint).toBe('10.0.0.1:80#7');
    expect(slots.assign('10.0.0.2', 80)).toBe(0);
  });
});

describe('IdAllocator', () => {
  it('gives frontends stable service ids from 1 and frees them on release', () => {
    const ids = new IdAllocator(16);
    expect(ids.serviceId('a')).toBe(1);
    expect(ids.serviceId('b')).toBe(2);
    expect(ids.serviceId('a')).toBe(1);
    ids.release('a');
    expect(ids.serviceIdOf('a')).toBeUndefined();
    expect(ids.serviceId('c')).toBe(1);
  });

  it('adopts ids found on a switch and allocates around them', () => {
    const ids = new IdAllocator(16);
    expect(ids.adoptServiceId('x', 2)).toBe(true);
    expect(ids.adoptServiceId('y', 2)).toBe(false);
    expect(ids.serviceId('y')).toBe(1);
    expect(ids.serviceId('z')).toBe(3);
    expect(ids.isEmpty).toBe(false);
  });

  it("forgets a released service's slots", () => {
    const ids = new IdAllocator(16);
    const id = ids.serviceId('a');
    ids.slots(id).assign('10.0.0.1', 80);
    ids.release('a');
    expect(ids.slots(ids.serviceId('b')).size).toBe(0);
  });
});

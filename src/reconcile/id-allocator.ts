import { SLOT_LIMIT } from './p4-names.ts';
import { BucketBudget } from './bucket-sizing.ts';
import type { BucketHash } from './switch-entries.ts';

/** Lowest-free allocation of integers in [min, max]: ids are reused smallest first. */
export class LowestFreeIds {
  private readonly used = new Set<number>();
  /** Every id below the hint is in use. */
  private hint: number;

  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {
    this.hint = min;
  }

  get size(): number {
    return this.used.size;
  }

  has(id: number): boolean {
    return this.used.has(id);
  }

  /** The lowest free id, now in use; undefined when all of [min, max] are taken. */
  take(): number | undefined {
    while (this.hint <= this.max && this.used.has(this.hint)) this.hint++;
    if (this.hint > this.max) return undefined;
    this.used.add(this.hint);
    return this.hint++;
  }

  /** Marks a specific id used (adoption); false when it is taken or out of range. */
  claim(id: number): boolean {
    if (id < this.min || id > this.max || this.used.has(id)) return false;
    this.used.add(id);
    return true;
  }

  release(id: number): void {
    if (this.used.delete(id) && id < this.hint) this.hint = id;
  }
}

/** A backend address that owns a slot. */
export interface SlotHolder {
  readonly endpoint: string;
  readonly addr: string;
  readonly port: number;
  /** Set while the backend is gone from the service: the slot is kept until then. */
  drainingUntil: number | undefined;
  /**
   * When the slot was given to the backend (-Infinity: adopted from the switch); for a
   * ClientIP-affinity bucket table, when its wait to join the table started.
   */
  since: number;
}

export const endpointKey = (addr: string, port: number): string => `${addr}:${port}`;

/**
 * The slots of one service. A backend keeps its slot for as long as it is in the service
 * (active or terminating) and, once removed, until its drain time is over, so connections
 * whose cookie names the slot keep reaching it; a draining slot is never given to another
 * backend. The same backend coming back while draining gets its slot back.
 */
export class ServiceSlots {
  /** The holder of each slot, undefined where the slot is free (few slots: an array). */
  private readonly holders: (SlotHolder | undefined)[] = [];
  private readonly byEndpoint = new Map<string, number>();
  private count = 0;
  /** Every slot below the hint is in use. */
  private hint = 0;
  private readonly limit: number;
  /**
   * The service's bucket table (bucket -> slot) as last derived or adopted from the
   * switch: the previous table the next assignment keeps what it can of.
   */
  buckets: { readonly hash: BucketHash; readonly table: readonly number[] } | undefined;

  constructor(readonly maxSlots: number) {
    this.limit = Math.min(maxSlots, SLOT_LIMIT);
  }

  get size(): number {
    return this.count;
  }

  slotOf(endpoint: string): number | undefined {
    return this.byEndpoint.get(endpoint);
  }

  holder(slot: number): SlotHolder | undefined {
    return this.holders[slot];
  }

  /** The held slots in ascending order, with their holders. */
  entries(): [number, SlotHolder][] {
    const held: [number, SlotHolder][] = [];
    this.holders.forEach((holder, slot) => {
      if (holder !== undefined) held.push([slot, holder]);
    });
    return held;
  }

  /**
   * The slot of `addr:port`, a fresh one (given at `now`) if it has none; undefined when
   * none is free.
   */
  assign(addr: string, port: number, now = 0): number | undefined {
    const endpoint = endpointKey(addr, port);
    const existing = this.byEndpoint.get(endpoint);
    if (existing !== undefined) {
      this.holders[existing]!.drainingUntil = undefined;
      return existing;
    }
    while (this.hint < this.limit && this.holders[this.hint] !== undefined) this.hint++;
    if (this.hint >= this.limit) return undefined;
    const slot = this.hint++;
    this.hold(slot, { endpoint, addr, port, drainingUntil: undefined, since: now });
    this.byEndpoint.set(endpoint, slot);
    return slot;
  }

  /**
   * Takes over a slot found on the switch. A second slot for an address that already has
   * one is kept as draining (connections may use it) but is not the address's slot.
   */
  adopt(slot: number, addr: string, port: number): boolean {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.limit) return false;
    if (this.holders[slot] !== undefined) return false;
    const endpoint = endpointKey(addr, port);
    const duplicate = this.byEndpoint.has(endpoint);
    this.hold(slot, {
      endpoint: duplicate ? `${endpoint}#${slot}` : endpoint,
      addr,
      port,
      drainingUntil: undefined,
      since: -Infinity,
    });
    if (!duplicate) this.byEndpoint.set(endpoint, slot);
    return true;
  }

  startDraining(slot: number, until: number): void {
    const holder = this.holders[slot];
    if (holder !== undefined && holder.drainingUntil === undefined) holder.drainingUntil = until;
  }

  release(slot: number): void {
    const holder = this.holders[slot];
    if (holder === undefined) return;
    this.holders[slot] = undefined;
    this.count--;
    while (this.holders.length > 0 && this.holders[this.holders.length - 1] === undefined)
      this.holders.pop();
    if (slot < this.hint) this.hint = slot;
    if (this.byEndpoint.get(holder.endpoint) === slot) this.byEndpoint.delete(holder.endpoint);
  }

  private hold(slot: number, holder: SlotHolder): void {
    while (this.holders.length < slot) this.holders.push(undefined);
    this.holders[slot] = holder;
    this.count++;
  }
}

/**
 * Service ids (uint32, 0 = none) of the frontends on one switch, and each service's slots.
 * Ids are kept for as long as the frontend is desired and never move; after a controller
 * restart they are adopted from what the switch holds.
 */
export class IdAllocator {
  private readonly serviceIds = new LowestFreeIds(1, 0xffff_ffff);
  private readonly idOf = new Map<string, number>();
  private readonly slotsOf = new Map<number, ServiceSlots>();
  /** The switch's bucket_select entries shared among the services' bucket tables. */
  private bucketBudget = new BucketBudget(0);

  constructor(readonly maxSlotsPerService: number) {}

  get buckets(): BucketBudget {
    return this.bucketBudget;
  }

  /** Sets the switch's bucket_select size, keeping the tables the services have. */
  setBucketCapacity(capacity: number): void {
    if (capacity === this.bucketBudget.capacity) return;
    this.bucketBudget = new BucketBudget(capacity);
    for (const [serviceId, slots] of this.slotsOf) {
      const size = slots.buckets?.table.length ?? 0;
      if (size > 0 && this.bucketBudget.reserve(serviceId, size) !== size)
        slots.buckets = undefined;
    }
  }

  /** Nothing allocated or adopted yet. */
  get isEmpty(): boolean {
    return this.idOf.size === 0;
  }

  /** Frontends with a service id. */
  get size(): number {
    return this.idOf.size;
  }

  frontendKeys(): IterableIterator<string> {
    return this.idOf.keys();
  }

  serviceIdOf(frontendKey: string): number | undefined {
    return this.idOf.get(frontendKey);
  }

  /** The frontend's service id, allocating the lowest free one for a new frontend. */
  serviceId(frontendKey: string): number {
    const existing = this.idOf.get(frontendKey);
    if (existing !== undefined) return existing;
    const id = this.serviceIds.take();
    if (id === undefined) throw new RangeError('service ids exhausted (2^32 - 1 in use)');
    this.idOf.set(frontendKey, id);
    return id;
  }

  /** Takes over a frontend's service id found on the switch; false if it is taken. */
  adoptServiceId(frontendKey: string, serviceId: number): boolean {
    if (this.idOf.has(frontendKey) || !this.serviceIds.claim(serviceId)) return false;
    this.idOf.set(frontendKey, serviceId);
    return true;
  }

  slots(serviceId: number): ServiceSlots {
    let slots = this.slotsOf.get(serviceId);
    if (slots === undefined) {
      slots = new ServiceSlots(this.maxSlotsPerService);
      this.slotsOf.set(serviceId, slots);
    }
    return slots;
  }

  /** Forgets a frontend: its service id and all its slots become free. */
  release(frontendKey: string): void {
    const id = this.idOf.get(frontendKey);
    if (id === undefined) return;
    this.idOf.delete(frontendKey);
    this.slotsOf.delete(id);
    this.bucketBudget.release(id);
    this.serviceIds.release(id);
  }
}

/**
 * How many buckets a Service's table gets (docs/reconcile.md, "Bucket tables"): a power of
 * two (the switch masks the hash), at least `minBuckets`, `bucketsPerBackend` per bucket
 * member so loads stay within 1 / bucketsPerBackend of each other, at most `maxBuckets`.
 * A table never shrinks while its Service lives (shrinking would move flows; doubling
 * moves none, see resizeBuckets), and all tables of a switch share the bucket_select
 * table's size (BucketBudget).
 */
export interface BucketSizing {
  readonly minBuckets: number;
  readonly bucketsPerBackend: number;
  readonly maxBuckets: number;
}

export const DEFAULT_BUCKET_SIZING: BucketSizing = {
  minBuckets: 256,
  bucketsPerBackend: 32,
  maxBuckets: 16_384,
};

/** The size a table of `members` members wants, given its current size (0: none yet). */
export function wantedBucketCount(members: number, current: number, sizing: BucketSizing): number {
  let size = sizing.minBuckets;
  while (size < members * sizing.bucketsPerBackend && size < sizing.maxBuckets) size *= 2;
  return Math.max(Math.min(size, sizing.maxBuckets), current);
}

/** The bucket_select entries a switch has, shared out among Services' tables. */
export class BucketBudget {
  private readonly sizes = new Map<number, number>();
  private used = 0;

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  sizeOf(serviceId: number): number {
    return this.sizes.get(serviceId) ?? 0;
  }

  /**
   * The size service `serviceId` gets: `wanted` if it fits beside the other tables, else
   * its current size (0: no table; the Service uses the selectors).
   */
  reserve(serviceId: number, wanted: number): number {
    const current = this.sizeOf(serviceId);
    if (wanted === current) return current;
    if (this.used - current + wanted > this.capacity) return current;
    this.used += wanted - current;
    this.sizes.set(serviceId, wanted);
    return wanted;
  }

  release(serviceId: number): void {
    this.used -= this.sizeOf(serviceId);
    this.sizes.delete(serviceId);
  }
}

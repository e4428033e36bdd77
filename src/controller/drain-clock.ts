import type { EndpointSlice } from '../k8s/objects/endpoint-slice.ts';
import { drainKey, type DrainedEndpoints } from '../model/model-config.ts';

/**
 * Remembers since when each terminating endpoint has been terminating, so that the model
 * can drop it once the drain time is over (its connections had that long to finish).
 * The model stays pure: it receives the set of drained endpoints as an input.
 */
export class DrainClock {
  /** service key -> endpoint ip -> first time seen terminating (ms). */
  private readonly since = new Map<string, Map<string, number>>();
  private readonly drainedSet = new Set<string>();

  /** drainMs: Infinity keeps terminating endpoints until they leave their slice. */
  constructor(private readonly drainMs: number) {}

  get drained(): DrainedEndpoints {
    return this.drainedSet;
  }

  /** Records the terminating endpoints of one Service as its slices are now. */
  observe(serviceKey: string, slices: readonly EndpointSlice[], now: number): void {
    const terminating = new Set<string>();
    for (const slice of slices) {
      for (const endpoint of slice.endpoints) {
        if (endpoint.conditions.terminating) terminating.add(endpoint.addresses[0]!);
      }
    }
    const known = this.since.get(serviceKey) ?? new Map<string, number>();
    for (const ip of known.keys()) {
      if (!terminating.has(ip)) {
        known.delete(ip);
        this.drainedSet.delete(drainKey(serviceKey, ip));
      }
    }
    for (const ip of terminating) {
      if (known.has(ip)) continue;
      known.set(ip, now);
      if (this.drainMs <= 0) this.drainedSet.add(drainKey(serviceKey, ip));
    }
    if (known.size > 0) this.since.set(serviceKey, known);
    else this.since.delete(serviceKey);
  }

  forget(serviceKey: string): void {
    for (const ip of this.since.get(serviceKey)?.keys() ?? []) {
      this.drainedSet.delete(drainKey(serviceKey, ip));
    }
    this.since.delete(serviceKey);
  }

  /** Marks the endpoints whose drain time is over; returns the Services they belong to. */
  expire(now: number): string[] {
    const services: string[] = [];
    for (const [serviceKey, known] of this.since) {
      let changed = false;
      for (const [ip, since] of known) {
        const key = drainKey(serviceKey, ip);
        if (now - since >= this.drainMs && !this.drainedSet.has(key)) {
          this.drainedSet.add(key);
          changed = true;
        }
      }
      if (changed) services.push(serviceKey);
    }
    return services;
  }

  /** When the next endpoint's drain time is over, or undefined when none is waiting. */
  nextExpiry(): number | undefined {
    if (!Number.isFinite(this.drainMs)) return undefined;
    let next: number | undefined;
    for (const [serviceKey, known] of this.since) {
      for (const [ip, since] of known) {
        if (this.drainedSet.has(drainKey(serviceKey, ip))) continue;
        const at = since + this.drainMs;
        if (next === undefined || at < next) next = at;
      }
    }
    return next;
  }
}

/** How reconnect delays grow: exponentially from `initialMs`, capped, with random jitter. */
export interface BackoffOptions {
  /** First delay. Default 100 ms. */
  readonly initialMs?: number;
  /** Growth factor per attempt. Default 1.6. */
  readonly multiplier?: number;
  /** Largest delay before jitter. Default 10 s. */
  readonly maxMs?: number;
  /** Each delay is spread uniformly over ±jitter of itself (0..1). Default 0.2. */
  readonly jitter?: number;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  readonly random?: () => number;
}

export const DEFAULT_BACKOFF = {
  initialMs: 100,
  multiplier: 1.6,
  maxMs: 10_000,
  jitter: 0.2,
} as const;

/**
 * Exponential backoff with jitter and a cap. `next()` returns the delay before the next
 * attempt and grows the base; `reset()` after a success starts over. Jitter keeps many
 * controllers (or one controller's many switch sessions) from retrying in lockstep.
 */
export class Backoff {
  private readonly initialMs: number;
  private readonly multiplier: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private baseMs: number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
    this.multiplier = options.multiplier ?? DEFAULT_BACKOFF.multiplier;
    this.maxMs = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
    this.jitter = options.jitter ?? DEFAULT_BACKOFF.jitter;
    this.random = options.random ?? Math.random;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs)) {
      throw new RangeError(
        `backoff: need 0 < initialMs <= maxMs, got ${this.initialMs}, ${this.maxMs}`,
      );
    }
    if (!(this.multiplier >= 1)) throw new RangeError(`backoff: multiplier ${this.multiplier} < 1`);
    if (!(this.jitter >= 0 && this.jitter <= 1)) {
      throw new RangeError(`backoff: jitter ${this.jitter} outside 0..1`);
    }
    this.baseMs = this.initialMs;
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay to wait before the next attempt, in milliseconds. */
  next(): number {
    const base = this.baseMs;
    this.attempt++;
    this.baseMs = Math.min(this.baseMs * this.multiplier, this.maxMs);
    const spread = base * this.jitter * (this.random() * 2 - 1);
    return Math.max(0, Math.round(base + spread));
  }

  reset(): void {
    this.baseMs = this.initialMs;
    this.attempt = 0;
  }
}

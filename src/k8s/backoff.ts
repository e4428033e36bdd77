/**
 * Exponential backoff with jitter and a cap: each failure doubles the delay (from
 * `initialMs` up to `maxMs`), each delay is drawn at random in [delay/2, delay] so that
 * many clients do not retry in step, and success resets it.
 */
export class Backoff {
  private nextMs: number;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {
    this.nextMs = initialMs;
  }

  /** The delay before the next attempt; the one after it will be longer. */
  next(): number {
    const delay = this.nextMs;
    this.nextMs = Math.min(this.maxMs, this.nextMs * 2);
    return Math.round(delay / 2 + (this.random() * delay) / 2);
  }

  reset(): void {
    this.nextMs = this.initialMs;
  }
}

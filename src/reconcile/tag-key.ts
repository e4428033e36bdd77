import { randomInt } from 'node:crypto';

/**
 * The cookie tag's secret key, one for every switch of a reconciler (a reply may come back
 * through another switch than its request): the configured one, else the first key found
 * on a switch, else a random one drawn when a switch first needs it.
 */
export class TagKey {
  private key: number | undefined;

  constructor(configured: number | undefined) {
    this.key = configured;
  }

  get value(): number | undefined {
    return this.key;
  }

  /** Takes a key found on a switch if none is known yet. */
  adopt(found: number): void {
    if (this.key === undefined && found !== 0) this.key = found;
  }

  /** The key, drawing a random non-zero one if none is known. */
  ensure(): number {
    this.key ??= randomInt(1, 0x1_0000_0000);
    return this.key;
  }
}

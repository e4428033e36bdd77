import { randomBytes } from 'node:crypto';

/**
 * The cookie tag's keys as table tag_key holds them (docs/wire-format.md, "Key epochs"):
 * the epoch the switch stamps with, its 64-bit key, and the previous epoch's key, which
 * still verifies so that open connections survive a rotation.
 */
export interface TagKeys {
  readonly epoch: number;
  readonly current: bigint;
  readonly previous: bigint;
}

const EPOCH_MODULUS = 0x1_0000;

/** A fresh 64-bit key from the system's CSPRNG; never 0 (the switch's initial key). */
export function drawTagKey(): bigint {
  for (;;) {
    const key = randomBytes(8).readBigUInt64BE(0);
    if (key !== 0n) return key;
  }
}

/**
 * The keys of every switch of a reconciler (a reply may come back through another switch
 * than its request). Known keys come from, in order: the switches (the first one found
 * with a key, after a restart), the configured key, or a fresh draw. A configured key
 * that differs from the switches' current one is rotated to: changing the configuration
 * rotates. Key values never leave this class except towards the switches.
 */
export class TagKeyRing {
  private keys: TagKeys | undefined;

  constructor(
    private readonly configured: bigint | undefined,
    private readonly draw: () => bigint = drawTagKey,
  ) {}

  /** Whether rotate() may draw keys: not while the configuration names the key. */
  get rotatable(): boolean {
    return this.configured === undefined;
  }

  /** The keys, if known; only the epoch of them is fit for logs. */
  get value(): TagKeys | undefined {
    return this.keys;
  }

  /** Takes the keys found on a switch if none are known yet (key 0 is no key). */
  adopt(found: TagKeys): void {
    if (this.keys !== undefined || found.current === 0n) return;
    this.keys = found;
    if (this.configured !== undefined && this.configured !== found.current)
      this.rotate(this.configured);
  }

  /** The keys, starting epoch 0 with the configured or a drawn key if none are known. */
  ensure(): TagKeys {
    if (this.keys === undefined) {
      const key = this.configured ?? this.draw();
      // No previous key yet: the current one stands in, so no other key ever verifies.
      this.keys = { epoch: 0, current: key, previous: key };
    }
    return this.keys;
  }

  /** Moves to the next epoch with `next` (default: a fresh key); the current key becomes the previous. */
  rotate(next: bigint = this.draw()): TagKeys {
    const keys = this.ensure();
    this.keys = { epoch: (keys.epoch + 1) % EPOCH_MODULUS, current: next, previous: keys.current };
    return this.keys;
  }
}

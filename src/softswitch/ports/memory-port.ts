import type { Port } from './port.ts';

/**
 * A port with no link behind it, for tests and the demo: `inject` plays a frame arriving
 * from outside, and what the switch sends is kept in `sent` and handed to waiters.
 */
export class MemoryPort implements Port {
  readonly attachment = 'mem';
  /** Every frame the switch sent on this port, oldest first, until `takeSent`. */
  readonly sent: Buffer[] = [];
  private receiver: ((frame: Buffer) => void) | undefined;
  private waiters: Array<(frame: Buffer) => void> = [];
  private closed = false;

  constructor(readonly number: number) {}

  onReceive(receiver: (frame: Buffer) => void): void {
    this.receiver = receiver;
  }

  /** Delivers a frame to the switch as if it arrived on this port. */
  inject(frame: Uint8Array): void {
    if (this.closed) throw new Error(`port ${this.number} is closed`);
    if (!this.receiver) throw new Error(`port ${this.number} has no receiver yet`);
    this.receiver(Buffer.from(frame));
  }

  send(frame: Buffer): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter(frame);
    else this.sent.push(frame);
  }

  /** Returns and forgets the frames sent so far. */
  takeSent(): Buffer[] {
    return this.sent.splice(0, this.sent.length);
  }

  /** The next frame the switch sends on this port (one already sent comes first). */
  nextSent(timeoutMs = 1_000): Promise<Buffer> {
    const queued = this.sent.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (frame: Buffer): void => {
        clearTimeout(timer);
        resolve(frame);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no frame sent on port ${this.number} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.receiver = undefined;
  }
}

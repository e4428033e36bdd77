/**
 * Indexed counter arrays (BMv2 counter_arrays with is_direct false). BMv2 always counts both
 * packets and bytes; bytes are the packet's length as received.
 */
import type { CounterData } from './api.ts';
import { DataplaneError } from './dataplane-error.ts';

export class CounterArray {
  private readonly packets: Float64Array;
  private readonly bytes: Float64Array;

  constructor(
    readonly name: string,
    readonly size: number,
  ) {
    this.packets = new Float64Array(size);
    this.bytes = new Float64Array(size);
  }

  /** Counts one packet; an index out of range counts nothing (BMv2 logs and skips). */
  count(index: number, length: number): void {
    if (index >= this.size || index < 0) return;
    this.packets[index]! += 1;
    this.bytes[index]! += length;
  }

  read(index: number): CounterData {
    this.check(index);
    return { packets: BigInt(this.packets[index]!), bytes: BigInt(this.bytes[index]!) };
  }

  write(index: number, data: CounterData): void {
    this.check(index);
    this.packets[index] = counterNumber(data.packets, `counter '${this.name}' packets`);
    this.bytes[index] = counterNumber(data.bytes, `counter '${this.name}' bytes`);
  }

  private check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new DataplaneError(
        'OUT_OF_RANGE',
        `counter '${this.name}' index ${index} is outside 0..${this.size - 1}`,
      );
    }
  }
}

/** Counter values are kept as numbers: exact below 2^53, far beyond what a test can count. */
export function counterNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DataplaneError('OUT_OF_RANGE', `${what} ${value} is outside 0..2^53-1`);
  }
  return Number(value);
}

/** Register arrays (BMv2 register_arrays): cells of a fixed bit width, zero at load. */
import { MAX_NUMBER_WIDTH } from './bit-io.ts';
import { DataplaneError } from './dataplane-error.ts';

export class RegisterArray {
  /** Cells of up to 53 bits live in `numbers`, wider ones in `bigs`. */
  readonly isBig: boolean;
  readonly numbers: Float64Array;
  readonly bigs: bigint[];

  constructor(
    readonly name: string,
    readonly size: number,
    readonly bitwidth: number,
  ) {
    this.isBig = bitwidth > MAX_NUMBER_WIDTH;
    this.numbers = new Float64Array(this.isBig ? 0 : size);
    this.bigs = this.isBig ? new Array<bigint>(size).fill(0n) : [];
  }

  read(index: number): bigint {
    this.check(index);
    return this.isBig ? this.bigs[index]! : BigInt(this.numbers[index]!);
  }

  write(index: number, value: bigint): void {
    this.check(index);
    if (value < 0n || value >= 1n << BigInt(this.bitwidth)) {
      throw new DataplaneError(
        'OUT_OF_RANGE',
        `register '${this.name}' value ${value} does not fit in ${this.bitwidth} bits`,
      );
    }
    if (this.isBig) this.bigs[index] = value;
    else this.numbers[index] = Number(value);
  }

  private check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new DataplaneError(
        'OUT_OF_RANGE',
        `register '${this.name}' index ${index} is outside 0..${this.size - 1}`,
      );
    }
  }
}

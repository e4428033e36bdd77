/**
 * Compiled values. BMv2 computes with unbounded integers and truncates when it stores into a
 * field; we do the same, but keep a value as a JS number while its magnitude provably stays
 * below 2^53 (`bits` bounds it) and switch to bigint only where it could not.
 */
import { MAX_NUMBER_WIDTH } from './bit-io.ts';
import type { FieldLayout, PacketState } from './packet-layout.ts';

/** An integer that fits a number: |value| < 2^bits, and >= 0 unless `negative`. */
export interface NumberValue {
  readonly kind: 'num';
  readonly bits: number;
  readonly negative: boolean;
  readonly eval: (s: PacketState) => number;
  /** Set when the value is a load-time constant, so users can fold it into their closure. */
  readonly constant?: number;
  /** Set when the value is a field's `num` slot read as is, for the same reason. */
  readonly slot?: number;
}

export interface BigValue {
  readonly kind: 'big';
  readonly eval: (s: PacketState) => bigint;
}

export type DataValue = NumberValue | BigValue;

export interface BoolValue {
  readonly kind: 'bool';
  readonly eval: (s: PacketState) => boolean;
}

/** Raised while a packet is processed for what BMv2 would abort or assert on. */
export class RuntimeFault extends Error {
  override readonly name = 'RuntimeFault';
}

export function numberValue(
  bits: number,
  negative: boolean,
  evaluate: (s: PacketState) => number,
): NumberValue {
  return { kind: 'num', bits, negative, eval: evaluate };
}

export function bigValue(evaluate: (s: PacketState) => bigint): BigValue {
  return { kind: 'big', eval: evaluate };
}

/** Whether a number with magnitude below 2^bits is still exact. */
export function fitsNumber(bits: number): boolean {
  return bits <= MAX_NUMBER_WIDTH;
}

export function asBig(v: DataValue): (s: PacketState) => bigint {
  if (v.kind === 'big') return v.eval;
  const f = v.eval;
  return (s) => BigInt(f(s));
}

export function constantValue(value: bigint): DataValue {
  const magnitude = value < 0n ? -value : value;
  const bits = magnitude.toString(2).length;
  if (fitsNumber(bits)) {
    const n = Number(value);
    return { kind: 'num', bits, negative: value < 0n, eval: () => n, constant: n };
  }
  return bigValue(() => value);
}

export function fieldValue(f: FieldLayout): DataValue {
  const slot = f.slot;
  if (f.isBig) return bigValue((s) => s.big[slot]!);
  return { kind: 'num', bits: f.width, negative: f.signed, eval: (s) => s.num[slot]!, slot };
}

/** Reduces a number to `width` bits (two's complement wrap), exact for any safe integer. */
export function wrapNumber(width: number, signed: boolean): (v: number) => number {
  const modulus = 2 ** width;
  const half = 2 ** (width - 1);
  if (width <= 32 && !signed) {
    if (width === 32) return (v) => v >>> 0;
    const mask = modulus - 1;
    return (v) => (v & mask) >>> 0;
  }
  return (v) => {
    let r = v - Math.floor(v / modulus) * modulus;
    if (signed && r >= half) r -= modulus;
    return r;
  };
}

/** A closure storing `value` into field `f`, truncated to its width as BMv2's Field::set does. */
export function storeInto(f: FieldLayout, value: DataValue): (s: PacketState) => void {
  const slot = f.slot;
  if (f.isBig) {
    const v = asBig(value);
    const width = f.width;
    if (f.signed) return (s) => void (s.big[slot] = BigInt.asIntN(width, v(s)));
    return (s) => void (s.big[slot] = BigInt.asUintN(width, v(s)));
  }
  if (value.kind === 'num') {
    const v = value.eval;
    const inRange = f.signed ? value.bits < f.width : !value.negative && value.bits <= f.width;
    if (inRange) {
      const from = value.slot;
      if (from !== undefined) return (s) => void (s.num[slot] = s.num[from]!);
      const c = value.constant;
      if (c !== undefined) return (s) => void (s.num[slot] = c);
      return (s) => void (s.num[slot] = v(s));
    }
    const wrap = wrapNumber(f.width, f.signed);
    return (s) => void (s.num[slot] = wrap(v(s)));
  }
  const v = value.eval;
  const width = f.width;
  if (f.signed) return (s) => void (s.num[slot] = Number(BigInt.asIntN(width, v(s))));
  return (s) => void (s.num[slot] = Number(BigInt.asUintN(width, v(s))));
}

/** Like storeInto, for a field whose slot is found per packet (a stack element's field). */
export function storeIntoDynamic(
  shape: FieldLayout,
  slotOf: (s: PacketState) => number,
  value: DataValue,
): (s: PacketState) => void {
  const { width, signed } = shape;
  if (shape.isBig) {
    const v = asBig(value);
    return (s) =>
      void (s.big[slotOf(s)] = signed ? BigInt.asIntN(width, v(s)) : BigInt.asUintN(width, v(s)));
  }
  if (value.kind === 'num') {
    const v = value.eval;
    const wrap = wrapNumber(width, signed);
    return (s) => void (s.num[slotOf(s)] = wrap(v(s)));
  }
  const v = value.eval;
  return (s) =>
    void (s.num[slotOf(s)] = Number(
      signed ? BigInt.asIntN(width, v(s)) : BigInt.asUintN(width, v(s)),
    ));
}

/** Unsigned `width`-bit reduction of a value into a number (width <= 53) for keys and indexes. */
export function toUnsignedNumber(value: DataValue, width: number): (s: PacketState) => number {
  if (value.kind === 'num') {
    const v = value.eval;
    if (!value.negative && value.bits <= width) return v;
    const wrap = wrapNumber(width, false);
    return (s) => wrap(v(s));
  }
  const v = value.eval;
  return (s) => Number(BigInt.asUintN(width, v(s)));
}

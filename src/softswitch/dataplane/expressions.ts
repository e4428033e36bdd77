/**
 * Compiles BMv2 JSON expressions (the `expression` type-value objects of conditionals,
 * primitive arguments, parser ops and checksum conditions) into closures over the packet
 * state. Semantics follow BMv2's expressions.cpp: unbounded integer arithmetic (p4c emits the
 * masks that wrap to a width), booleans kept apart from data (d2b / b2d convert).
 */
import { parseHexstr, type TypedValue } from '../bmv2/bmv2-json.ts';
import { invalid, unsupported } from './load-errors.ts';
import type {
  FieldLayout,
  HeaderLayout,
  PacketLayout,
  PacketState,
  StackLayout,
} from './packet-layout.ts';
import {
  RuntimeFault,
  asBig,
  bigValue,
  constantValue,
  fieldValue,
  fitsNumber,
  numberValue,
  type BoolValue,
  type DataValue,
  type NumberValue,
} from './value.ts';

/** What an expression may refer to besides the PHV. */
export interface ExpressionScope {
  readonly layout: PacketLayout;
  /** Bit widths of the enclosing action's parameters (runtime data), if any. */
  readonly paramWidths?: readonly number[];
  /** Names the place in the JSON for error messages, e.g. "action 'X'". */
  readonly where: string;
}

/**
 * A header chosen while the packet runs: an element of a stack at a computed index. The
 * elements share a type, so a field is the same field offset in each.
 */
export interface HeaderRef {
  readonly kind: 'headerRef';
  readonly elements: readonly HeaderLayout[];
  readonly index: (s: PacketState) => number;
}

/** A header known at load time, or one picked at run time. */
export type HeaderTarget = { readonly kind: 'header'; readonly header: HeaderLayout } | HeaderRef;

type Compiled =
  DataValue | BoolValue | HeaderTarget | { readonly kind: 'stack'; readonly stack: StackLayout };

const TWO32 = 2 ** 32;

export function compileData(node: TypedValue, scope: ExpressionScope): DataValue {
  const c = compile(node, scope);
  if (c.kind === 'num' || c.kind === 'big') return c;
  throw invalid(`${scope.where}: expected a data value, found a ${c.kind}`);
}

export function compileBool(node: TypedValue, scope: ExpressionScope): BoolValue {
  const c = compile(node, scope);
  if (c.kind === 'bool') return c;
  throw invalid(`${scope.where}: expected a boolean, found a ${c.kind}`);
}

/** A condition given either as a boolean or as data (non-zero is true), as assert takes it. */
export function compileTruth(
  node: TypedValue,
  scope: ExpressionScope,
): (s: PacketState) => boolean {
  const c = compile(node, scope);
  switch (c.kind) {
    case 'bool':
      return c.eval;
    case 'num':
      return (
        (f) => (s: PacketState) =>
          f(s) !== 0
      )(c.eval);
    case 'big':
      return (
        (f) => (s: PacketState) =>
          f(s) !== 0n
      )(c.eval);
    default:
      throw invalid(`${scope.where}: expected a condition, found a header`);
  }
}

export function compileHeader(node: TypedValue, scope: ExpressionScope): HeaderLayout {
  const c = compile(node, scope);
  if (c.kind === 'header') return c.header;
  throw invalid(`${scope.where}: expected a header, found a ${c.kind}`);
}

/** A header operand that may be a stack element picked at run time. */
export function compileHeaderTarget(node: TypedValue, scope: ExpressionScope): HeaderTarget {
  const c = compile(node, scope);
  if (c.kind === 'header' || c.kind === 'headerRef') return c;
  throw invalid(`${scope.where}: expected a header, found a ${c.kind}`);
}

export function compileStack(node: TypedValue, scope: ExpressionScope): StackLayout {
  const c = compile(node, scope);
  if (c.kind === 'stack') return c.stack;
  throw invalid(`${scope.where}: expected a header stack, found a ${c.kind}`);
}

/** The header a target designates for this packet. */
export function resolveHeader(target: HeaderTarget): (s: PacketState) => HeaderLayout {
  if (target.kind === 'header') {
    const h = target.header;
    return () => h;
  }
  const { elements, index } = target;
  return (s) => elements[index(s)]!;
}

/** A field of a header target: its first element's layout and the slot for this packet. */
export function fieldOfTarget(
  target: HeaderTarget,
  offset: number,
  where: string,
): { readonly shape: FieldLayout; readonly slot: (s: PacketState) => number } {
  const shapeHeader = target.kind === 'header' ? target.header : target.elements[0]!;
  const shape = shapeHeader.fields[offset];
  if (!shape) throw invalid(`${where}: header '${shapeHeader.name}' has no field ${offset}`);
  if (target.kind === 'header') return { shape, slot: () => shape.slot };
  const slots = target.elements.map((e) => e.fields[offset]!.slot);
  const index = target.index;
  return { shape, slot: (s) => slots[index(s)]! };
}

function compile(node: TypedValue, scope: ExpressionScope): Compiled {
  switch (node.type) {
    case 'hexstr':
      if (typeof node.value !== 'string') throw invalid(`${scope.where}: hexstr is not a string`);
      return constantValue(parseHexstr(node.value));
    case 'bool':
      if (typeof node.value !== 'boolean') throw invalid(`${scope.where}: bool is not a boolean`);
      return constBool(node.value);
    case 'field':
      return compileField(node.value, scope);
    case 'header': {
      const header = typeof node.value === 'string' ? scope.layout.header(node.value) : undefined;
      if (!header) throw invalid(`${scope.where}: unknown header ${JSON.stringify(node.value)}`);
      return { kind: 'header', header };
    }
    case 'local':
    case 'runtime_data':
      return compileParam(node.value, scope);
    case 'expression':
      return compileExpressionValue(node.value, scope);
    case 'header_stack': {
      const stack = typeof node.value === 'string' ? scope.layout.stack(node.value) : undefined;
      if (!stack)
        throw invalid(`${scope.where}: unknown header stack ${JSON.stringify(node.value)}`);
      return { kind: 'stack', stack };
    }
    case 'stack_field':
      return compileStackField(node.value, scope);
    case 'union_stack_field':
    case 'header_union':
    case 'header_union_stack':
      throw unsupported(`header unions ('${node.type}' in ${scope.where})`);
    case 'register':
      throw unsupported(`register reads inside expressions (${scope.where})`);
    default:
      throw unsupported(`operand type '${node.type}' in ${scope.where}`);
  }
}

function compileExpressionValue(value: unknown, scope: ExpressionScope): Compiled {
  if (typeof value !== 'object' || value === null) {
    throw invalid(`${scope.where}: expression is not an object`);
  }
  // Primitive parameters wrap the operation once more: {type: expression, value: {op...}}.
  if ('type' in value && !('op' in value)) return compile(value as TypedValue, scope);
  const { op, left, right, cond } = value as {
    op?: unknown;
    left?: TypedValue | null;
    right?: TypedValue | null;
    cond?: TypedValue;
  };
  if (typeof op !== 'string') throw invalid(`${scope.where}: expression without 'op'`);
  const operand = (v: TypedValue | null | undefined, side: string): TypedValue => {
    if (!v || typeof v !== 'object') throw invalid(`${scope.where}: '${op}' lacks its ${side}`);
    return v;
  };
  const data = (v: TypedValue | null | undefined, side: string) =>
    compileData(operand(v, side), scope);
  const bool = (v: TypedValue | null | undefined, side: string) =>
    compileBool(operand(v, side), scope);

  switch (op) {
    case '+':
    case '-':
    case '*':
    case '<<':
    case '>>':
    case '/':
    case '%':
    case '&':
    case '|':
    case '^':
      return arithmetic(op, data(left, 'left'), data(right, 'right'));
    case '~':
      return bitNot(data(right, 'operand'));
    case '==':
    case '!=':
    case '<':
    case '>':
    case '<=':
    case '>=':
      return compare(op, data(left, 'left'), data(right, 'right'));
    case '==b':
    case '!=b': {
      const l = bool(left, 'left').eval;
      const r = bool(right, 'right').eval;
      return op === '==b' ? boolValue((s) => l(s) === r(s)) : boolValue((s) => l(s) !== r(s));
    }
    case 'and': {
      const l = bool(left, 'left').eval;
      const r = bool(right, 'right').eval;
      return boolValue((s) => l(s) && r(s));
    }
    case 'or': {
      const l = bool(left, 'left').eval;
      const r = bool(right, 'right').eval;
      return boolValue((s) => l(s) || r(s));
    }
    case 'not': {
      const r = bool(right, 'operand').eval;
      return boolValue((s) => !r(s));
    }
    case 'd2b': {
      const r = data(right, 'operand');
      if (r.kind === 'num') {
        const slot = r.slot;
        if (slot !== undefined) return boolValue((s) => s.num[slot] !== 0);
        const f = r.eval;
        return boolValue((s) => f(s) !== 0);
      }
      const f = r.eval;
      return boolValue((s) => f(s) !== 0n);
    }
    case 'b2d': {
      const r = bool(right, 'operand').eval;
      return numberValue(1, false, (s) => (r(s) ? 1 : 0));
    }
    case 'valid': {
      const target = compileHeaderTarget(operand(right, 'operand'), scope);
      if (target.kind === 'header') {
        const index = target.header.index;
        return boolValue((s) => s.valid[index] === 1);
      }
      const header = resolveHeader(target);
      return boolValue((s) => s.valid[header(s).index] === 1);
    }
    case 'dereference_header_stack':
    case 'dereference_stack': {
      const stack = compileStack(operand(left, 'left'), scope);
      const index = data(right, 'right');
      return stackElement(stack, index, scope.where);
    }
    case 'access_field': {
      const target = compileHeaderTarget(operand(left, 'left'), scope);
      if (typeof right !== 'number')
        throw invalid(`${scope.where}: access_field needs a field offset`);
      if (target.kind === 'header') {
        const f = target.header.fields[right];
        if (!f)
          throw invalid(`${scope.where}: header '${target.header.name}' has no field ${right}`);
        return fieldValue(f);
      }
      const { shape, slot } = fieldOfTarget(target, right, scope.where);
      if (shape.isBig) return bigValue((s) => s.big[slot(s)]!);
      return numberValue(shape.width, shape.signed, (s) => s.num[slot(s)]!);
    }
    case 'last_stack_index': {
      const index = compileStack(operand(right, 'operand'), scope).index;
      return numberValue(32, true, (s) => s.stackNext[index]! - 1);
    }
    case 'size_stack': {
      const index = compileStack(operand(right, 'operand'), scope).index;
      return numberValue(32, false, (s) => s.stackNext[index]!);
    }
    case '?': {
      const c = bool(cond, 'condition').eval;
      const l = compile(operand(left, 'left'), scope);
      const r = compile(operand(right, 'right'), scope);
      return ternary(c, l, r, scope);
    }
    case 'two_comp_mod':
    case 'sat_cast':
    case 'usat_cast':
      return widthCast(op, data(left, 'left'), data(right, 'right'));
    default:
      throw unsupported(`expression operator '${op}' in ${scope.where}`);
  }
}

/** `stack[index]`: out-of-range indexes are a fault (BMv2 throws). */
function stackElement(stack: StackLayout, index: DataValue, where: string): HeaderRef {
  const i =
    index.kind === 'num'
      ? index.eval
      : (
          (f) => (s: PacketState) =>
            Number(f(s))
        )(index.eval);
  const size = stack.elements.length;
  return {
    kind: 'headerRef',
    elements: stack.elements,
    index: (s) => {
      const n = i(s);
      if (n < 0 || n >= size) {
        throw new RuntimeFault(
          `index ${n} out of bounds of header stack '${stack.name}' in ${where}`,
        );
      }
      return n;
    },
  };
}

/** `[stack, field]`: the field of the last extracted element (BMv2's stack_field). */
function compileStackField(value: unknown, scope: ExpressionScope): DataValue {
  const [stackName, fieldName] = Array.isArray(value) ? (value as unknown[]) : [];
  const stack = typeof stackName === 'string' ? scope.layout.stack(stackName) : undefined;
  if (!stack) throw invalid(`${scope.where}: unknown header stack ${JSON.stringify(value)}`);
  const offset = stack.elements[0]!.fields.findIndex((f) => f.name === fieldName);
  if (offset < 0)
    throw invalid(`${scope.where}: stack '${stack.name}' has no field ${String(fieldName)}`);
  const last = lastElement(stack, scope.where);
  const { shape, slot } = fieldOfTarget(last, offset, scope.where);
  if (shape.isBig) return bigValue((s) => s.big[slot(s)]!);
  return numberValue(shape.width, shape.signed, (s) => s.num[slot(s)]!);
}

export function lastElement(stack: StackLayout, where: string): HeaderRef {
  const index = stack.index;
  return {
    kind: 'headerRef',
    elements: stack.elements,
    index: (s) => {
      const n = s.stackNext[index]! - 1;
      if (n < 0)
        throw new RuntimeFault(`last element of empty header stack '${stack.name}' in ${where}`);
      return n;
    },
  };
}

function compileField(value: unknown, scope: ExpressionScope): DataValue {
  if (!Array.isArray(value) || value.length !== 2) {
    throw invalid(
      `${scope.where}: field reference ${JSON.stringify(value)} is not [header, field]`,
    );
  }
  const [headerName, fieldName] = value as [unknown, unknown];
  if (typeof headerName !== 'string' || typeof fieldName !== 'string') {
    throw invalid(`${scope.where}: field reference ${JSON.stringify(value)} is not two names`);
  }
  if (fieldName === '$valid$') {
    const header = scope.layout.header(headerName);
    if (!header) throw invalid(`${scope.where}: unknown header '${headerName}'`);
    const index = header.index;
    return numberValue(1, false, (s) => s.valid[index]!);
  }
  const field = scope.layout.field(headerName, fieldName);
  if (!field) throw invalid(`${scope.where}: unknown field '${headerName}.${fieldName}'`);
  return fieldValue(field);
}

function compileParam(value: unknown, scope: ExpressionScope): DataValue {
  const widths = scope.paramWidths;
  if (typeof value !== 'number' || !widths || value < 0 || value >= widths.length) {
    throw invalid(`${scope.where}: runtime data index ${JSON.stringify(value)} out of range`);
  }
  const width = widths[value]!;
  if (fitsNumber(width)) return numberValue(width, false, (s) => s.params[value] as number);
  return bigValue((s) => s.params[value] as bigint);
}

function constBool(value: boolean): BoolValue {
  return boolValue(() => value);
}

function boolValue(evaluate: (s: PacketState) => boolean): BoolValue {
  return { kind: 'bool', eval: evaluate };
}

/** Splits a non-negative number below 2^53 into 32-bit halves for bitwise operations. */
function hi(v: number): number {
  return Math.floor(v / TWO32);
}

function arithmetic(op: string, l: DataValue, r: DataValue): DataValue {
  if (l.kind === 'num' && r.kind === 'num') {
    const n = numberArithmetic(op, l, r);
    if (n) return n;
  }
  const a = asBig(l);
  const b = asBig(r);
  switch (op) {
    case '+':
      return bigValue((s) => a(s) + b(s));
    case '-':
      return bigValue((s) => a(s) - b(s));
    case '*':
      return bigValue((s) => a(s) * b(s));
    case '<<':
      return bigValue((s) => a(s) << b(s));
    case '>>':
      return bigValue((s) => a(s) >> b(s));
    case '/':
      return bigValue((s) => a(s) / nonZero(b(s)));
    case '%':
      return bigValue((s) => a(s) % nonZero(b(s)));
    case '&':
      return bigValue((s) => a(s) & b(s));
    case '|':
      return bigValue((s) => a(s) | b(s));
    default:
      return bigValue((s) => a(s) ^ b(s));
  }
}

function nonZero(d: bigint): bigint {
  if (d === 0n) throw new RuntimeFault('division by zero');
  return d;
}

/** The number form of a binary operation, or undefined when a number could lose bits. */
function numberArithmetic(op: string, l: NumberValue, r: NumberValue): NumberValue | undefined {
  const a = l.eval;
  const b = r.eval;
  const widest = Math.max(l.bits, r.bits);
  const negative = l.negative || r.negative;
  const result = (bits: number, neg: boolean, f: (s: PacketState) => number) =>
    fitsNumber(bits) ? numberValue(bits, neg, f) : undefined;
  switch (op) {
    case '+': {
      const c = r.constant;
      if (c !== undefined) return result(widest + 1, negative, (s) => a(s) + c);
      return result(widest + 1, negative, (s) => a(s) + b(s));
    }
    case '-': {
      const c = r.constant;
      if (c !== undefined) return result(widest + 1, true, (s) => a(s) - c);
      return result(widest + 1, true, (s) => a(s) - b(s));
    }
    case '*':
      return result(l.bits + r.bits, negative, (s) => a(s) * b(s));
    case '<<': {
      if (r.negative || r.bits > 6) return undefined;
      const maxShift = 2 ** r.bits - 1;
      return result(l.bits + maxShift, l.negative, (s) => a(s) * 2 ** b(s));
    }
    case '>>':
      if (r.negative) return undefined;
      return numberValue(l.bits, l.negative, (s) => Math.floor(a(s) / 2 ** b(s)));
    case '/':
    case '%':
      if (negative) return undefined;
      return op === '/'
        ? numberValue(l.bits, false, (s) => Math.floor(a(s) / nonZeroNumber(b(s))))
        : numberValue(r.bits, false, (s) => a(s) % nonZeroNumber(b(s)));
    case '&': {
      // x & m is exact through 32-bit ops when m is a non-negative 32-bit value.
      const m = r.constant;
      if (m !== undefined && m >= 0 && r.bits <= 32) {
        const slot = l.slot;
        if (slot !== undefined) return numberValue(r.bits, false, (s) => (s.num[slot]! & m) >>> 0);
        return numberValue(r.bits, false, (s) => (a(s) & m) >>> 0);
      }
      if (!r.negative && r.bits <= 32)
        return numberValue(r.bits, false, (s) => (a(s) & b(s)) >>> 0);
      if (!l.negative && l.bits <= 32)
        return numberValue(l.bits, false, (s) => (a(s) & b(s)) >>> 0);
      if (negative) return undefined;
      return numberValue(Math.min(l.bits, r.bits), false, (s) => {
        const x = a(s);
        const y = b(s);
        return ((hi(x) & hi(y)) >>> 0) * TWO32 + ((x & y) >>> 0);
      });
    }
    case '|':
    case '^': {
      if (negative) return undefined;
      const combine =
        op === '|'
          ? (x: number, y: number) => (x | y) >>> 0
          : (x: number, y: number) => (x ^ y) >>> 0;
      if (widest <= 32) return numberValue(widest, false, (s) => combine(a(s), b(s)));
      return numberValue(widest, false, (s) => {
        const x = a(s);
        const y = b(s);
        return combine(hi(x), hi(y)) * TWO32 + combine(x, y);
      });
    }
    default:
      return undefined;
  }
}

function nonZeroNumber(d: number): number {
  if (d === 0) throw new RuntimeFault('division by zero');
  return d;
}

function bitNot(v: DataValue): DataValue {
  // Unbounded two's complement: ~x = -x - 1; p4c masks the result to the operand's width.
  if (v.kind === 'num' && fitsNumber(v.bits + 1)) {
    const f = v.eval;
    return numberValue(v.bits + 1, true, (s) => -f(s) - 1);
  }
  const f = asBig(v);
  return bigValue((s) => ~f(s));
}

function compare(op: string, l: DataValue, r: DataValue): BoolValue {
  if (l.kind === 'num' && r.kind === 'num') {
    const folded = compareWithConstant(op, l, r);
    if (folded) return folded;
    const a = l.eval;
    const b = r.eval;
    switch (op) {
      case '==':
        return boolValue((s) => a(s) === b(s));
      case '!=':
        return boolValue((s) => a(s) !== b(s));
      case '<':
        return boolValue((s) => a(s) < b(s));
      case '>':
        return boolValue((s) => a(s) > b(s));
      case '<=':
        return boolValue((s) => a(s) <= b(s));
      default:
        return boolValue((s) => a(s) >= b(s));
    }
  }
  const a = asBig(l);
  const b = asBig(r);
  switch (op) {
    case '==':
      return boolValue((s) => a(s) === b(s));
    case '!=':
      return boolValue((s) => a(s) !== b(s));
    case '<':
      return boolValue((s) => a(s) < b(s));
    case '>':
      return boolValue((s) => a(s) > b(s));
    case '<=':
      return boolValue((s) => a(s) <= b(s));
    default:
      return boolValue((s) => a(s) >= b(s));
  }
}

/** `field OP constant` and `x OP constant` without a closure call for the constant. */
function compareWithConstant(op: string, l: NumberValue, r: NumberValue): BoolValue | undefined {
  const c = r.constant;
  if (c === undefined || (op !== '==' && op !== '!=')) return undefined;
  const slot = l.slot;
  if (slot !== undefined) {
    return op === '==' ? boolValue((s) => s.num[slot] === c) : boolValue((s) => s.num[slot] !== c);
  }
  const a = l.eval;
  return op === '==' ? boolValue((s) => a(s) === c) : boolValue((s) => a(s) !== c);
}

function ternary(
  cond: (s: PacketState) => boolean,
  l: Compiled,
  r: Compiled,
  scope: ExpressionScope,
): Compiled {
  if (l.kind === 'bool' && r.kind === 'bool') {
    const a = l.eval;
    const b = r.eval;
    return boolValue((s) => (cond(s) ? a(s) : b(s)));
  }
  if (l.kind === 'num' && r.kind === 'num') {
    const a = l.eval;
    const b = r.eval;
    return numberValue(Math.max(l.bits, r.bits), l.negative || r.negative, (s) =>
      cond(s) ? a(s) : b(s),
    );
  }
  if ((l.kind === 'num' || l.kind === 'big') && (r.kind === 'num' || r.kind === 'big')) {
    const a = asBig(l);
    const b = asBig(r);
    return bigValue((s) => (cond(s) ? a(s) : b(s)));
  }
  if (l.kind === 'header' && r.kind === 'header' && l.header.typeName === r.header.typeName) {
    // A choice of two headers is a two-element "stack" indexed by the condition.
    return { kind: 'headerRef', elements: [l.header, r.header], index: (s) => (cond(s) ? 0 : 1) };
  }
  throw unsupported(`'?' over ${l.kind} and ${r.kind} values in ${scope.where}`);
}

function widthCast(op: string, value: DataValue, width: DataValue): DataValue {
  const v = asBig(value);
  const w = asBig(width);
  switch (op) {
    case 'two_comp_mod':
      return bigValue((s) => BigInt.asIntN(Number(w(s)), v(s)));
    case 'usat_cast':
      return bigValue((s) => {
        const max = (1n << w(s)) - 1n;
        const x = v(s);
        return x > max ? max : x < 0n ? 0n : x;
      });
    default:
      return bigValue((s) => {
        const bound = 1n << (w(s) - 1n);
        const x = v(s);
        return x > bound - 1n ? bound - 1n : x < -bound ? -bound : x;
      });
  }
}

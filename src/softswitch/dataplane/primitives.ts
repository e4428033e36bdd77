/**
 * The primitives of simple_switch (behavioral-model targets/simple_switch/primitives.cpp and
 * src/bm_sim/core/primitives.cpp) that p4c's v1model backend emits, compiled into closures.
 * Primitives for features this target refuses (clone, resubmit, recirculate, digests,
 * meters, header unions) are rejected at load with their name.
 */
import type { TypedValue } from '../bmv2/bmv2-json.ts';
import { parseHexstr } from '../bmv2/bmv2-json.ts';
import type { CompiledCalculation } from './calculation.ts';
import type { CounterArray } from './counters.ts';
import {
  compileData,
  compileHeader,
  compileHeaderTarget,
  compileStack,
  compileTruth,
  fieldOfTarget,
  resolveHeader,
  type ExpressionScope,
  type HeaderTarget,
} from './expressions.ts';
import { invalid, unsupported } from './load-errors.ts';
import type { FieldLayout, HeaderLayout, PacketState, StackLayout } from './packet-layout.ts';
import type { RegisterArray } from './registers.ts';
import {
  RuntimeFault,
  asBig,
  bigValue,
  numberValue,
  storeInto,
  storeIntoDynamic,
  toUnsignedNumber,
  type DataValue,
} from './value.ts';

/** simple_switch's drop port: egress_spec 511 at the end of ingress or egress drops. */
export const DROP_PORT = 511;

/** What primitives may touch besides the PHV. */
export interface PrimitiveScope extends ExpressionScope {
  readonly calculations: ReadonlyMap<string, CompiledCalculation>;
  readonly counters: ReadonlyMap<string, CounterArray>;
  readonly registers: ReadonlyMap<string, RegisterArray>;
}

/** One step of an action body: a plain operation, or a jump (p4c's `_jump`, `_jump_if_zero`). */
export type Step =
  | { readonly kind: 'op'; readonly run: (s: PacketState) => void }
  | {
      readonly kind: 'jump';
      readonly target: number;
      /** Jump only when this is zero; always when absent. */
      readonly unlessNonZero?: (s: PacketState) => boolean;
    };

const refused: Readonly<Record<string, string>> = {
  clone_ingress_pkt_to_egress: 'clone',
  clone_egress_pkt_to_egress: 'clone',
  resubmit: 'resubmit',
  recirculate: 'recirculate',
  generate_digest: 'digests (learning)',
  execute_meter: 'meters (not supported yet)',
  assign_VL: 'variable-length fields',
  assign_union: 'header unions',
  assign_union_stack: 'header unions',
};

export function compilePrimitive(
  op: string,
  params: readonly TypedValue[],
  scope: PrimitiveScope,
): Step {
  const where = scope.where;
  const refusal = refused[op];
  if (refusal) throw unsupported(`primitive '${op}' (${refusal}) in ${where}`);
  const arity = (n: number) => {
    if (params.length !== n) {
      throw invalid(`${where}: primitive '${op}' takes ${n} parameters, got ${params.length}`);
    }
  };
  const param = (i: number): TypedValue => params[i]!;
  const data = (i: number) => compileData(param(i), scope);
  const op_ = (run: (s: PacketState) => void): Step => ({ kind: 'op', run });

  switch (op) {
    case 'assign':
    case 'modify_field': {
      arity(2);
      return op_(store(param(0), data(1), scope));
    }
    case 'assign_header': {
      arity(2);
      const dst = compileHeaderTarget(param(0), scope);
      const src = compileHeaderTarget(param(1), scope);
      const typeOf = (t: HeaderTarget) =>
        (t.kind === 'header' ? t.header : t.elements[0]!).typeName;
      if (typeOf(dst) !== typeOf(src)) {
        throw invalid(`${where}: assign_header between types ${typeOf(dst)} and ${typeOf(src)}`);
      }
      if (dst.kind === 'header' && src.kind === 'header') {
        const d = dst.header;
        const f = src.header;
        return op_((s) => copyHeader(s, d, f));
      }
      const d = resolveHeader(dst);
      const f = resolveHeader(src);
      return op_((s) => copyHeader(s, d(s), f(s)));
    }
    case 'add_header': {
      arity(1);
      const target = compileHeaderTarget(param(0), scope);
      if (target.kind === 'header') {
        const h = target.header;
        return op_((s) => addHeader(s, h));
      }
      const h = resolveHeader(target);
      return op_((s) => addHeader(s, h(s)));
    }
    case 'remove_header': {
      arity(1);
      const target = compileHeaderTarget(param(0), scope);
      if (target.kind === 'header') {
        const h = target.header;
        return op_((s) => removeHeader(s, h));
      }
      const h = resolveHeader(target);
      return op_((s) => removeHeader(s, h(s)));
    }
    case 'push':
    case 'pop': {
      arity(2);
      const stack = compileStack(param(0), scope);
      const count = toUnsignedNumber(data(1), 32);
      return op_(
        op === 'push' ? (s) => pushFront(s, stack, count(s)) : (s) => popFront(s, stack, count(s)),
      );
    }
    case 'assign_header_stack': {
      arity(2);
      const dst = compileStack(param(0), scope);
      const src = compileStack(param(1), scope);
      if (dst.elements.length !== src.elements.length) {
        throw invalid(`${where}: assign_header_stack between stacks of different sizes`);
      }
      return op_((s) => {
        s.stackNext[dst.index] = s.stackNext[src.index]!;
        dst.elements.forEach((d, i) => copyHeader(s, d, src.elements[i]!));
      });
    }
    case 'mark_to_drop': {
      arity(1);
      const std = compileHeader(param(0), scope);
      const egressSpec = std.fields.find((f) => f.name === 'egress_spec');
      if (!egressSpec) throw invalid(`${where}: mark_to_drop on '${std.name}' without egress_spec`);
      return op_(
        markToDrop(
          egressSpec,
          std.fields.find((f) => f.name === 'mcast_grp'),
        ),
      );
    }
    case 'drop': {
      arity(0);
      const egressSpec = scope.layout.namedField('standard_metadata.egress_spec');
      if (!egressSpec) throw invalid(`${where}: drop without standard_metadata.egress_spec`);
      return op_(markToDrop(egressSpec, scope.layout.namedField('intrinsic_metadata.mcast_grp')));
    }
    case 'exit':
      arity(0);
      return op_((s) => void (s.exit = true));
    case 'no_op':
    case 'log_msg':
      return op_(() => {});
    case 'assert':
    case 'assume': {
      arity(1);
      const condition = compileTruth(param(0), scope);
      return op_((s) => {
        if (!condition(s)) throw new RuntimeFault(`${op} failed in ${where}`);
      });
    }
    case 'count': {
      arity(2);
      const counter = named(scope.counters, param(0), 'counter_array', where);
      const index = toUnsignedNumber(data(1), 32);
      return op_((s) => counter.count(index(s), s.ingressLength));
    }
    case 'register_read': {
      arity(3);
      const register = named(scope.registers, param(1), 'register_array', where);
      const index = toUnsignedNumber(data(2), 32);
      return op_(store(param(0), registerCell(register, index), scope));
    }
    case 'register_write': {
      arity(3);
      const register = named(scope.registers, param(0), 'register_array', where);
      const index = toUnsignedNumber(data(1), 32);
      return op_(registerWrite(register, index, data(2)));
    }
    case 'modify_field_with_hash_based_offset': {
      arity(4);
      const base = data(1);
      const calculation = named(scope.calculations, param(2), 'calculation', where);
      const size = data(3);
      return op_(store(param(0), hashBasedOffset(base, calculation, size), scope));
    }
    case 'modify_field_rng_uniform': {
      arity(3);
      const lo = asBig(data(1));
      const hi = asBig(data(2));
      let drawn = 0n;
      const write = store(
        param(0),
        bigValue(() => drawn),
        scope,
      );
      return op_((s) => {
        const low = lo(s);
        const high = hi(s);
        if (low > high) return; // BMv2 leaves the field alone
        drawn = low + BigInt(Math.floor(Math.random() * (Number(high - low) + 1)));
        write(s);
      });
    }
    case 'truncate': {
      arity(1);
      const length = toUnsignedNumber(data(0), 32);
      return op_((s) => void (s.truncateLength = Math.min(s.truncateLength, length(s))));
    }
    case '_jump': {
      arity(1);
      return { kind: 'jump', target: jumpTarget(param(0), where) };
    }
    case '_jump_if_zero': {
      arity(2);
      const nonZero = compileTruth(param(0), scope);
      return { kind: 'jump', target: jumpTarget(param(1), where), unlessNonZero: nonZero };
    }
    default:
      throw unsupported(`primitive '${op}' in ${where}`);
  }
}

function markToDrop(egressSpec: FieldLayout, mcastGrp: FieldLayout | undefined) {
  const spec = egressSpec.slot;
  const grp = mcastGrp?.slot;
  return (s: PacketState) => {
    s.num[spec] = DROP_PORT;
    if (grp !== undefined) s.num[grp] = 0;
  };
}

/**
 * Stores into the destination of an assignment: a field, or a field of a stack element
 * picked at run time (`access_field` of `dereference_header_stack`).
 */
export function store(
  node: TypedValue,
  value: DataValue,
  scope: ExpressionScope,
): (s: PacketState) => void {
  let target = node;
  // p4c wraps some lvalues as {type: expression, value: {type: field, ...}}.
  while (target.type === 'expression' && isTyped(target.value) && !('op' in target.value)) {
    target = target.value;
  }
  if (target.type === 'expression' && isAccessField(target.value)) {
    const header = compileHeaderTarget(target.value.left, scope);
    const { shape, slot } = fieldOfTarget(header, target.value.right, scope.where);
    return header.kind === 'header'
      ? storeInto(shape, value)
      : storeIntoDynamic(shape, slot, value);
  }
  if (target.type !== 'field') {
    throw unsupported(`assignment to a '${target.type}' in ${scope.where}`);
  }
  const [h, f] = Array.isArray(target.value) ? (target.value as unknown[]) : [];
  const field =
    typeof h === 'string' && typeof f === 'string' ? scope.layout.field(h, f) : undefined;
  if (!field) throw invalid(`${scope.where}: unknown field ${JSON.stringify(target.value)}`);
  return storeInto(field, value);
}

function isAccessField(value: unknown): value is { left: TypedValue; right: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'op' in value &&
    value.op === 'access_field' &&
    'right' in value &&
    typeof value.right === 'number'
  );
}

function copyHeader(s: PacketState, dst: HeaderLayout, src: HeaderLayout): void {
  if (s.valid[src.index] !== 1) {
    s.valid[dst.index] = 0;
    return;
  }
  s.valid[dst.index] = 1;
  const from = src.fields;
  dst.fields.forEach((d, i) => {
    if (d.isBig) s.big[d.slot] = s.big[from[i]!.slot]!;
    else s.num[d.slot] = s.num[from[i]!.slot]!;
  });
}

function addHeader(s: PacketState, h: HeaderLayout): void {
  if (s.valid[h.index] === 1) return;
  h.clear(s);
  s.valid[h.index] = 1;
  s.lengthRegister += h.byteLength;
}

function removeHeader(s: PacketState, h: HeaderLayout): void {
  if (s.valid[h.index] !== 1) return;
  s.lengthRegister -= h.byteLength;
  s.valid[h.index] = 0;
}

/** P4_16 push_front(n): elements move up n places, the first n become invalid. */
function pushFront(s: PacketState, stack: StackLayout, n: number): void {
  if (n === 0) return;
  const e = stack.elements;
  s.stackNext[stack.index] = Math.min(e.length, s.stackNext[stack.index]! + n);
  for (let i = e.length - 1; i >= n; i--) copyHeaderAndValidity(s, e[i]!, e[i - n]!);
  for (let i = 0; i < Math.min(n, e.length); i++) s.valid[e[i]!.index] = 0;
}

/** P4_16 pop_front(n): elements move down n places, the last n become invalid. */
function popFront(s: PacketState, stack: StackLayout, n: number): void {
  if (n === 0) return;
  const e = stack.elements;
  s.stackNext[stack.index] = Math.max(0, s.stackNext[stack.index]! - n);
  for (let i = 0; i + n < e.length; i++) copyHeaderAndValidity(s, e[i]!, e[i + n]!);
  for (let i = Math.max(0, e.length - n); i < e.length; i++) s.valid[e[i]!.index] = 0;
}

function copyHeaderAndValidity(s: PacketState, dst: HeaderLayout, src: HeaderLayout): void {
  s.valid[dst.index] = s.valid[src.index]!;
  const from = src.fields;
  dst.fields.forEach((d, i) => {
    if (d.isBig) s.big[d.slot] = s.big[from[i]!.slot]!;
    else s.num[d.slot] = s.num[from[i]!.slot]!;
  });
}

function isTyped(value: unknown): value is TypedValue {
  return typeof value === 'object' && value !== null && 'type' in value;
}

function named<T>(
  objects: ReadonlyMap<string, T>,
  node: TypedValue,
  type: string,
  where: string,
): T {
  if (node.type !== type || typeof node.value !== 'string') {
    throw invalid(`${where}: expected a ${type}, got '${node.type}'`);
  }
  const object = objects.get(node.value);
  if (!object) throw invalid(`${where}: unknown ${type} '${node.value}'`);
  return object;
}

function jumpTarget(node: TypedValue, where: string): number {
  if (node.type !== 'hexstr' || typeof node.value !== 'string') {
    throw invalid(`${where}: jump offset must be a hexstr`);
  }
  return Number(parseHexstr(node.value));
}

/** A register cell read (BMv2 leaves the destination alone when out of range; we read 0). */
function registerCell(register: RegisterArray, index: (s: PacketState) => number): DataValue {
  if (register.isBig) {
    return bigValue((s) => {
      const i = index(s);
      return i < register.size ? register.bigs[i]! : 0n;
    });
  }
  return numberValue(register.bitwidth, false, (s) => {
    const i = index(s);
    return i < register.size ? register.numbers[i]! : 0;
  });
}

function registerWrite(
  register: RegisterArray,
  index: (s: PacketState) => number,
  value: DataValue,
): (s: PacketState) => void {
  const width = register.bitwidth;
  if (register.isBig) {
    const v = asBig(value);
    return (s) => {
      const i = index(s);
      if (i < register.size) register.bigs[i] = BigInt.asUintN(width, v(s));
    };
  }
  const v = toUnsignedNumber(value, width);
  return (s) => {
    const i = index(s);
    if (i < register.size) register.numbers[i] = v(s);
  };
}

/** base + hash % size, as simple_switch computes it (a size of 0 counts as 1). */
function hashBasedOffset(
  base: DataValue,
  calculation: CompiledCalculation,
  size: DataValue,
): DataValue {
  if (calculation.algorithm.width <= 32 && base.kind === 'num' && size.kind === 'num') {
    const b = base.eval;
    const n = size.eval;
    return numberValue(Math.max(base.bits, 32) + 1, base.negative, (s) => {
      const max = n(s) || 1;
      return (calculation.compute(s) % max) + b(s);
    });
  }
  const b = asBig(base);
  const n = asBig(size);
  return bigValue((s) => {
    const max = n(s) || 1n;
    return (calculation.computeBig(s) % max) + b(s);
  });
}

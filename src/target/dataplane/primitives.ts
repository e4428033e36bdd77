/**
 * The primitives of simple_switch (behavioral-model targets/simple_switch/primitives.cpp and
 * src/bm_sim/core/primitives.cpp) that p4c's v1model backend emits, compiled into closures.
 * Primitives for features this target refuses (clone, resubmit, recirculate, digests,
 * meters, header stacks) are rejected at load with their name.
 */
import type { TypedValue } from '../bmv2/bmv2-json.ts';
import { parseHexstr } from '../bmv2/bmv2-json.ts';
import type { CompiledCalculation } from './calculation.ts';
import type { CounterArray } from './counters.ts';
import { compileData, compileHeader, compileTruth, type ExpressionScope } from './expressions.ts';
import { invalid, unsupported } from './load-errors.ts';
import type { FieldLayout, PacketState } from './packet-layout.ts';
import type { RegisterArray } from './registers.ts';
import {
  RuntimeFault,
  asBig,
  bigValue,
  numberValue,
  storeInto,
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
  push: 'header stacks',
  pop: 'header stacks',
  assign_VL: 'variable-length fields',
  assign_union: 'header unions',
  assign_header_stack: 'header stacks',
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
      return op_(storeInto(lvalue(param(0), scope), data(1)));
    }
    case 'assign_header': {
      arity(2);
      const dst = compileHeader(param(0), scope);
      const src = compileHeader(param(1), scope);
      if (dst.typeName !== src.typeName) {
        throw invalid(`${where}: assign_header between types ${dst.typeName} and ${src.typeName}`);
      }
      const pairs = dst.fields.map((f, i) => [f, src.fields[i]!] as const);
      return op_((s) => {
        if (s.valid[src.index] !== 1) {
          s.valid[dst.index] = 0;
          return;
        }
        s.valid[dst.index] = 1;
        for (const [d, f] of pairs) {
          if (d.isBig) s.big[d.slot] = s.big[f.slot]!;
          else s.num[d.slot] = s.num[f.slot]!;
        }
      });
    }
    case 'add_header': {
      arity(1);
      const h = compileHeader(param(0), scope);
      return op_((s) => {
        if (s.valid[h.index] === 1) return;
        h.clear(s);
        s.valid[h.index] = 1;
        s.lengthRegister += h.byteLength;
      });
    }
    case 'remove_header': {
      arity(1);
      const h = compileHeader(param(0), scope);
      return op_((s) => {
        if (s.valid[h.index] !== 1) return;
        s.lengthRegister -= h.byteLength;
        s.valid[h.index] = 0;
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
      const dst = lvalue(param(0), scope);
      const register = named(scope.registers, param(1), 'register_array', where);
      const index = toUnsignedNumber(data(2), 32);
      const store = storeInto(dst, registerCell(register, index));
      return op_(store);
    }
    case 'register_write': {
      arity(3);
      const register = named(scope.registers, param(0), 'register_array', where);
      const index = toUnsignedNumber(data(1), 32);
      return op_(registerWrite(register, index, data(2)));
    }
    case 'modify_field_with_hash_based_offset': {
      arity(4);
      const dst = lvalue(param(0), scope);
      const base = data(1);
      const calculation = named(scope.calculations, param(2), 'calculation', where);
      const size = data(3);
      return op_(storeInto(dst, hashBasedOffset(base, calculation, size)));
    }
    case 'modify_field_rng_uniform': {
      arity(3);
      const dst = lvalue(param(0), scope);
      const lo = asBig(data(1));
      const hi = asBig(data(2));
      return op_((s) => {
        const low = lo(s);
        const high = hi(s);
        if (low > high) return; // BMv2 leaves the field alone
        const span = Number(high - low) + 1;
        storeInto(
          dst,
          bigValue(() => low + BigInt(Math.floor(Math.random() * span))),
        )(s);
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

/** The destination of an assignment: a field (stack and union lvalues are refused). */
function lvalue(node: TypedValue, scope: ExpressionScope): FieldLayout {
  let target = node;
  // p4c wraps some lvalues as {type: expression, value: {type: field, ...}}.
  while (target.type === 'expression' && isTyped(target.value) && !('op' in target.value)) {
    target = target.value;
  }
  if (target.type !== 'field') {
    throw unsupported(`assignment to a '${target.type}' in ${scope.where}`);
  }
  const [h, f] = Array.isArray(target.value) ? (target.value as unknown[]) : [];
  const field =
    typeof h === 'string' && typeof f === 'string' ? scope.layout.field(h, f) : undefined;
  if (!field) throw invalid(`${scope.where}: unknown field ${JSON.stringify(target.value)}`);
  return field;
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

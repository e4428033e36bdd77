/**
 * The parser (BMv2 parser.cpp): states run their ops in order (extract, set, verify, advance,
 * primitive calls), then build the transition key (byte-padded field values, lookahead bits)
 * and take the first transition whose value matches under its mask, else the default. An
 * error (a header past the end of the packet, a failed verify) stops parsing where it
 * happened; the headers extracted so far stay valid and v1model carries on into ingress.
 */
import { parseHexstr, type ParseState, type TypedValue } from '../bmv2/bmv2-json.ts';
import { bigReader } from './bit-io.ts';
import { compileBool, compileData } from './expressions.ts';
import { invalid, unsupported } from './load-errors.ts';
import type { PacketLayout, PacketState } from './packet-layout.ts';
import { ParserStop, type ParserErrors } from './parser-errors.ts';
import { compilePrimitive, store, type PrimitiveScope } from './primitives.ts';
import { asBig, bigValue, toUnsignedNumber } from './value.ts';

/** The packet being parsed and how far the parser got. */
export interface ParseCursor {
  bytes: Uint8Array;
  offset: number;
}

type ParserOpFn = (s: PacketState, c: ParseCursor) => void;

interface CompiledState {
  readonly name: string;
  ops: ParserOpFn[];
  /** Returns the next state, or null to stop. */
  next: (s: PacketState, c: ParseCursor) => CompiledState | null;
}

/** A bound on state transitions: BMv2 has none, but a looping parser must not hang us. */
const MAX_STATES_PER_PACKET = 4096;

export interface CompiledParser {
  /** Parses `c.bytes`; returns the parser error code (NoError's on success). */
  parse(s: PacketState, c: ParseCursor): number;
}

export function compileParser(
  states: readonly ParseState[],
  initState: string,
  scope: Omit<PrimitiveScope, 'where'>,
  errors: ParserErrors,
): CompiledParser {
  const byName = new Map<string, CompiledState>();
  for (const state of states) {
    byName.set(state.name, { name: state.name, ops: [], next: () => null });
  }
  const resolve = (name: string | null, from: string): CompiledState | null => {
    if (name === null) return null;
    const target = byName.get(name);
    if (!target) throw invalid(`parser state '${from}' goes to unknown state '${name}'`);
    return target;
  };
  for (const json of states) {
    const compiled = byName.get(json.name)!;
    const where = `parser state '${json.name}'`;
    compiled.ops = json.parser_ops.map((op, i) =>
      compileParserOp(
        op.op,
        op.parameters as TypedValue[],
        { ...scope, where: `${where} op ${i} (${op.op})` },
        scope.layout,
        errors,
      ),
    );
    compiled.next = compileTransitions(json, scope.layout, resolve, where);
  }
  const init = resolve(initState, 'init_state');
  const noError = errors.code('NoError');
  const timeout = errors.code('ParserTimeout');
  return {
    parse(s, c) {
      let state = init;
      let steps = 0;
      try {
        while (state) {
          if (++steps > MAX_STATES_PER_PACKET) return timeout;
          for (const op of state.ops) op(s, c);
          state = state.next(s, c);
        }
      } catch (e) {
        if (e instanceof ParserStop) return e.code;
        throw e;
      }
      return noError;
    },
  };
}

function compileParserOp(
  op: string,
  params: readonly TypedValue[],
  scope: PrimitiveScope,
  layout: PacketLayout,
  errors: ParserErrors,
): ParserOpFn {
  const where = scope.where;
  const tooShort = errors.code('PacketTooShort');
  const invalidArgument = errors.code('ParserInvalidArgument');
  const param = (i: number): TypedValue => {
    const p = params[i];
    if (!p) throw invalid(`${where}: missing parameter ${i}`);
    return p;
  };
  switch (op) {
    case 'extract': {
      const target = param(0);
      if (target.type === 'stack') {
        const stack = typeof target.value === 'string' ? layout.stack(target.value) : undefined;
        if (!stack) throw invalid(`${where}: unknown header stack ${JSON.stringify(target.value)}`);
        const outOfBounds = errors.code('StackOutOfBounds');
        const { elements, index } = stack;
        const length = elements[0]!.byteLength;
        return (s, c) => {
          const next = s.stackNext[index]!;
          if (next >= elements.length) throw new ParserStop(outOfBounds);
          if (c.bytes.length - c.offset < length) throw new ParserStop(tooShort);
          elements[next]!.extract(s, c.bytes, c.offset);
          s.stackNext[index] = next + 1;
          c.offset += length;
        };
      }
      if (target.type !== 'regular') {
        throw unsupported(`extract to a '${target.type}' (header unions) in ${where}`);
      }
      const header = typeof target.value === 'string' ? layout.header(target.value) : undefined;
      if (!header) throw invalid(`${where}: unknown header ${JSON.stringify(target.value)}`);
      const length = header.byteLength;
      return (s, c) => {
        if (c.bytes.length - c.offset < length) throw new ParserStop(tooShort);
        header.extract(s, c.bytes, c.offset);
        c.offset += length;
      };
    }
    case 'set': {
      const dst = param(0);
      const src = param(1);
      if (src.type === 'lookahead') {
        const peek = lookahead(src.value, where);
        let peeked = 0n;
        const write = store(
          dst,
          bigValue(() => peeked),
          scope,
        );
        return (s, c) => {
          if (c.bytes.length - c.offset < peek.bytes) throw new ParserStop(tooShort);
          peeked = peek.read(c.bytes, c.offset);
          write(s);
        };
      }
      const write = store(dst, compileData(src, scope), scope);
      return (s) => write(s);
    }
    case 'verify': {
      const condition = compileBool(param(0), scope).eval;
      const error = toUnsignedNumber(compileData(param(1), scope), 32);
      return (s) => {
        if (!condition(s)) throw new ParserStop(error(s));
      };
    }
    case 'shift':
    case 'advance': {
      const amount = compileData(param(0), scope);
      const bits = toUnsignedNumber(amount, 53);
      const unit = op === 'shift' ? 8 : 1;
      return (s, c) => {
        const n = bits(s) * unit;
        // BMv2 refuses advances that are not whole bytes with ParserInvalidArgument.
        if (n % 8 !== 0) throw new ParserStop(invalidArgument);
        if (c.bytes.length - c.offset < n / 8) throw new ParserStop(tooShort);
        c.offset += n / 8;
      };
    }
    case 'primitive': {
      const call = param(0) as unknown as { op?: unknown; parameters?: unknown };
      if (typeof call.op !== 'string' || !Array.isArray(call.parameters)) {
        throw invalid(`${where}: primitive op needs {op, parameters}`);
      }
      const step = compilePrimitive(call.op, call.parameters as TypedValue[], scope);
      if (step.kind !== 'op') throw unsupported(`jumps in parser primitives (${where})`);
      const run = step.run;
      return (s) => run(s);
    }
    case 'extract_VL':
      throw unsupported(`variable-length extraction in ${where}`);
    default:
      throw unsupported(`parser op '${op}' in ${where}`);
  }
}

interface Lookahead {
  /** Bytes that must remain after the cursor. */
  readonly bytes: number;
  readonly read: (bytes: Uint8Array, base: number) => bigint;
}

function lookahead(value: unknown, where: string): Lookahead {
  if (!Array.isArray(value) || value.length !== 2 || !value.every(Number.isInteger)) {
    throw invalid(`${where}: lookahead needs [bit offset, bit width]`);
  }
  const [offset, width] = value as [number, number];
  return { bytes: Math.ceil((offset + width) / 8), read: bigReader(offset, width) };
}

/**
 * The transition function of a state. The key is the concatenation of each element's value
 * padded to whole bytes (BMv2's ParseSwitchKeyBuilder), held as one bigint.
 */
function compileTransitions(
  json: ParseState,
  layout: PacketLayout,
  resolve: (name: string | null, from: string) => CompiledState | null,
  where: string,
): CompiledState['next'] {
  const defaultTransition = json.transitions.find((t) => t.type === 'default');
  const fallback = () => resolve(defaultTransition?.next_state ?? null, json.name);
  if (json.transition_key.length === 0) {
    const next = fallback();
    return () => next;
  }
  const parts = json.transition_key.map((k) => keyPart(k, layout, where));
  const keyBytes = parts.reduce((sum, p) => sum + p.bytes, 0);
  const cases = json.transitions
    .filter((t) => t.type !== 'default')
    .map((t) => {
      if (t.type === 'parse_vset') throw unsupported(`parser value sets in ${where}`);
      const value = BigInt.asUintN(keyBytes * 8, parseHexstr(t.value ?? '0x0'));
      const mask = t.mask ? BigInt.asUintN(keyBytes * 8, parseHexstr(t.mask)) : undefined;
      return {
        value: mask === undefined ? value : value & mask,
        mask,
        next: resolve(t.next_state, json.name),
      };
    });
  const otherwise = fallback();
  const numberReaders = parts.map((p) => p.number);
  if (keyBytes <= 6 && numberReaders.every((r) => r !== undefined)) {
    // The common case (an EtherType; a few small header fields): a key of at most 48 bits,
    // compared as two 24-bit halves so the masks stay in 32-bit integer operations.
    const scales = parts.map((p) => 2 ** (p.bytes * 8));
    const readers = numberReaders as ((s: PacketState) => number)[];
    const half = 2 ** 24;
    const split = (v: bigint) => [Number(v >> 24n), Number(v & 0xffffffn)] as const;
    const numberCases = cases.map((k) => {
      const [valueHi, valueLo] = split(k.value);
      const [maskHi, maskLo] = k.mask === undefined ? [0xffffff, 0xffffff] : split(k.mask);
      return { valueHi, valueLo, maskHi, maskLo, next: k.next };
    });
    return (s) => {
      let key = 0;
      for (let i = 0; i < readers.length; i++) key = key * scales[i]! + readers[i]!(s);
      const lo = key % half;
      const hi = (key - lo) / half;
      for (const k of numberCases) {
        if ((lo & k.maskLo) === k.valueLo && (hi & k.maskHi) === k.valueHi) return k.next;
      }
      return otherwise;
    };
  }
  return (s, c) => {
    let key = 0n;
    for (const p of parts) key = (key << BigInt(p.bytes * 8)) | p.read(s, c);
    for (const k of cases) {
      if ((k.mask === undefined ? key : key & k.mask) === k.value) return k.next;
    }
    return otherwise;
  };
}

function stackFieldWidth(value: unknown, layout: PacketLayout): number {
  const [stackName, fieldName] = value as [string, string];
  return layout.stack(stackName)!.elements[0]!.fields.find((f) => f.name === fieldName)!.width;
}

interface KeyPart {
  readonly bytes: number;
  readonly read: (s: PacketState, c: ParseCursor) => bigint;
  /** A number reader when the part is a field of at most 32 bits. */
  readonly number?: (s: PacketState) => number;
}

function keyPart(k: TypedValue, layout: PacketLayout, where: string): KeyPart {
  if (k.type === 'field') {
    const [h, f] = Array.isArray(k.value) ? (k.value as unknown[]) : [];
    const field = typeof h === 'string' && typeof f === 'string' ? layout.field(h, f) : undefined;
    if (!field) throw invalid(`${where}: unknown transition key field ${JSON.stringify(k.value)}`);
    const { slot, width, isBig } = field;
    const bytes = Math.ceil(width / 8);
    if (isBig) return { bytes, read: (s) => BigInt.asUintN(width, s.big[slot]!) };
    const unsigned = (s: PacketState) => {
      const v = s.num[slot]!;
      return v < 0 ? v + 2 ** width : v;
    };
    return {
      bytes,
      read: (s) => BigInt(unsigned(s)),
      ...(width <= 32 ? { number: unsigned } : {}),
    };
  }
  if (k.type === 'lookahead') {
    const peek = lookahead(k.value, where);
    const width = (k.value as [number, number])[1];
    // BMv2 does not bounds-check lookahead keys; bytes past the end read as zero here.
    return {
      bytes: Math.ceil(width / 8),
      read: (_s, c) => {
        if (c.bytes.length - c.offset >= peek.bytes) return peek.read(c.bytes, c.offset);
        const padded = new Uint8Array(peek.bytes);
        padded.set(c.bytes.subarray(c.offset, Math.min(c.bytes.length, c.offset + peek.bytes)));
        return peek.read(padded, 0);
      },
    };
  }
  if (k.type === 'stack_field') {
    const value = compileData(k, { layout, where });
    const width = stackFieldWidth(k.value, layout);
    const bytes = Math.ceil(width / 8);
    const v = asBig(value);
    return { bytes, read: (s) => BigInt.asUintN(width, v(s)) };
  }
  throw unsupported(`transition key of type '${k.type}' in ${where}`);
}

/**
 * Where every header instance and field of a pipeline lives while a packet is processed
 * (BMv2's PHV). Field values sit in two flat arrays of the packet state: fields of up to 53
 * bits in `num` (a Float64Array of exact integers), wider ones in `big`; validity in `valid`.
 * Header extraction and emission are compiled per header into closures over these slots.
 */
import type { Bmv2Json } from '../bmv2/bmv2-json.ts';
import {
  MAX_NUMBER_WIDTH,
  bigReader,
  bigWriter,
  numberReader,
  numberWriter,
  type BigReader,
  type BigWriter,
  type NumberReader,
  type NumberWriter,
} from './bit-io.ts';
import { invalid, unsupported } from './load-errors.ts';

export interface FieldLayout {
  readonly header: HeaderLayout;
  readonly name: string;
  /** "header.field", as BMv2 names it in logs and field aliases. */
  readonly qualifiedName: string;
  readonly width: number;
  /** int<W> fields (two's complement); values are kept sign-extended. */
  readonly signed: boolean;
  /** Held in `big` (width > 53) rather than `num`. */
  readonly isBig: boolean;
  /** Index into `num` or `big`. */
  readonly slot: number;
  /** Offset of the field from the start of its header, in bits. */
  readonly bitOffset: number;
}

export interface HeaderLayout {
  readonly name: string;
  /** Index into `valid`. */
  readonly index: number;
  readonly typeName: string;
  readonly metadata: boolean;
  readonly fields: readonly FieldLayout[];
  readonly byteLength: number;
  /** Sets the fields from `bytes` at `base` (the caller checked the length) and marks it valid. */
  extract(state: PacketState, bytes: Uint8Array, base: number): void;
  /** Writes the fields into zeroed `bytes` at `base`. */
  emit(state: PacketState, bytes: Uint8Array, base: number): void;
  /** Zeroes the fields (BMv2's Header::reset, used by add_header). */
  clear(state: PacketState): void;
}

/** A header stack: its element instances, in index order. */
export interface StackLayout {
  readonly name: string;
  /** Index into `stackNext`. */
  readonly index: number;
  readonly elements: readonly HeaderLayout[];
}

/** The per-packet state: the PHV plus what simple_switch keeps beside it. */
export class PacketState {
  readonly num: Float64Array;
  readonly big: bigint[];
  readonly valid: Uint8Array;
  /** Per header stack, the index of the next element to extract (BMv2's `next`). */
  readonly stackNext: Int32Array;
  /** Runtime data (action parameters) of the action being run. */
  params: readonly (number | bigint)[] = [];
  /** Set by the `exit` primitive; ends the current control. */
  exit = false;
  /** The packet's length as received (what counters count). */
  ingressLength = 0;
  /** simple_switch's packet length register, moved by add_header/remove_header. */
  lengthRegister = 0;
  /** Set by `truncate`: the most bytes to send. */
  truncateLength = Infinity;
  /** The bytes after the parsed headers. */
  payload: Uint8Array = new Uint8Array(0);

  /** Validity at the start of a packet: metadata instances are always valid (as in BMv2). */
  private readonly initialValid: Uint8Array;

  constructor(layout: PacketLayout) {
    this.num = new Float64Array(layout.numberSlots);
    this.big = new Array<bigint>(layout.bigSlots).fill(0n);
    this.initialValid = Uint8Array.from(layout.headers, (h) => (h.metadata ? 1 : 0));
    this.valid = new Uint8Array(layout.headers.length);
    this.stackNext = new Int32Array(layout.stacks.length);
  }

  /** A fresh PHV for a new packet: every field zero, every packet header invalid. */
  reset(): void {
    this.num.fill(0);
    this.big.fill(0n);
    this.valid.set(this.initialValid);
    this.stackNext.fill(0);
    this.params = [];
    this.exit = false;
    this.truncateLength = Infinity;
  }
}

export class PacketLayout {
  readonly headers: HeaderLayout[] = [];
  readonly stacks: StackLayout[] = [];
  readonly numberSlots: number;
  readonly bigSlots: number;
  private readonly headersByName = new Map<string, HeaderLayout>();
  private readonly aliases = new Map<string, FieldLayout>();
  private readonly stacksByName = new Map<string, StackLayout>();

  constructor(json: Bmv2Json) {
    const types = new Map(json.header_types.map((t) => [t.name, t]));
    let numberSlots = 0;
    let bigSlots = 0;
    for (const [index, instance] of json.headers.entries()) {
      const type = types.get(instance.header_type);
      if (!type) {
        throw invalid(`header '${instance.name}' has unknown type '${instance.header_type}'`);
      }
      const fields: FieldLayout[] = [];
      // Fields point back at their header, so the header is completed after them.
      const header: { -readonly [K in keyof HeaderLayout]: HeaderLayout[K] } = {
        name: instance.name,
        index,
        typeName: type.name,
        metadata: instance.metadata,
        fields,
        byteLength: 0,
        extract: () => {},
        emit: () => {},
        clear: () => {},
      };
      let bitOffset = 0;
      for (const [fieldName, width, signed] of type.fields) {
        if (width === '*') {
          throw unsupported(`variable-length field '${fieldName}' in header type '${type.name}'`);
        }
        const isBig = width > MAX_NUMBER_WIDTH;
        fields.push({
          header,
          name: fieldName,
          qualifiedName: `${instance.name}.${fieldName}`,
          width,
          signed: signed === true || signed === 1,
          isBig,
          slot: isBig ? bigSlots++ : numberSlots++,
          bitOffset,
        });
        bitOffset += width;
      }
      if (!instance.metadata && bitOffset % 8 !== 0) {
        throw invalid(`header '${instance.name}' is ${bitOffset} bits long, not whole bytes`);
      }
      header.byteLength = Math.ceil(bitOffset / 8);
      header.extract = compileExtract(header.index, fields);
      header.emit = compileEmit(fields);
      header.clear = compileClear(fields);
      this.headers.push(header);
      this.headersByName.set(instance.name, header);
    }
    this.numberSlots = numberSlots;
    this.bigSlots = bigSlots;
    const byId = new Map(json.headers.map((h, i) => [h.id, this.headers[i]!]));
    for (const stack of json.header_stacks ?? []) {
      const elements = stack.header_ids.map((id) => {
        const element = byId.get(id);
        if (!element) throw invalid(`header stack '${stack.name}' lists unknown header id ${id}`);
        return element;
      });
      if (elements.some((e) => e.typeName !== stack.header_type)) {
        throw invalid(`header stack '${stack.name}' mixes header types`);
      }
      const layout: StackLayout = { name: stack.name, index: this.stacks.length, elements };
      this.stacks.push(layout);
      this.stacksByName.set(stack.name, layout);
    }
    for (const [alias, [headerName, fieldName]] of json.field_aliases ?? []) {
      const field = this.field(headerName, fieldName);
      if (field) this.aliases.set(alias, field);
    }
  }

  header(name: string): HeaderLayout | undefined {
    return this.headersByName.get(name);
  }

  stack(name: string): StackLayout | undefined {
    return this.stacksByName.get(name);
  }

  field(headerName: string, fieldName: string): FieldLayout | undefined {
    return this.headersByName.get(headerName)?.fields.find((f) => f.name === fieldName);
  }

  /** A field by "header.field" name, following field_aliases (as simple_switch does). */
  namedField(qualifiedName: string): FieldLayout | undefined {
    const aliased = this.aliases.get(qualifiedName);
    if (aliased) return aliased;
    const dot = qualifiedName.indexOf('.');
    return this.field(qualifiedName.slice(0, dot), qualifiedName.slice(dot + 1));
  }
}

function compileExtract(
  index: number,
  fields: readonly FieldLayout[],
): (state: PacketState, bytes: Uint8Array, base: number) => void {
  const narrow = fields.filter((f) => !f.isBig);
  const wide = fields.filter((f) => f.isBig);
  const numberSlots = narrow.map((f) => f.slot);
  const numberReads: NumberReader[] = narrow.map((f) => numberReader(f.bitOffset, f.width));
  const bigSlots = wide.map((f) => f.slot);
  const bigReads: BigReader[] = wide.map((f) => bigReader(f.bitOffset, f.width));
  const signedFields = fields.filter((f) => f.signed);
  return (state, bytes, base) => {
    const num = state.num;
    for (let i = 0; i < numberReads.length; i++)
      num[numberSlots[i]!] = numberReads[i]!(bytes, base);
    for (let i = 0; i < bigReads.length; i++) state.big[bigSlots[i]!] = bigReads[i]!(bytes, base);
    for (const f of signedFields) signExtend(state, f);
    state.valid[index] = 1;
  };
}

function signExtend(state: PacketState, f: FieldLayout): void {
  if (f.isBig) state.big[f.slot] = BigInt.asIntN(f.width, state.big[f.slot]!);
  else if (state.num[f.slot]! >= 2 ** (f.width - 1)) {
    state.num[f.slot] = state.num[f.slot]! - 2 ** f.width;
  }
}

function compileEmit(
  fields: readonly FieldLayout[],
): (state: PacketState, bytes: Uint8Array, base: number) => void {
  const narrow = fields.filter((f) => !f.isBig);
  const wide = fields.filter((f) => f.isBig);
  const numberSlots = narrow.map((f) => f.slot);
  const numberWrites: NumberWriter[] = narrow.map((f) => numberWriter(f.bitOffset, f.width));
  // Signed values are written as their two's complement bits.
  const wraps = narrow.map((f) => (f.signed ? 2 ** f.width : 0));
  const bigSlots = wide.map((f) => f.slot);
  const bigWrites: BigWriter[] = wide.map((f) => bigWriter(f.bitOffset, f.width));
  return (state, bytes, base) => {
    const num = state.num;
    for (let i = 0; i < numberWrites.length; i++) {
      const v = num[numberSlots[i]!]!;
      numberWrites[i]!(bytes, base, v < 0 ? v + wraps[i]! : v);
    }
    for (let i = 0; i < bigWrites.length; i++) bigWrites[i]!(bytes, base, state.big[bigSlots[i]!]!);
  };
}

function compileClear(fields: readonly FieldLayout[]): (state: PacketState) => void {
  const numberSlots = fields.filter((f) => !f.isBig).map((f) => f.slot);
  const bigSlots = fields.filter((f) => f.isBig).map((f) => f.slot);
  return (state) => {
    for (const slot of numberSlots) state.num[slot] = 0;
    for (const slot of bigSlots) state.big[slot] = 0n;
  };
}

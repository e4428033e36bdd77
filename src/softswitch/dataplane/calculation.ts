/**
 * Named calculations (the JSON `calculations`, used by checksums and hash primitives) and
 * selector hash inputs. The input is built as BMv2's BufBuilder does: fields packed one
 * after the other bit by bit (no byte alignment per field), fields of invalid headers
 * skipped, whole headers as their bytes, then the payload if asked; the last byte is
 * zero-padded.
 */
import { parseHexstr, type TypedValue } from '../bmv2/bmv2-json.ts';
import { MAX_NUMBER_WIDTH, bigWriter, numberWriter } from './bit-io.ts';
import { hashAlgorithm, type HashAlgorithm } from './hash-algorithms.ts';
import { invalid, unsupported } from './load-errors.ts';
import type { FieldLayout, HeaderLayout, PacketLayout, PacketState } from './packet-layout.ts';
import { RuntimeFault } from './value.ts';

type InputPart =
  | { readonly kind: 'field'; readonly field: FieldLayout }
  | { readonly kind: 'constant'; readonly value: bigint; readonly width: number }
  | { readonly kind: 'header'; readonly header: HeaderLayout };

export interface CompiledCalculation {
  readonly algorithm: HashAlgorithm;
  /** The hash of the current packet's input, exact when the algorithm is <= 32 bits wide. */
  compute(s: PacketState): number;
  computeBig(s: PacketState): bigint;
}

/** A growable scratch buffer shared by every calculation of a pipeline (one packet at a time). */
class InputBuffer {
  bytes = new Uint8Array(256);

  ensure(length: number): void {
    if (length <= this.bytes.length) return;
    this.bytes = new Uint8Array(Math.max(length, this.bytes.length * 2));
  }
}

export class CalculationCompiler {
  private readonly buffer = new InputBuffer();

  constructor(private readonly layout: PacketLayout) {}

  compile(
    algo: string,
    inputs: readonly (TypedValue & { bitwidth?: number })[],
    where: string,
  ): CompiledCalculation {
    const algorithm = hashAlgorithm(algo, where);
    const parts: InputPart[] = [];
    let withPayload = false;
    for (const input of inputs) {
      if (withPayload) throw unsupported(`inputs after 'payload' in ${where}`);
      switch (input.type) {
        case 'field': {
          const [h, f] = Array.isArray(input.value) ? (input.value as unknown[]) : [];
          const field =
            typeof h === 'string' && typeof f === 'string' ? this.layout.field(h, f) : undefined;
          if (!field) throw invalid(`${where}: unknown field ${JSON.stringify(input.value)}`);
          parts.push({ kind: 'field', field });
          break;
        }
        case 'hexstr': {
          if (typeof input.value !== 'string' || typeof input.bitwidth !== 'number') {
            throw invalid(`${where}: hexstr input needs a string value and a bitwidth`);
          }
          parts.push({
            kind: 'constant',
            value: BigInt.asUintN(input.bitwidth, parseHexstr(input.value)),
            width: input.bitwidth,
          });
          break;
        }
        case 'header': {
          const header =
            typeof input.value === 'string' ? this.layout.header(input.value) : undefined;
          if (!header) throw invalid(`${where}: unknown header ${JSON.stringify(input.value)}`);
          parts.push({ kind: 'header', header });
          break;
        }
        case 'payload':
          withPayload = true;
          break;
        default:
          throw unsupported(`calculation input type '${input.type}' in ${where}`);
      }
    }
    const build = this.builder(parts, withPayload);
    const buffer = this.buffer;
    return {
      algorithm,
      compute: (s) => algorithm.compute(buffer.bytes, build(s)),
      computeBig: (s) => algorithm.computeBig(buffer.bytes, build(s)),
    };
  }

  /** Returns a closure that fills the shared buffer and returns the input length in bytes. */
  private builder(parts: readonly InputPart[], withPayload: boolean): (s: PacketState) => number {
    const buffer = this.buffer;
    const bitsOf = (p: InputPart) =>
      p.kind === 'field'
        ? p.field.width
        : p.kind === 'constant'
          ? p.width
          : p.header.byteLength * 8;
    const maxBits = parts.reduce((sum, p) => sum + bitsOf(p), 0);
    const maxBytes = Math.ceil(maxBits / 8);
    const allValid = this.staticWriter(parts);
    const headers = [
      ...new Set(
        parts.flatMap((p) =>
          p.kind === 'field' ? [p.field.header] : p.kind === 'header' ? [p.header] : [],
        ),
      ),
    ]
      .filter((h) => !h.metadata)
      .map((h) => h.index);
    return (s) => {
      buffer.ensure(maxBytes + (withPayload ? s.payload.length : 0));
      const bytes = buffer.bytes;
      bytes.fill(0, 0, maxBytes);
      let everyHeaderValid = true;
      for (const h of headers) if (s.valid[h] !== 1) everyHeaderValid = false;
      // Usually every header is valid and each part sits at a fixed offset; otherwise the
      // parts of invalid headers are skipped and the rest move up, as BMv2 does.
      let length = everyHeaderValid ? allValid(s, bytes) : packSkippingInvalid(parts, s, bytes);
      if (withPayload) {
        bytes.set(s.payload, length);
        length += s.payload.length;
      }
      return length;
    };
  }

  /** Writers for the parts at their offsets when every header is valid. */
  private staticWriter(parts: readonly InputPart[]): (s: PacketState, bytes: Uint8Array) => number {
    const writers: ((s: PacketState, bytes: Uint8Array) => void)[] = [];
    let bit = 0;
    for (const part of parts) {
      const at = bit;
      switch (part.kind) {
        case 'field': {
          const { slot, width, signed } = part.field;
          if (part.field.isBig) {
            const write = bigWriter(at, width);
            writers.push((s, bytes) => write(bytes, 0, s.big[slot]!));
          } else {
            const write = numberWriter(at, width);
            const wrap = signed ? 2 ** width : 0;
            writers.push((s, bytes) => {
              const v = s.num[slot]!;
              write(bytes, 0, v < 0 ? v + wrap : v);
            });
          }
          bit += width;
          break;
        }
        case 'constant': {
          const write = bigWriter(at, part.width);
          const value = part.value;
          writers.push((_s, bytes) => write(bytes, 0, value));
          bit += part.width;
          break;
        }
        case 'header': {
          const h = part.header;
          if (at % 8 !== 0) throw invalid(`header ${h.name} in a calculation is not byte-aligned`);
          writers.push((s, bytes) => h.emit(s, bytes, at >> 3));
          bit += h.byteLength * 8;
          break;
        }
      }
    }
    const length = (bit + 7) >> 3;
    return (s, bytes) => {
      for (const w of writers) w(s, bytes);
      return length;
    };
  }
}

/** BufBuilder's general case: parts of invalid headers are left out. Returns the length. */
function packSkippingInvalid(
  parts: readonly InputPart[],
  s: PacketState,
  bytes: Uint8Array,
): number {
  let bit = 0;
  for (const part of parts) {
    switch (part.kind) {
      case 'field': {
        const f = part.field;
        if (s.valid[f.header.index] !== 1) continue;
        if (f.isBig) writeBig(bytes, bit, f.width, s.big[f.slot]!);
        else writeNumber(bytes, bit, f.width, s.num[f.slot]!);
        bit += f.width;
        break;
      }
      case 'constant':
        writeBig(bytes, bit, part.width, part.value);
        bit += part.width;
        break;
      case 'header': {
        const h = part.header;
        if (s.valid[h.index] !== 1) continue;
        // BMv2 asserts byte alignment here; a field before a header makes this a fault.
        if (bit % 8 !== 0)
          throw new RuntimeFault(`header ${h.name} in a calculation is not byte-aligned`);
        h.emit(s, bytes, bit >> 3);
        bit += h.byteLength * 8;
        break;
      }
    }
  }
  return (bit + 7) >> 3;
}

/** ORs `width` bits of a (non-negative after wrap) number into zeroed `bytes` at bit `bit`. */
function writeNumber(bytes: Uint8Array, bit: number, width: number, value: number): void {
  if (width > MAX_NUMBER_WIDTH || value < 0) {
    writeBig(bytes, bit, width, BigInt(value));
    return;
  }
  let v = value;
  let end = bit + width; // exclusive, bits counted from the start of the buffer
  while (width > 0) {
    const byteIndex = (end - 1) >> 3;
    const bitInByte = 8 - (((end - 1) & 7) + 1); // how far the last bit sits from the byte's LSB
    const take = Math.min(width, 8 - bitInByte);
    const chunk = v % 2 ** take;
    bytes[byteIndex] = bytes[byteIndex]! | (chunk << bitInByte);
    v = (v - chunk) / 2 ** take;
    width -= take;
    end -= take;
  }
}

function writeBig(bytes: Uint8Array, bit: number, width: number, value: bigint): void {
  let v = BigInt.asUintN(width, value);
  let end = bit + width;
  while (width > 0) {
    const byteIndex = (end - 1) >> 3;
    const bitInByte = 8 - (((end - 1) & 7) + 1);
    const take = Math.min(width, 8 - bitInByte);
    const chunk = Number(v & ((1n << BigInt(take)) - 1n));
    bytes[byteIndex] = bytes[byteIndex]! | (chunk << bitInByte);
    v >>= BigInt(take);
    width -= take;
    end -= take;
  }
}

/**
 * Checksums (the JSON `checksums`, from v1model's verify_checksum / update_checksum and their
 * _with_payload forms). BMv2 verifies them at the end of parsing (a mismatch sets
 * standard_metadata.checksum_error, skipped when the target's header is invalid or the
 * condition is false) and updates them at the start of deparsing (when the condition holds).
 */
import type { Bmv2Json } from '../bmv2/bmv2-json.ts';
import type { CompiledCalculation } from './calculation.ts';
import { compileBool } from './expressions.ts';
import { invalid, unsupported } from './load-errors.ts';
import type { PacketLayout, PacketState } from './packet-layout.ts';
import { numberValue, bigValue, storeInto } from './value.ts';

export interface CompiledChecksums {
  /** True when every verified checksum is correct. */
  verify(s: PacketState): boolean;
  update(s: PacketState): void;
}

export function compileChecksums(
  json: Bmv2Json,
  layout: PacketLayout,
  calculations: ReadonlyMap<string, CompiledCalculation>,
): CompiledChecksums {
  const verifiers: ((s: PacketState) => boolean)[] = [];
  const updaters: ((s: PacketState) => void)[] = [];
  for (const checksum of json.checksums ?? []) {
    const where = `checksum '${checksum.name}'`;
    if (checksum.type !== 'generic')
      throw unsupported(`checksum type '${checksum.type}' in ${where}`);
    const [headerName, fieldName] = checksum.target;
    const target = layout.field(headerName, fieldName);
    if (!target) throw invalid(`${where}: unknown target ${headerName}.${fieldName}`);
    const calculation = calculations.get(checksum.calculation ?? '');
    if (!calculation) throw invalid(`${where}: unknown calculation '${checksum.calculation}'`);
    const condition = checksum.if_cond
      ? compileBool(checksum.if_cond, { layout, where }).eval
      : () => true;
    const headerIndex = target.header.index;
    const narrow = calculation.algorithm.width <= 32 && !target.isBig;
    if (checksum.verify ?? true) {
      const slot = target.slot;
      verifiers.push(
        narrow
          ? (s) =>
              s.valid[headerIndex] !== 1 || !condition(s) || calculation.compute(s) === s.num[slot]
          : (s) =>
              s.valid[headerIndex] !== 1 ||
              !condition(s) ||
              calculation.computeBig(s) === BigInt.asUintN(64, targetBig(s, target.isBig, slot)),
      );
    }
    if (checksum.update ?? true) {
      const store = storeInto(
        target,
        narrow
          ? numberValue(calculation.algorithm.width, false, (s) => calculation.compute(s))
          : bigValue((s) => calculation.computeBig(s)),
      );
      updaters.push((s) => {
        if (condition(s)) store(s);
      });
    }
  }
  return {
    verify(s) {
      let ok = true;
      for (const v of verifiers) if (!v(s)) ok = false;
      return ok;
    },
    update(s) {
      for (const u of updaters) u(s);
    },
  };
}

function targetBig(s: PacketState, isBig: boolean, slot: number): bigint {
  return isBig ? s.big[slot]! : BigInt(s.num[slot]!);
}

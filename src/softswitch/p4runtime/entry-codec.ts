import type { Action, Action__Output } from '../../p4rt/generated/p4/v1/Action.ts';
import type { FieldMatch, FieldMatch__Output } from '../../p4rt/generated/p4/v1/FieldMatch.ts';
import { decodeBytestring, encodeBytestring } from '../../p4rt/bytestring.ts';
import type {
  ActionCall,
  EntryKey,
  EntryMatch,
  FieldMatch as DataplaneMatch,
} from '../dataplane/api.ts';
import type { ActionBinding, MatchFieldBinding, TableBinding } from './p4info-index.ts';
import { invalidArgument, P4RuntimeError } from './p4runtime-error.ts';

// Translation between P4Runtime table entry parts (ids, bytestrings) and the data plane's
// (names, positions, bigints), with the checks of the spec's "Match Format" and "Action
// Specification" sections. Encoding back always produces canonical bytestrings.

function decodeField(
  field: MatchFieldBinding,
  match: FieldMatch__Output,
  table: string,
): DataplaneMatch {
  const what = `table '${table}' field '${field.name}'`;
  const set = match.fieldMatchType;
  if (set === undefined) throw invalidArgument(`${what}: no match kind is set`);
  if (set !== field.kind) {
    throw invalidArgument(`${what}: a ${field.kind} field given a ${set} match`);
  }
  const width = field.bitwidth;
  switch (field.kind) {
    case 'exact':
      return { kind: 'exact', value: decodeBytestring(match.exact?.value, width, `${what} value`) };
    case 'optional': {
      const value = decodeBytestring(match.optional?.value, width, `${what} value`);
      // An optional key compiled as ternary (p4c does) matches its value under a full mask.
      return field.dataplaneKind === 'ternary'
        ? { kind: 'ternary', value, mask: (1n << BigInt(width)) - 1n }
        : { kind: 'optional', value };
    }
    case 'lpm': {
      const value = decodeBytestring(match.lpm?.value, width, `${what} value`);
      const prefixLength = match.lpm?.prefixLen ?? 0;
      if (prefixLength <= 0) {
        throw invalidArgument(
          `${what}: prefix length ${prefixLength}; omit the field for don't-care`,
        );
      }
      if (prefixLength > width)
        throw invalidArgument(`${what}: prefix length ${prefixLength} > ${width} bits`);
      const hostBits = (1n << BigInt(width - prefixLength)) - 1n;
      if ((value & hostBits) !== 0n) {
        throw invalidArgument(`${what}: value has bits set beyond the /${prefixLength} prefix`);
      }
      return { kind: 'lpm', value, prefixLength };
    }
    case 'ternary': {
      const value = decodeBytestring(match.ternary?.value, width, `${what} value`);
      const mask = decodeBytestring(match.ternary?.mask, width, `${what} mask`);
      if (mask === 0n) throw invalidArgument(`${what}: mask 0; omit the field for don't-care`);
      if ((value & mask) !== value)
        throw invalidArgument(`${what}: value has bits outside the mask`);
      return { kind: 'ternary', value, mask };
    }
    case 'range': {
      const low = decodeBytestring(match.range?.low, width, `${what} low`);
      const high = decodeBytestring(match.range?.high, width, `${what} high`);
      if (low > high) throw invalidArgument(`${what}: low ${low} > high ${high}`);
      if (low === 0n && high === (1n << BigInt(width)) - 1n) {
        throw invalidArgument(`${what}: full range; omit the field for don't-care`);
      }
      return { kind: 'range', low, high };
    }
  }
}

/** The match of an entry in data plane key order; omitted non-exact fields are don't-care. */
export function decodeMatch(
  table: TableBinding,
  fields: readonly FieldMatch__Output[] | undefined,
): EntryMatch {
  const match: (DataplaneMatch | undefined)[] = table.matchFields.map(() => undefined);
  const seen = new Set<number>();
  for (const field of fields ?? []) {
    const id = field.fieldId ?? 0;
    const bound = table.matchFieldsById.get(id);
    if (!bound) throw invalidArgument(`table '${table.name}' has no match field id ${id}`);
    if (seen.has(id))
      throw invalidArgument(`table '${table.name}': match field id ${id} given twice`);
    seen.add(id);
    match[bound.position] = decodeField(bound.field, field, table.name);
  }
  table.matchFields.forEach((field, position) => {
    if (field.kind === 'exact' && match[position] === undefined) {
      throw invalidArgument(
        `table '${table.name}': exact field '${field.name}' (id ${field.id}) is missing`,
      );
    }
  });
  return match;
}

/** Checks the priority rule: > 0 exactly when the key has a ternary, range or optional field. */
export function decodePriority(table: TableBinding, priority: number | undefined): number {
  const value = priority ?? 0;
  if (table.info.needsPriority && value <= 0) {
    throw invalidArgument(
      `table '${table.name}' has ternary/range/optional fields: priority must be > 0`,
    );
  }
  if (!table.info.needsPriority && value !== 0) {
    throw invalidArgument(
      `table '${table.name}' has no ternary/range/optional field: priority must be 0`,
    );
  }
  return value;
}

export function decodeEntryKey(
  table: TableBinding,
  entry: { match?: FieldMatch__Output[]; priority?: number },
): EntryKey {
  return {
    match: decodeMatch(table, entry.match),
    priority: decodePriority(table, entry.priority),
  };
}

/** An action with all parameters, each exactly once (spec "Action Specification"). */
export function decodeActionParams(action: ActionBinding, message: Action__Output): ActionCall {
  const params: (bigint | undefined)[] = action.params.map(() => undefined);
  for (const param of message.params ?? []) {
    const id = param.paramId ?? 0;
    const bound = action.paramsById.get(id);
    if (!bound) throw invalidArgument(`action '${action.name}' has no parameter id ${id}`);
    if (params[bound.position] !== undefined) {
      throw invalidArgument(`action '${action.name}': parameter '${bound.param.name}' given twice`);
    }
    params[bound.position] = decodeBytestring(
      param.value,
      bound.param.bitwidth,
      `action '${action.name}' parameter '${bound.param.name}'`,
    );
  }
  const missing = action.params.filter((_, i) => params[i] === undefined).map((p) => `'${p.name}'`);
  if (missing.length > 0) {
    throw invalidArgument(`action '${action.name}': parameter ${missing.join(', ')} missing`);
  }
  return { action: action.name, params: params as bigint[] };
}

/**
 * An action for an entry (or the default entry) of `table`: it must be one of the table's
 * actions (INVALID_ARGUMENT) and allowed in that place by its scope (PERMISSION_DENIED).
 */
export function decodeTableActionCall(
  table: TableBinding,
  message: Action__Output,
  isDefault: boolean,
): ActionCall {
  const id = message.actionId ?? 0;
  const ref = table.actions.get(id);
  if (!ref) throw invalidArgument(`action id ${id} is not an action of table '${table.name}'`);
  if (isDefault && ref.scope === 'TABLE_ONLY') {
    throw new P4RuntimeError('PERMISSION_DENIED', `action '${ref.action.name}' is @tableonly`);
  }
  if (!isDefault && ref.scope === 'DEFAULT_ONLY') {
    throw new P4RuntimeError('PERMISSION_DENIED', `action '${ref.action.name}' is @defaultonly`);
  }
  return decodeActionParams(ref.action, message);
}

export function encodeMatch(table: TableBinding, match: EntryMatch): FieldMatch[] {
  const fields: FieldMatch[] = [];
  table.matchFields.forEach((field, position) => {
    const m = match[position];
    if (m === undefined) return;
    const fieldId = field.id;
    const encode = (value: bigint): Buffer =>
      encodeBytestring(value, field.bitwidth, `table '${table.name}' field '${field.name}'`);
    switch (m.kind) {
      case 'exact':
        fields.push({ fieldId, exact: { value: encode(m.value) } });
        break;
      case 'optional':
        fields.push({ fieldId, optional: { value: encode(m.value) } });
        break;
      case 'lpm':
        fields.push({
          fieldId,
          lpm: { value: encode(m.value), prefixLen: m.prefixLength },
        });
        break;
      case 'ternary':
        fields.push(
          field.kind === 'optional'
            ? { fieldId, optional: { value: encode(m.value) } }
            : {
                fieldId,
                ternary: { value: encode(m.value), mask: encode(m.mask) },
              },
        );
        break;
      case 'range':
        fields.push({
          fieldId,
          range: { low: encode(m.low), high: encode(m.high) },
        });
        break;
    }
  });
  return fields;
}

export function encodeAction(action: ActionBinding, call: ActionCall): Action {
  return {
    actionId: action.id,
    params: action.params.map((param, i) => ({
      paramId: param.id,
      value: encodeBytestring(
        call.params[i] ?? 0n,
        param.bitwidth,
        `action '${action.name}' parameter '${param.name}'`,
      ),
    })),
  };
}

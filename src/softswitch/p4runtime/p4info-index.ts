import type { P4Info__Output } from '../../p4rt/generated/p4/config/v1/P4Info.ts';
import type { Preamble__Output } from '../../p4rt/generated/p4/config/v1/Preamble.ts';
import type {
  DataplaneActionInfo,
  DataplaneActionProfileInfo,
  DataplaneMatchKind,
  DataplanePipeline,
  DataplaneTableInfo,
} from '../dataplane/api.ts';
import { invalidArgument } from './p4runtime-error.ts';

// The P4Info of an installed pipeline, indexed by id and bound to the data plane's
// description of the same program (by name: p4c gives P4Info and BMv2 JSON objects the same
// names). Building the index is the check that P4Info and JSON agree.
// Not built on the client's src/p4rt/p4info-index.ts: this one validates untrusted P4Info
// (INVALID_ARGUMENT) and orders fields/params by data plane position; the client resolves names.

export interface MatchFieldBinding {
  readonly id: number;
  /** The P4Info name (what error messages show). */
  readonly name: string;
  readonly bitwidth: number;
  /** The P4Runtime match kind (P4Info). */
  readonly kind: DataplaneMatchKind;
  /** How the data plane matches it: 'ternary' for a P4Info optional field compiled by p4c. */
  readonly dataplaneKind: DataplaneMatchKind;
}

export interface ParamBinding {
  readonly id: number;
  readonly name: string;
  readonly bitwidth: number;
}

export interface ActionBinding {
  readonly id: number;
  readonly name: string;
  /** In the data plane's parameter order (ActionCall.params). */
  readonly params: readonly ParamBinding[];
  readonly paramsById: ReadonlyMap<
    number,
    { readonly param: ParamBinding; readonly position: number }
  >;
}

export type ActionScope = 'TABLE_AND_DEFAULT' | 'TABLE_ONLY' | 'DEFAULT_ONLY';

export interface TableBinding {
  readonly id: number;
  readonly name: string;
  readonly info: DataplaneTableInfo;
  /** In the data plane's key order (EntryMatch positions). */
  readonly matchFields: readonly MatchFieldBinding[];
  readonly matchFieldsById: ReadonlyMap<
    number,
    { readonly field: MatchFieldBinding; readonly position: number }
  >;
  readonly actions: ReadonlyMap<
    number,
    { readonly action: ActionBinding; readonly scope: ActionScope }
  >;
  readonly actionsByName: ReadonlyMap<string, ActionBinding>;
  readonly profile: ProfileBinding | undefined;
  readonly directCounter: DirectCounterBinding | undefined;
}

export interface ProfileBinding {
  readonly id: number;
  readonly name: string;
  readonly info: DataplaneActionProfileInfo;
  readonly withSelector: boolean;
  readonly maxGroupSize: number;
  readonly weightsDisallowed: boolean;
  /** The tables it implements (filled while the index is built). */
  readonly tables: TableBinding[];
}

export interface CounterBinding {
  readonly id: number;
  readonly name: string;
  readonly size: number;
}

export interface DirectCounterBinding {
  readonly id: number;
  readonly name: string;
  readonly tableId: number;
}

export interface RegisterBinding {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly bitwidth: number;
}

const matchKinds: Record<string, DataplaneMatchKind> = {
  EXACT: 'exact',
  LPM: 'lpm',
  TERNARY: 'ternary',
  RANGE: 'range',
  OPTIONAL: 'optional',
};

const unsupportedP4InfoParts = [
  ['meters', 'meters'],
  ['directMeters', 'direct meters'],
  ['valueSets', 'value sets'],
  ['digests', 'digests'],
  ['controllerPacketMetadata', 'packet-in/packet-out headers'],
  ['externs', 'architecture-specific externs'],
] as const;

function named(preamble: Preamble__Output | undefined, kind: string): { id: number; name: string } {
  const id = preamble?.id ?? 0;
  const name = preamble?.name ?? '';
  if (id === 0 || name === '') throw invalidArgument(`P4Info: a ${kind} has no id or name`);
  return { id, name };
}

function positiveInt(value: string | number | undefined, what: string): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n) || n < 0) throw invalidArgument(`P4Info: ${what} is not a size`);
  return n;
}

/** Id and name of every P4Info object, unique across the whole P4Info. */
class IdRegistry {
  private readonly ids = new Map<number, string>();

  claim(id: number, name: string): void {
    const other = this.ids.get(id);
    if (other !== undefined) {
      throw invalidArgument(`P4Info: id ${id} is used by both '${other}' and '${name}'`);
    }
    this.ids.set(id, name);
  }
}

export class DeviceP4InfoIndex {
  readonly tables = new Map<number, TableBinding>();
  readonly actions = new Map<number, ActionBinding>();
  readonly profiles = new Map<number, ProfileBinding>();
  readonly counters = new Map<number, CounterBinding>();
  readonly directCounters = new Map<number, DirectCounterBinding>();
  readonly registers = new Map<number, RegisterBinding>();

  /**
   * Indexes `p4info` against the loaded `pipeline`; throws INVALID_ARGUMENT naming the first
   * object of the P4Info that the JSON lacks or describes differently, or a P4Info part this
   * target does not support. JSON objects without a P4Info twin (p4c's hidden tables) are fine.
   */
  constructor(p4info: P4Info__Output, pipeline: DataplanePipeline) {
    for (const [key, what] of unsupportedP4InfoParts) {
      const list = p4info[key];
      if (list && list.length > 0) {
        throw invalidArgument(`P4Info: ${what} are not supported by this target`);
      }
    }
    const ids = new IdRegistry();
    this.indexActions(p4info, pipeline, ids);
    this.indexProfiles(p4info, pipeline, ids);
    this.indexDirectCounters(p4info, pipeline, ids);
    for (const table of p4info.tables ?? []) {
      const binding = this.bindTable(table, pipeline, ids);
      this.tables.set(binding.id, binding);
      binding.profile?.tables.push(binding);
    }
    for (const counter of this.directCounters.values()) {
      const table = this.tables.get(counter.tableId);
      if (!table) {
        throw invalidArgument(
          `direct counter '${counter.name}': unknown table id ${counter.tableId}`,
        );
      }
      if (table.info.directCounter !== counter.name) {
        throw invalidArgument(
          `direct counter '${counter.name}': the JSON does not attach it to '${table.name}'`,
        );
      }
    }
    this.indexCounters(p4info, pipeline, ids);
    this.indexRegisters(p4info, pipeline, ids);
  }

  private indexActions(p4info: P4Info__Output, pipeline: DataplanePipeline, ids: IdRegistry): void {
    const jsonActions = new Map(pipeline.actions.map((a) => [a.name, a]));
    for (const action of p4info.actions ?? []) {
      const { id, name } = named(action.preamble, 'action');
      ids.claim(id, name);
      const json = jsonActions.get(name);
      if (!json) throw invalidArgument(`P4Info action '${name}' is not in the BMv2 JSON`);
      this.actions.set(id, bindAction(id, name, action.params ?? [], json));
    }
  }

  private bindTable(
    table: NonNullable<P4Info__Output['tables']>[number],
    pipeline: DataplanePipeline,
    ids: IdRegistry,
  ): TableBinding {
    const { id, name } = named(table.preamble, 'table');
    ids.claim(id, name);
    const info = pipeline.tables.find((t) => t.name === name);
    if (!info) throw invalidArgument(`P4Info table '${name}' is not in the BMv2 JSON`);

    const p4infoFields = table.matchFields ?? [];
    if (p4infoFields.length !== info.keys.length) {
      throw invalidArgument(
        `table '${name}': P4Info has ${p4infoFields.length} match fields, the JSON ${info.keys.length}`,
      );
    }
    // p4c emits the key in P4Info order; it names a JSON key only when the P4 key has @name,
    // and writes optional keys as ternary (BMv2 has no optional match).
    const matchFieldsById = new Map<number, { field: MatchFieldBinding; position: number }>();
    const matchFields = info.keys.map((key, position) => {
      const field = p4infoFields[position]!;
      const fieldName = field.name ?? '';
      const kind = matchKinds[String(field.matchType)];
      const jsonKind = kind === 'optional' ? 'ternary' : kind;
      if (
        !field.id ||
        !kind ||
        (jsonKind !== key.matchKind && kind !== key.matchKind) ||
        field.bitwidth !== key.bitwidth
      ) {
        throw invalidArgument(
          `table '${name}' match field ${position + 1} '${fieldName}': P4Info says ` +
            `${String(field.matchType ?? field.otherMatchType)} ${field.bitwidth} bits, ` +
            `the JSON key '${key.name}' ${key.matchKind} ${key.bitwidth} bits`,
        );
      }
      if (matchFieldsById.has(field.id)) {
        throw invalidArgument(`table '${name}': match field id ${field.id} is used twice`);
      }
      const binding: MatchFieldBinding = {
        id: field.id,
        name: fieldName,
        bitwidth: key.bitwidth,
        kind,
        dataplaneKind: key.matchKind,
      };
      matchFieldsById.set(field.id, { field: binding, position });
      return binding;
    });

    const jsonActionNames = new Set(info.actions.map((a) => a.name));
    const actions = new Map<number, { action: ActionBinding; scope: ActionScope }>();
    const actionsByName = new Map<string, ActionBinding>();
    for (const ref of table.actionRefs ?? []) {
      const action = this.actions.get(ref.id ?? 0);
      if (!action) throw invalidArgument(`table '${name}': unknown action id ${ref.id}`);
      if (!jsonActionNames.has(action.name)) {
        throw invalidArgument(
          `table '${name}': action '${action.name}' is not a JSON action of the table`,
        );
      }
      const scope = (ref.scope ?? 'TABLE_AND_DEFAULT') as ActionScope;
      actions.set(action.id, { action, scope });
      actionsByName.set(action.name, action);
    }
    if (Boolean(table.isConstTable) !== info.isConst) {
      throw invalidArgument(`table '${name}': P4Info and JSON disagree on whether it is const`);
    }
    const implementationId = table.implementationId ?? 0;
    const profile = implementationId === 0 ? undefined : this.profiles.get(implementationId);
    if (implementationId !== 0 && !profile) {
      throw invalidArgument(`table '${name}': unknown implementation id ${implementationId}`);
    }
    if (profile?.name !== info.implementation) {
      throw invalidArgument(
        `table '${name}': P4Info implementation '${profile?.name ?? 'none'}', JSON '${info.implementation ?? 'none'}'`,
      );
    }
    const directCounter = [...this.directCounters.values()].find((c) => c.tableId === id);
    return {
      id,
      name,
      info,
      matchFields,
      matchFieldsById,
      actions,
      actionsByName,
      profile,
      directCounter,
    };
  }

  private indexProfiles(
    p4info: P4Info__Output,
    pipeline: DataplanePipeline,
    ids: IdRegistry,
  ): void {
    for (const profile of p4info.actionProfiles ?? []) {
      const { id, name } = named(profile.preamble, 'action profile');
      ids.claim(id, name);
      const info = pipeline.actionProfiles.find((p) => p.name === name);
      if (!info) throw invalidArgument(`P4Info action profile '${name}' is not in the BMv2 JSON`);
      if (Boolean(profile.withSelector) !== info.isSelector) {
        throw invalidArgument(`action profile '${name}': P4Info and JSON disagree on the selector`);
      }
      this.profiles.set(id, {
        id,
        name,
        info,
        withSelector: info.isSelector,
        maxGroupSize: profile.maxGroupSize ?? 0,
        weightsDisallowed: Boolean(profile.weightsDisallowed),
        tables: [],
      });
    }
  }

  private indexDirectCounters(
    p4info: P4Info__Output,
    pipeline: DataplanePipeline,
    ids: IdRegistry,
  ): void {
    for (const counter of p4info.directCounters ?? []) {
      const { id, name } = named(counter.preamble, 'direct counter');
      ids.claim(id, name);
      if (!pipeline.directCounters.some((c) => c.name === name)) {
        throw invalidArgument(`P4Info direct counter '${name}' is not in the BMv2 JSON`);
      }
      this.directCounters.set(id, { id, name, tableId: counter.directTableId ?? 0 });
    }
  }

  private indexCounters(
    p4info: P4Info__Output,
    pipeline: DataplanePipeline,
    ids: IdRegistry,
  ): void {
    for (const counter of p4info.counters ?? []) {
      const { id, name } = named(counter.preamble, 'counter');
      ids.claim(id, name);
      const info = pipeline.counters.find((c) => c.name === name);
      if (!info) throw invalidArgument(`P4Info counter '${name}' is not in the BMv2 JSON`);
      const size = positiveInt(counter.size, `counter '${name}' size`);
      if (size !== info.size) {
        throw invalidArgument(`counter '${name}': P4Info size ${size}, JSON size ${info.size}`);
      }
      this.counters.set(id, { id, name, size });
    }
  }

  private indexRegisters(
    p4info: P4Info__Output,
    pipeline: DataplanePipeline,
    ids: IdRegistry,
  ): void {
    for (const register of p4info.registers ?? []) {
      const { id, name } = named(register.preamble, 'register');
      ids.claim(id, name);
      const info = pipeline.registers.find((r) => r.name === name);
      if (!info) throw invalidArgument(`P4Info register '${name}' is not in the BMv2 JSON`);
      const bitwidth = register.typeSpec?.bitstring?.bit?.bitwidth;
      if (bitwidth === undefined) {
        throw invalidArgument(`register '${name}': only bit<W> registers are supported`);
      }
      const size = positiveInt(register.size, `register '${name}' size`);
      if (size !== info.size || bitwidth !== info.bitwidth) {
        throw invalidArgument(
          `register '${name}': P4Info ${size} x bit<${bitwidth}>, JSON ${info.size} x bit<${info.bitwidth}>`,
        );
      }
      this.registers.set(id, { id, name, size, bitwidth });
    }
  }
}

function bindAction(
  id: number,
  name: string,
  p4infoParams: NonNullable<NonNullable<P4Info__Output['actions']>[number]['params']>,
  json: DataplaneActionInfo,
): ActionBinding {
  if (p4infoParams.length !== json.params.length) {
    throw invalidArgument(
      `action '${name}': P4Info has ${p4infoParams.length} parameters, the JSON ${json.params.length}`,
    );
  }
  const paramsById = new Map<number, { param: ParamBinding; position: number }>();
  const params = json.params.map((jsonParam, position) => {
    const param = p4infoParams.find((p) => p.name === jsonParam.name);
    if (!param || !param.id) {
      throw invalidArgument(
        `action '${name}': JSON parameter '${jsonParam.name}' is not in the P4Info`,
      );
    }
    if (param.bitwidth !== jsonParam.bitwidth) {
      throw invalidArgument(
        `action '${name}' parameter '${jsonParam.name}': P4Info ${param.bitwidth} bits, JSON ${jsonParam.bitwidth}`,
      );
    }
    if (paramsById.has(param.id)) {
      throw invalidArgument(`action '${name}': parameter id ${param.id} is used twice`);
    }
    const binding = { id: param.id, name: jsonParam.name, bitwidth: jsonParam.bitwidth };
    paramsById.set(param.id, { param: binding, position });
    return binding;
  });
  return { id, name, params, paramsById };
}

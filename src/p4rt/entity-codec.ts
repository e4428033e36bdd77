import { decodeBytestring, encodeBytestring } from './bytestring.ts';
import type { Action, Action__Output } from './generated/p4/v1/Action.ts';
import type { Entity, Entity__Output } from './generated/p4/v1/Entity.ts';
import type { FieldMatch, FieldMatch__Output } from './generated/p4/v1/FieldMatch.ts';
import type { TableAction, TableAction__Output } from './generated/p4/v1/TableAction.ts';
import type { TableEntry, TableEntry__Output } from './generated/p4/v1/TableEntry.ts';
import {
  P4InfoLookupError,
  type ActionInfo,
  type MatchFieldInfo,
  type P4InfoIndex,
  type TableInfo,
} from './p4info-index.ts';

/**
 * Entities by name: what callers write and what reads return, with every value a bigint
 * (inputs also take numbers). EntityCodec turns them into p4.v1 messages through the
 * P4Info (ids, bitwidth checks, canonical bytestrings) and back.
 */

export type Value = bigint | number;

export type MatchValue =
  | { readonly kind: 'exact'; readonly value: Value }
  | { readonly kind: 'lpm'; readonly value: Value; readonly prefixLen: number }
  | { readonly kind: 'ternary'; readonly value: Value; readonly mask: Value }
  | { readonly kind: 'range'; readonly low: Value; readonly high: Value }
  | { readonly kind: 'optional'; readonly value: Value };

export interface NamedAction {
  readonly name: string;
  readonly params: Readonly<Record<string, Value>>;
}

export interface WeightedAction {
  readonly action: NamedAction;
  readonly weight: number;
}

export type NamedTableAction =
  | { readonly kind: 'action'; readonly action: NamedAction }
  | { readonly kind: 'member'; readonly memberId: number }
  | { readonly kind: 'group'; readonly groupId: number }
  | { readonly kind: 'actionSet'; readonly actions: readonly WeightedAction[] };

export interface NamedTableEntry {
  readonly table: string;
  /** By match field name; a plain value means an exact match. Don't-care fields are omitted. */
  readonly match: Readonly<Record<string, MatchValue | Value>>;
  readonly action?: NamedTableAction;
  readonly priority?: number;
  /** The table's default entry (no match; MODIFY only). */
  readonly isDefaultAction?: boolean;
}

export interface NamedMember {
  readonly actionProfile: string;
  readonly memberId: number;
  readonly action: NamedAction;
}

export interface NamedGroup {
  readonly actionProfile: string;
  readonly groupId: number;
  readonly members: readonly { readonly memberId: number; readonly weight: number }[];
  readonly maxSize?: number;
}

export interface NamedCounterCell {
  readonly counter: string;
  readonly index: number;
  readonly packets: bigint;
  readonly bytes: bigint;
}

export interface NamedDirectCounterCell {
  readonly entry: NamedTableEntry;
  readonly packets: bigint;
  readonly bytes: bigint;
}

/** A decoded entity of one of the kinds this client speaks. */
export type NamedEntity =
  | { readonly kind: 'tableEntry'; readonly entry: NamedTableEntry }
  | { readonly kind: 'member'; readonly member: NamedMember }
  | { readonly kind: 'group'; readonly group: NamedGroup }
  | { readonly kind: 'counter'; readonly cell: NamedCounterCell }
  | { readonly kind: 'directCounter'; readonly cell: NamedDirectCounterCell };

/** Named entities to and from p4.v1 messages, resolved through one P4Info. */
export class EntityCodec {
  constructor(readonly index: P4InfoIndex) {}

  tableEntry(entry: NamedTableEntry): Entity {
    return { tableEntry: this.encodeTableEntry(entry) };
  }

  member(member: NamedMember): Entity {
    const profile = this.index.actionProfile(member.actionProfile);
    return {
      actionProfileMember: {
        actionProfileId: profile.id,
        memberId: member.memberId,
        action: this.encodeAction(this.index.action(member.action.name), member.action),
      },
    };
  }

  group(group: NamedGroup): Entity {
    const profile = this.index.actionProfile(group.actionProfile);
    return {
      actionProfileGroup: {
        actionProfileId: profile.id,
        groupId: group.groupId,
        members: group.members.map((m) => ({ memberId: m.memberId, weight: m.weight })),
        ...(group.maxSize === undefined ? {} : { maxSize: group.maxSize }),
      },
    };
  }

  /** Wildcard read of every entry of a table (the default entry is not included). */
  readTable(table: string): Entity {
    return { tableEntry: { tableId: this.index.table(table).id } };
  }

  /** Read of a table's default entry. */
  readDefaultEntry(table: string): Entity {
    return { tableEntry: { tableId: this.index.table(table).id, isDefaultAction: true } };
  }

  /** Wildcard read of every entry of every table. */
  readAllTables(): Entity {
    return { tableEntry: { tableId: 0 } };
  }

  readMembers(actionProfile: string): Entity {
    return { actionProfileMember: { actionProfileId: this.index.actionProfile(actionProfile).id } };
  }

  readGroups(actionProfile: string): Entity {
    return { actionProfileGroup: { actionProfileId: this.index.actionProfile(actionProfile).id } };
  }

  /** One cell of an indexed counter, or every cell when `index` is omitted. */
  readCounter(counter: string, index?: number): Entity {
    return {
      counterEntry: {
        counterId: this.index.counter(counter).id,
        ...(index === undefined ? {} : { index: { index } }),
      },
    };
  }

  /** The direct counters of every entry of a table. */
  readDirectCounters(table: string): Entity {
    return { directCounterEntry: { tableEntry: { tableId: this.index.table(table).id } } };
  }

  decode(entity: Entity__Output): NamedEntity {
    switch (entity.entity) {
      case 'tableEntry':
        return { kind: 'tableEntry', entry: this.decodeTableEntry(entity.tableEntry!) };
      case 'actionProfileMember': {
        const member = entity.actionProfileMember!;
        const profile = this.index.actionProfiles.getById(member.actionProfileId ?? 0);
        return {
          kind: 'member',
          member: {
            actionProfile: profile.name,
            memberId: member.memberId ?? 0,
            action: this.decodeAction(member.action, `member ${member.memberId ?? 0}`),
          },
        };
      }
      case 'actionProfileGroup': {
        const group = entity.actionProfileGroup!;
        const profile = this.index.actionProfiles.getById(group.actionProfileId ?? 0);
        return {
          kind: 'group',
          group: {
            actionProfile: profile.name,
            groupId: group.groupId ?? 0,
            members: (group.members ?? []).map((m) => ({
              memberId: m.memberId ?? 0,
              weight: m.weight ?? 0,
            })),
            ...(group.maxSize ? { maxSize: group.maxSize } : {}),
          },
        };
      }
      case 'counterEntry': {
        const cell = entity.counterEntry!;
        return {
          kind: 'counter',
          cell: {
            counter: this.index.counters.getById(cell.counterId ?? 0).name,
            index: Number(cell.index?.index ?? 0),
            packets: BigInt(cell.data?.packetCount ?? 0),
            bytes: BigInt(cell.data?.byteCount ?? 0),
          },
        };
      }
      case 'directCounterEntry': {
        const cell = entity.directCounterEntry!;
        return {
          kind: 'directCounter',
          cell: {
            entry: this.decodeTableEntry(cell.tableEntry ?? {}),
            packets: BigInt(cell.data?.packetCount ?? 0),
            bytes: BigInt(cell.data?.byteCount ?? 0),
          },
        };
      }
      default:
        throw new P4InfoLookupError(`entity kind "${entity.entity ?? 'unset'}" is not supported`);
    }
  }

  private encodeTableEntry(entry: NamedTableEntry): TableEntry {
    const table = this.index.table(entry.table);
    const match: FieldMatch[] = [];
    for (const [name, given] of Object.entries(entry.match)) {
      const field = table.matchField(name);
      const encoded = encodeFieldMatch(field, given, `${table.name}.${name}`);
      if (encoded !== undefined) match.push(encoded);
    }
    if (!entry.isDefaultAction) {
      for (const field of table.matchFields) {
        if (field.matchKind === 'EXACT' && !(field.name in entry.match)) {
          throw new P4InfoLookupError(`${table.name}: exact match field "${field.name}" missing`);
        }
      }
    }
    const result: TableEntry = { tableId: table.id, match };
    if (entry.action !== undefined) result.action = this.encodeTableAction(table, entry.action);
    if (entry.priority !== undefined) result.priority = entry.priority;
    if (entry.isDefaultAction) result.isDefaultAction = true;
    return result;
  }

  private encodeTableAction(table: TableInfo, action: NamedTableAction): TableAction {
    switch (action.kind) {
      case 'action':
        return { action: this.encodeAction(table.action(action.action.name), action.action) };
      case 'member':
        return { actionProfileMemberId: action.memberId };
      case 'group':
        return { actionProfileGroupId: action.groupId };
      case 'actionSet':
        return {
          actionProfileActionSet: {
            actionProfileActions: action.actions.map((weighted) => ({
              action: this.encodeAction(table.action(weighted.action.name), weighted.action),
              weight: weighted.weight,
            })),
          },
        };
    }
  }

  private encodeAction(info: ActionInfo, action: NamedAction): Action {
    for (const name of Object.keys(action.params)) info.param(name);
    return {
      actionId: info.id,
      params: info.params.map((param) => {
        const value = action.params[param.name];
        if (value === undefined) {
          throw new P4InfoLookupError(`action ${info.name}: parameter "${param.name}" missing`);
        }
        return {
          paramId: param.id,
          value: encodeBytestring(value, param.bitwidth, `${info.name}.${param.name}`),
        };
      }),
    };
  }

  private decodeTableEntry(entry: TableEntry__Output): NamedTableEntry {
    const table = this.index.tables.getById(entry.tableId ?? 0);
    const match: Record<string, MatchValue> = {};
    for (const fieldMatch of entry.match ?? []) {
      const field = table.matchFieldById(fieldMatch.fieldId ?? 0);
      if (field === undefined) {
        throw new P4InfoLookupError(`${table.name}: no match field id ${fieldMatch.fieldId ?? 0}`);
      }
      match[field.name] = decodeFieldMatch(field, fieldMatch, `${table.name}.${field.name}`);
    }
    const action = entry.action === undefined ? undefined : this.decodeTableAction(entry.action);
    return {
      table: table.name,
      match,
      ...(action === undefined ? {} : { action }),
      ...(entry.priority ? { priority: entry.priority } : {}),
      ...(entry.isDefaultAction ? { isDefaultAction: true } : {}),
    };
  }

  private decodeTableAction(action: TableAction__Output): NamedTableAction | undefined {
    switch (action.type) {
      case 'action':
        return { kind: 'action', action: this.decodeAction(action.action, 'table action') };
      case 'actionProfileMemberId':
        return { kind: 'member', memberId: action.actionProfileMemberId ?? 0 };
      case 'actionProfileGroupId':
        return { kind: 'group', groupId: action.actionProfileGroupId ?? 0 };
      case 'actionProfileActionSet':
        return {
          kind: 'actionSet',
          actions: (action.actionProfileActionSet?.actionProfileActions ?? []).map((a) => ({
            action: this.decodeAction(a.action, 'action set'),
            weight: a.weight ?? 0,
          })),
        };
      default:
        return undefined;
    }
  }

  private decodeAction(action: Action__Output | undefined, what: string): NamedAction {
    if (action === undefined) throw new P4InfoLookupError(`${what}: no action`);
    const info = this.index.actions.getById(action.actionId ?? 0);
    const params: Record<string, bigint> = {};
    for (const param of action.params ?? []) {
      const paramInfo = info.paramById(param.paramId ?? 0);
      if (paramInfo === undefined) {
        throw new P4InfoLookupError(`action ${info.name}: no parameter id ${param.paramId ?? 0}`);
      }
      params[paramInfo.name] = decodeBytestring(
        param.value,
        paramInfo.bitwidth,
        `${info.name}.${paramInfo.name}`,
      );
    }
    return { name: info.name, params };
  }
}

function encodeFieldMatch(
  field: MatchFieldInfo,
  given: MatchValue | Value,
  what: string,
): FieldMatch | undefined {
  const value: MatchValue =
    typeof given === 'object'
      ? given
      : { kind: field.matchKind === 'OPTIONAL' ? 'optional' : 'exact', value: given };
  const expected = field.matchKind.toLowerCase();
  if (value.kind !== expected) {
    throw new P4InfoLookupError(`${what}: is ${field.matchKind}, given a ${value.kind} match`);
  }
  const bytes = (v: Value, part: string): Buffer =>
    encodeBytestring(v, field.bitwidth, part === '' ? what : `${what} ${part}`);
  switch (value.kind) {
    case 'exact':
      return { fieldId: field.id, exact: { value: bytes(value.value, '') } };
    case 'optional':
      return { fieldId: field.id, optional: { value: bytes(value.value, '') } };
    case 'lpm': {
      if (
        !Number.isInteger(value.prefixLen) ||
        value.prefixLen < 0 ||
        value.prefixLen > field.bitwidth
      ) {
        throw new P4InfoLookupError(
          `${what}: prefix length ${value.prefixLen} outside 0..${field.bitwidth}`,
        );
      }
      // A zero-length prefix is a don't-care: the spec wants the field omitted.
      if (value.prefixLen === 0) return undefined;
      const hostBits = (1n << BigInt(field.bitwidth - value.prefixLen)) - 1n;
      if ((BigInt(value.value) & hostBits) !== 0n) {
        throw new P4InfoLookupError(`${what}: value has bits set beyond /${value.prefixLen}`);
      }
      return {
        fieldId: field.id,
        lpm: { value: bytes(value.value, ''), prefixLen: value.prefixLen },
      };
    }
    case 'ternary': {
      if (BigInt(value.mask) === 0n) return undefined;
      if ((BigInt(value.value) & ~BigInt(value.mask)) !== 0n) {
        throw new P4InfoLookupError(`${what}: value has bits set outside the mask`);
      }
      return {
        fieldId: field.id,
        ternary: { value: bytes(value.value, 'value'), mask: bytes(value.mask, 'mask') },
      };
    }
    case 'range':
      return {
        fieldId: field.id,
        range: { low: bytes(value.low, 'low'), high: bytes(value.high, 'high') },
      };
  }
}

function decodeFieldMatch(
  field: MatchFieldInfo,
  match: FieldMatch__Output,
  what: string,
): MatchValue {
  const width = field.bitwidth;
  switch (match.fieldMatchType) {
    case 'exact':
      return { kind: 'exact', value: decodeBytestring(match.exact?.value, width, what) };
    case 'optional':
      return { kind: 'optional', value: decodeBytestring(match.optional?.value, width, what) };
    case 'lpm':
      return {
        kind: 'lpm',
        value: decodeBytestring(match.lpm?.value, width, what),
        prefixLen: match.lpm?.prefixLen ?? 0,
      };
    case 'ternary':
      return {
        kind: 'ternary',
        value: decodeBytestring(match.ternary?.value, width, `${what} value`),
        mask: decodeBytestring(match.ternary?.mask, width, `${what} mask`),
      };
    case 'range':
      return {
        kind: 'range',
        low: decodeBytestring(match.range?.low, width, `${what} low`),
        high: decodeBytestring(match.range?.high, width, `${what} high`),
      };
    default:
      throw new P4InfoLookupError(
        `${what}: match kind "${match.fieldMatchType ?? 'unset'}" not supported`,
      );
  }
}

import type { Action } from '../../../src/p4rt/generated/p4/v1/Action.ts';
import type { Entity } from '../../../src/p4rt/generated/p4/v1/Entity.ts';
import type { FieldMatch } from '../../../src/p4rt/generated/p4/v1/FieldMatch.ts';
import type { TableAction } from '../../../src/p4rt/generated/p4/v1/TableAction.ts';
import type { Update } from '../../../src/p4rt/generated/p4/v1/Update.ts';
import type { P4InfoNames } from './p4info-names.ts';

// Builders of P4Runtime entities by P4Info name for the conformance cases. Numbers are sent
// as canonical bytestrings; a Buffer is sent exactly as given (to test non-canonical input).

export type Value = bigint | number | Buffer;

export function bytes(value: Value): Buffer {
  if (Buffer.isBuffer(value)) return value;
  const hex = BigInt(value).toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
}

export type Match =
  | { exact: Value }
  | { lpm: Value; prefixLen: number }
  | { ternary: Value; mask: Value }
  | { range: readonly [Value, Value] }
  | { optional: Value };

export interface ActionSpec {
  readonly name: string;
  readonly params?: Readonly<Record<string, Value>>;
}

export interface EntrySpec {
  readonly match?: Readonly<Record<string, Match>>;
  readonly action?: ActionSpec;
  readonly member?: number;
  readonly group?: number;
  readonly oneShot?: readonly { readonly action: ActionSpec; readonly weight: number }[];
  readonly priority?: number;
  readonly isDefault?: boolean;
  readonly counterData?: { readonly packets: number; readonly bytes: number };
  readonly metadata?: Buffer;
}

export const insert = (entity: Entity): Update => ({ type: 'INSERT', entity });
export const modify = (entity: Entity): Update => ({ type: 'MODIFY', entity });
export const remove = (entity: Entity): Update => ({ type: 'DELETE', entity });

export class EntityBuilder {
  constructor(readonly names: P4InfoNames) {}

  action(spec: ActionSpec): Action {
    return {
      actionId: this.names.actionId(spec.name),
      params: Object.entries(spec.params ?? {}).map(([param, value]) => ({
        paramId: this.names.paramId(spec.name, param),
        value: bytes(value),
      })),
    };
  }

  match(table: string, match: Readonly<Record<string, Match>>): FieldMatch[] {
    return Object.entries(match).map(([field, m]): FieldMatch => {
      const fieldId = this.names.fieldId(table, field);
      if ('exact' in m) return { fieldId, exact: { value: bytes(m.exact) } };
      if ('lpm' in m) return { fieldId, lpm: { value: bytes(m.lpm), prefixLen: m.prefixLen } };
      if ('ternary' in m)
        return { fieldId, ternary: { value: bytes(m.ternary), mask: bytes(m.mask) } };
      if ('range' in m)
        return { fieldId, range: { low: bytes(m.range[0]), high: bytes(m.range[1]) } };
      return { fieldId, optional: { value: bytes(m.optional) } };
    });
  }

  private tableAction(spec: EntrySpec): TableAction | undefined {
    if (spec.action) return { action: this.action(spec.action) };
    if (spec.member !== undefined) return { actionProfileMemberId: spec.member };
    if (spec.group !== undefined) return { actionProfileGroupId: spec.group };
    if (spec.oneShot) {
      return {
        actionProfileActionSet: {
          actionProfileActions: spec.oneShot.map((a) => ({
            action: this.action(a.action),
            weight: a.weight,
          })),
        },
      };
    }
    return undefined;
  }

  tableEntry(table: string, spec: EntrySpec = {}): Entity {
    const action = this.tableAction(spec);
    return {
      tableEntry: {
        tableId: this.names.tableId(table),
        ...(spec.match ? { match: this.match(table, spec.match) } : {}),
        ...(action ? { action } : {}),
        ...(spec.priority ? { priority: spec.priority } : {}),
        ...(spec.isDefault ? { isDefaultAction: true } : {}),
        ...(spec.counterData
          ? {
              counterData: {
                packetCount: spec.counterData.packets,
                byteCount: spec.counterData.bytes,
              },
            }
          : {}),
        ...(spec.metadata ? { metadata: spec.metadata } : {}),
      },
    };
  }

  member(profile: string, memberId: number, action?: ActionSpec): Entity {
    return {
      actionProfileMember: {
        actionProfileId: this.names.profileId(profile),
        memberId,
        ...(action ? { action: this.action(action) } : {}),
      },
    };
  }

  group(
    profile: string,
    groupId: number,
    members: readonly (readonly [number, number])[] = [],
  ): Entity {
    return {
      actionProfileGroup: {
        actionProfileId: this.names.profileId(profile),
        groupId,
        members: members.map(([memberId, weight]) => ({ memberId, weight })),
      },
    };
  }

  counter(name: string, index?: number, data?: { packets: number; bytes: number }): Entity {
    return {
      counterEntry: {
        counterId: this.names.counterId(name),
        ...(index !== undefined ? { index: { index } } : {}),
        ...(data ? { data: { packetCount: data.packets, byteCount: data.bytes } } : {}),
      },
    };
  }

  directCounter(
    table: string,
    match?: Readonly<Record<string, Match>>,
    data?: { packets: number; bytes: number },
  ): Entity {
    return {
      directCounterEntry: {
        tableEntry: {
          tableId: this.names.tableId(table),
          ...(match ? { match: this.match(table, match) } : {}),
        },
        ...(data ? { data: { packetCount: data.packets, byteCount: data.bytes } } : {}),
      },
    };
  }

  register(name: string, index?: number, value?: Value): Entity {
    return {
      registerEntry: {
        registerId: this.names.registerId(name),
        ...(index !== undefined ? { index: { index } } : {}),
        ...(value !== undefined ? { data: { bitstring: bytes(value) } } : {}),
      },
    };
  }
}

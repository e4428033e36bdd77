import type { P4Info__Output } from './generated/p4/config/v1/P4Info.ts';
import type { Preamble__Output } from './generated/p4/config/v1/Preamble.ts';

/**
 * Name resolution through the P4Info: every table, action, field, parameter, action
 * profile and counter is looked up by its fully qualified name (or its alias) and the
 * numeric ids stay inside this index. Lookups of anything the P4Info does not have throw a
 * P4InfoLookupError that names the missing thing and what exists instead.
 */

export class P4InfoLookupError extends Error {
  override readonly name = 'P4InfoLookupError';
}

export type MatchKind = 'EXACT' | 'LPM' | 'TERNARY' | 'RANGE' | 'OPTIONAL' | 'OTHER';

export interface MatchFieldInfo {
  readonly id: number;
  readonly name: string;
  readonly bitwidth: number;
  readonly matchKind: MatchKind;
}

export interface ParamInfo {
  readonly id: number;
  readonly name: string;
  readonly bitwidth: number;
}

export interface ActionInfo {
  readonly id: number;
  readonly name: string;
  readonly alias: string;
  readonly params: readonly ParamInfo[];
  param(name: string): ParamInfo;
  paramById(id: number): ParamInfo | undefined;
}

export interface ActionProfileInfo {
  readonly id: number;
  readonly name: string;
  readonly alias: string;
  readonly withSelector: boolean;
  readonly size: number;
  readonly maxGroupSize: number;
  readonly tableIds: readonly number[];
}

export interface TableInfo {
  readonly id: number;
  readonly name: string;
  readonly alias: string;
  readonly matchFields: readonly MatchFieldInfo[];
  /** Actions the table may hold, with their scope. */
  readonly actionRefs: readonly { readonly action: ActionInfo; readonly scope: string }[];
  /** The action profile or selector that implements the table, if any. */
  readonly implementation: ActionProfileInfo | undefined;
  readonly size: number;
  readonly constDefaultActionId: number;
  readonly isConst: boolean;
  readonly directCounterIds: readonly number[];
  matchField(name: string): MatchFieldInfo;
  matchFieldById(id: number): MatchFieldInfo | undefined;
  /** An action of this table by name; an action the table does not reference is an error. */
  action(name: string): ActionInfo;
}

export interface CounterInfo {
  readonly id: number;
  readonly name: string;
  readonly alias: string;
  readonly unit: string;
  readonly size: number;
}

export interface DirectCounterInfo {
  readonly id: number;
  readonly name: string;
  readonly alias: string;
  readonly unit: string;
  readonly tableId: number;
}

interface Named {
  readonly id: number;
  readonly name: string;
  readonly alias: string;
}

/** Entities of one kind, found by name, alias or id. */
export class Catalog<T extends Named> {
  private readonly byName = new Map<string, T>();
  private readonly byId = new Map<number, T>();

  constructor(
    private readonly kind: string,
    readonly all: readonly T[],
  ) {
    for (const item of all) {
      this.byId.set(item.id, item);
      this.byName.set(item.name, item);
    }
    // Aliases never shadow a full name.
    for (const item of all) if (!this.byName.has(item.alias)) this.byName.set(item.alias, item);
  }

  get(name: string): T {
    const found = this.byName.get(name);
    if (found === undefined) {
      const known = this.all.map((item) => item.name).join(', ') || 'none';
      throw new P4InfoLookupError(`${this.kind} "${name}" is not in the P4Info (${known})`);
    }
    return found;
  }

  find(name: string): T | undefined {
    return this.byName.get(name);
  }

  byIdOrUndefined(id: number): T | undefined {
    return this.byId.get(id);
  }

  getById(id: number): T {
    const found = this.byId.get(id);
    if (found === undefined)
      throw new P4InfoLookupError(`${this.kind} id ${id} is not in the P4Info`);
    return found;
  }
}

function preambleOf(what: string, preamble: Preamble__Output | undefined): Named {
  if (preamble?.id === undefined || preamble.name === undefined) {
    throw new P4InfoLookupError(`P4Info: a ${what} has no preamble id or name`);
  }
  return { id: preamble.id, name: preamble.name, alias: preamble.alias ?? preamble.name };
}

function lookupIn<T extends { readonly name: string }>(
  items: readonly T[],
  name: string,
  what: string,
): T {
  const found = items.find((item) => item.name === name);
  if (found === undefined) {
    const known = items.map((item) => item.name).join(', ') || 'none';
    throw new P4InfoLookupError(`${what} has no "${name}" (${known})`);
  }
  return found;
}

/** The P4Info of one pipeline, indexed for lookups in both directions. */
export class P4InfoIndex {
  readonly tables: Catalog<TableInfo>;
  readonly actions: Catalog<ActionInfo>;
  readonly actionProfiles: Catalog<ActionProfileInfo>;
  readonly counters: Catalog<CounterInfo>;
  readonly directCounters: Catalog<DirectCounterInfo>;

  constructor(readonly p4info: P4Info__Output) {
    const actions = (p4info.actions ?? []).map((action) => {
      const named = preambleOf('action', action.preamble);
      const params: ParamInfo[] = (action.params ?? []).map((param) => ({
        id: param.id ?? 0,
        name: param.name ?? '',
        bitwidth: param.bitwidth ?? 0,
      }));
      const info: ActionInfo = {
        ...named,
        params,
        param: (name) => lookupIn(params, name, `action ${named.name}`),
        paramById: (id) => params.find((param) => param.id === id),
      };
      return info;
    });
    this.actions = new Catalog('action', actions);

    const profiles = (p4info.actionProfiles ?? []).map((profile): ActionProfileInfo => ({
      ...preambleOf('action profile', profile.preamble),
      withSelector: profile.withSelector ?? false,
      size: Number(profile.size ?? 0),
      maxGroupSize: profile.maxGroupSize ?? 0,
      tableIds: profile.tableIds ?? [],
    }));
    this.actionProfiles = new Catalog('action profile', profiles);

    const tables = (p4info.tables ?? []).map((table) => {
      const named = preambleOf('table', table.preamble);
      const matchFields: MatchFieldInfo[] = (table.matchFields ?? []).map((field) => ({
        id: field.id ?? 0,
        name: field.name ?? '',
        bitwidth: field.bitwidth ?? 0,
        matchKind: field.match === 'otherMatchType' ? 'OTHER' : matchKindOf(field.matchType),
      }));
      const actionRefs = (table.actionRefs ?? []).map((ref) => ({
        action: this.actions.getById(ref.id ?? 0),
        scope: ref.scope ?? 'TABLE_AND_DEFAULT',
      }));
      const implementationId = table.implementationId ?? 0;
      const info: TableInfo = {
        ...named,
        matchFields,
        actionRefs,
        implementation:
          implementationId === 0 ? undefined : this.actionProfiles.getById(implementationId),
        size: Number(table.size ?? 0),
        constDefaultActionId: table.constDefaultActionId ?? 0,
        isConst: table.isConstTable ?? false,
        directCounterIds: table.directResourceIds ?? [],
        matchField: (name) => lookupIn(matchFields, name, `table ${named.name}`),
        matchFieldById: (id) => matchFields.find((field) => field.id === id),
        action: (name) => {
          const action = this.actions.get(name);
          if (!actionRefs.some((ref) => ref.action === action)) {
            const known = actionRefs.map((ref) => ref.action.name).join(', ');
            throw new P4InfoLookupError(
              `table ${named.name} has no action "${name}" (${known || 'none'})`,
            );
          }
          return action;
        },
      };
      return info;
    });
    this.tables = new Catalog('table', tables);

    this.counters = new Catalog(
      'counter',
      (p4info.counters ?? []).map((counter) => ({
        ...preambleOf('counter', counter.preamble),
        unit: counter.spec?.unit ?? 'UNSPECIFIED',
        size: Number(counter.size ?? 0),
      })),
    );
    this.directCounters = new Catalog(
      'direct counter',
      (p4info.directCounters ?? []).map((counter) => ({
        ...preambleOf('direct counter', counter.preamble),
        unit: counter.spec?.unit ?? 'UNSPECIFIED',
        tableId: counter.directTableId ?? 0,
      })),
    );
  }

  table(name: string): TableInfo {
    return this.tables.get(name);
  }

  /** The table, or undefined when the program has none of that name. */
  findTable(name: string): TableInfo | undefined {
    return this.tables.find(name);
  }

  action(name: string): ActionInfo {
    return this.actions.get(name);
  }

  actionProfile(name: string): ActionProfileInfo {
    return this.actionProfiles.get(name);
  }

  counter(name: string): CounterInfo {
    return this.counters.get(name);
  }

  directCounter(name: string): DirectCounterInfo {
    return this.directCounters.get(name);
  }
}

function matchKindOf(matchType: string | undefined): MatchKind {
  switch (matchType) {
    case 'EXACT':
    case 'LPM':
    case 'TERNARY':
    case 'RANGE':
    case 'OPTIONAL':
      return matchType;
    default:
      throw new P4InfoLookupError(`P4Info: match type "${matchType ?? 'unset'}" is not supported`);
  }
}

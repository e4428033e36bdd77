/**
 * Compiles a validated BMv2 JSON into a runnable program: the PHV layout, parser, the
 * ingress and egress controls with their tables, action profiles, counters and registers,
 * checksums and deparser. Every stateful object is created here, so compiling twice gives
 * two independent instances (one per Dataplane). Constructs this target does not run are
 * refused here, each with an error that names it.
 */
import type { Bmv2Json, ConstEntry, PipelineJson, Table } from '../bmv2/bmv2-json.ts';
import { parseHexstr } from '../bmv2/bmv2-json.ts';
import type {
  DataplaneActionInfo,
  DataplaneActionProfileInfo,
  DataplaneCounterInfo,
  DefaultActionInfo,
  DirectCounterInfo,
  FieldMatch,
  KeyFieldInfo,
  DataplaneMatchKind,
  RegisterInfo,
  TableEntry,
  DataplaneTableInfo,
} from './api.ts';
import { ActionProfileState } from './action-profile.ts';
import { bindAction, compileAction, type CompiledAction } from './actions.ts';
import { CalculationCompiler, type CompiledCalculation } from './calculation.ts';
import { compileChecksums, type CompiledChecksums } from './checksums.ts';
import { CounterArray } from './counters.ts';
import { compileBool } from './expressions.ts';
import { invalid, unsupported } from './load-errors.ts';
import { prefixMask } from './match-key.ts';
import type { KeySource } from './match-table.ts';
import {
  PacketLayout,
  type FieldLayout,
  type HeaderLayout,
  type PacketState,
} from './packet-layout.ts';
import { compileParser, type CompiledParser } from './parser.ts';
import { ParserErrors } from './parser-errors.ts';
import type { PrimitiveScope } from './primitives.ts';
import { RegisterArray } from './registers.ts';
import { TableRuntime, type ControlNode } from './table-runtime.ts';

/** The standard_metadata fields simple_switch reads and writes around the pipelines. */
export interface StandardMetadata {
  readonly ingressPort: FieldLayout;
  readonly egressSpec: FieldLayout;
  readonly egressPort: FieldLayout;
  readonly packetLength?: FieldLayout;
  readonly instanceType?: FieldLayout;
  readonly parserError?: FieldLayout;
  readonly checksumError?: FieldLayout;
  readonly mcastGrp?: FieldLayout;
  readonly ingressTimestamp?: FieldLayout;
  readonly egressTimestamp?: FieldLayout;
  readonly enqTimestamp?: FieldLayout;
}

export interface CompiledProgram {
  readonly layout: PacketLayout;
  readonly errors: ParserErrors;
  readonly standardMetadata: StandardMetadata;
  readonly parser: CompiledParser;
  readonly checksums: CompiledChecksums;
  readonly ingress: ControlNode | null;
  readonly egress: ControlNode | null;
  readonly deparseOrder: readonly HeaderLayout[];
  readonly tables: ReadonlyMap<string, TableRuntime>;
  readonly profiles: ReadonlyMap<string, ActionProfileState>;
  readonly counters: ReadonlyMap<string, CounterArray>;
  readonly registers: ReadonlyMap<string, RegisterArray>;
  readonly actions: readonly DataplaneActionInfo[];
  readonly profileInfos: readonly DataplaneActionProfileInfo[];
  readonly counterInfos: readonly DataplaneCounterInfo[];
  readonly directCounterInfos: readonly DirectCounterInfo[];
  readonly registerInfos: readonly RegisterInfo[];
}

export function compileProgram(json: Bmv2Json): CompiledProgram {
  refuseUnsupported(json);
  const layout = new PacketLayout(json);
  const errors = new ParserErrors(json);
  const standardMetadata = findStandardMetadata(layout);

  const calculationCompiler = new CalculationCompiler(layout);
  const calculations = new Map<string, CompiledCalculation>();
  for (const c of json.calculations ?? []) {
    calculations.set(
      c.name,
      calculationCompiler.compile(c.algo, c.input, `calculation '${c.name}'`),
    );
  }

  const counters = new Map<string, CounterArray>();
  const directCounterInfos: DirectCounterInfo[] = [];
  for (const c of json.counter_arrays ?? []) {
    if (c.is_direct) {
      if (!c.binding) throw invalid(`direct counter '${c.name}' has no binding`);
      directCounterInfos.push({ name: c.name, table: c.binding });
    } else counters.set(c.name, new CounterArray(c.name, c.size ?? 0));
  }
  const registers = new Map(
    (json.register_arrays ?? []).map((r) => [
      r.name,
      new RegisterArray(r.name, r.size, r.bitwidth),
    ]),
  );

  const scope: Omit<PrimitiveScope, 'where'> = { layout, calculations, counters, registers };
  const actionsById = new Map<number, CompiledAction>();
  for (const a of json.actions) {
    if (actionsById.has(a.id)) throw invalid(`two actions have id ${a.id}`);
    actionsById.set(a.id, compileAction(a, scope));
  }

  const parserJson = json.parsers.find((p) => p.name === 'parser') ?? json.parsers[0];
  if (!parserJson) throw invalid('no parser');
  const parser = compileParser(parserJson.parse_states, parserJson.init_state, scope, errors);

  const tables = new Map<string, TableRuntime>();
  const profiles = new Map<string, ActionProfileState>();
  const profileInfos: DataplaneActionProfileInfo[] = [];
  const controls = new Map<string, ControlNode | null>();
  for (const pipeline of json.pipelines) {
    controls.set(
      pipeline.name,
      compileControl(pipeline, {
        layout,
        actionsById,
        calculationCompiler,
        directCounterInfos,
        tables,
        profiles,
        profileInfos,
      }),
    );
  }
  if (!controls.has('ingress') || !controls.has('egress')) {
    throw invalid('v1model needs pipelines named "ingress" and "egress"');
  }

  const deparserJson = json.deparsers.find((d) => d.name === 'deparser') ?? json.deparsers[0];
  if (!deparserJson) throw invalid('no deparser');
  if ((deparserJson.primitives ?? []).length > 0) {
    throw unsupported(`deparser primitives in deparser '${deparserJson.name}'`);
  }
  const deparseOrder = deparserJson.order.map((name) => {
    const header = layout.header(name);
    if (!header) throw invalid(`deparser emits unknown header '${name}'`);
    return header;
  });

  const actions = new Map<string, DataplaneActionInfo>();
  for (const a of actionsById.values()) if (!actions.has(a.name)) actions.set(a.name, a.info);

  return {
    layout,
    errors,
    standardMetadata,
    parser,
    checksums: compileChecksums(json, layout, calculations),
    ingress: controls.get('ingress')!,
    egress: controls.get('egress')!,
    deparseOrder,
    tables,
    profiles,
    counters,
    registers,
    actions: [...actions.values()],
    profileInfos,
    counterInfos: [...counters.values()].map((c) => ({ name: c.name, size: c.size, unit: 'both' })),
    directCounterInfos,
    registerInfos: [...registers.values()].map((r) => ({
      name: r.name,
      size: r.size,
      bitwidth: r.bitwidth,
    })),
  };
}

function refuseUnsupported(json: Bmv2Json): void {
  const refuse = (list: readonly unknown[] | undefined, construct: string) => {
    if (list && list.length > 0) throw unsupported(construct);
  };
  refuse(json.header_union_types, 'header unions');
  refuse(json.header_unions, 'header unions');
  refuse(json.header_union_stacks, 'header union stacks');
  refuse(json.parse_vsets, 'parser value sets');
  refuse(json.meter_arrays, `meters (not supported yet): '${nameOf(json.meter_arrays?.[0])}'`);
  refuse(json.learn_lists, 'digests (learn lists)');
  refuse(json.field_lists, 'field lists (clone, resubmit, recirculate)');
  refuse(json.extern_instances, `extern instances ('${nameOf(json.extern_instances?.[0])}')`);
  if (json.parsers.length !== 1)
    throw unsupported(`${json.parsers.length} parsers (v1model has one)`);
  if (json.deparsers.length !== 1) {
    throw unsupported(`${json.deparsers.length} deparsers (v1model has one)`);
  }
  for (const p of json.pipelines) {
    refuse(p.action_calls, `action_calls in pipeline '${p.name}'`);
  }
}

function nameOf(value: unknown): string {
  return typeof value === 'object' && value !== null && 'name' in value ? String(value.name) : '?';
}

function findStandardMetadata(layout: PacketLayout): StandardMetadata {
  const required = (name: string) => {
    const f = layout.namedField(`standard_metadata.${name}`);
    if (!f) throw invalid(`v1model needs field standard_metadata.${name}`);
    return f;
  };
  const optional = (qualified: string) => {
    const f = layout.namedField(qualified);
    return f ? f : undefined;
  };
  const fields: { -readonly [K in keyof StandardMetadata]: StandardMetadata[K] } = {
    ingressPort: required('ingress_port'),
    egressSpec: required('egress_spec'),
    egressPort: required('egress_port'),
  };
  const optionalFields = {
    packetLength: optional('standard_metadata.packet_length'),
    instanceType: optional('standard_metadata.instance_type'),
    parserError: optional('standard_metadata.parser_error'),
    checksumError: optional('standard_metadata.checksum_error'),
    mcastGrp: optional('intrinsic_metadata.mcast_grp') ?? optional('standard_metadata.mcast_grp'),
    ingressTimestamp: optional('intrinsic_metadata.ingress_global_timestamp'),
    egressTimestamp: optional('intrinsic_metadata.egress_global_timestamp'),
    enqTimestamp: optional('queueing_metadata.enq_timestamp'),
  };
  for (const [key, f] of Object.entries(optionalFields)) {
    if (f) (fields as Record<string, FieldLayout>)[key] = f;
  }
  return fields;
}

interface ControlContext {
  readonly layout: PacketLayout;
  readonly actionsById: ReadonlyMap<number, CompiledAction>;
  readonly calculationCompiler: CalculationCompiler;
  readonly directCounterInfos: readonly DirectCounterInfo[];
  readonly tables: Map<string, TableRuntime>;
  readonly profiles: Map<string, ActionProfileState>;
  readonly profileInfos: DataplaneActionProfileInfo[];
}

class ConditionalNode implements ControlNode {
  ifTrue: ControlNode | null = null;
  ifFalse: ControlNode | null = null;

  constructor(private readonly condition: (s: PacketState) => boolean) {}

  run(s: PacketState): ControlNode | null {
    return this.condition(s) ? this.ifTrue : this.ifFalse;
  }
}

function compileControl(pipeline: PipelineJson, ctx: ControlContext): ControlNode | null {
  const nodes = new Map<string, ControlNode>();
  const resolve = (name: string | null | undefined, from: string): ControlNode | null => {
    if (name === null || name === undefined) return null;
    const node = nodes.get(name);
    if (!node) throw invalid(`'${from}' continues to unknown node '${name}'`);
    return node;
  };

  // Action profiles first: tables bind their members' actions through them.
  const profileTables = new Map<string, Table[]>();
  for (const t of pipeline.tables) {
    if (t.type !== 'simple') {
      if (!t.action_profile) throw invalid(`table '${t.name}' is ${t.type} without action_profile`);
      profileTables.set(t.action_profile, [...(profileTables.get(t.action_profile) ?? []), t]);
    }
  }
  for (const p of pipeline.action_profiles) {
    const users = profileTables.get(p.name) ?? [];
    const actions = new Map<string, CompiledAction>();
    for (const t of users) {
      for (const a of tableActions(t, ctx.actionsById))
        if (!actions.has(a.name)) actions.set(a.name, a);
    }
    let selector: CompiledCalculation | undefined;
    if (p.selector) {
      for (const input of p.selector.input) {
        if (input.type !== 'field') {
          throw unsupported(`selector input of type '${input.type}' in '${p.name}'`);
        }
      }
      selector = ctx.calculationCompiler.compile(
        p.selector.algo,
        p.selector.input,
        `action selector '${p.name}'`,
      );
    }
    ctx.profiles.set(p.name, new ActionProfileState(p.name, p.max_size, selector, actions));
    ctx.profileInfos.push({
      name: p.name,
      maxSize: p.max_size,
      isSelector: selector !== undefined,
      tables: users.map((t) => t.name),
    });
  }

  for (const t of pipeline.tables) {
    if (ctx.tables.has(t.name)) throw invalid(`two tables are named '${t.name}'`);
    const table = compileTable(t, ctx);
    ctx.tables.set(t.name, table);
    nodes.set(t.name, table);
  }
  const conditionals: [ConditionalNode, (typeof pipeline.conditionals)[number]][] = [];
  for (const c of pipeline.conditionals) {
    const node = new ConditionalNode(
      compileBool(c.expression, { layout: ctx.layout, where: `conditional '${c.name}'` }).eval,
    );
    if (nodes.has(c.name)) throw invalid(`node name '${c.name}' is used twice`);
    nodes.set(c.name, node);
    conditionals.push([node, c]);
  }
  for (const [node, c] of conditionals) {
    node.ifTrue = resolve(c.true_next, c.name);
    node.ifFalse = resolve(c.false_next, c.name);
  }
  for (const t of pipeline.tables) {
    const table = ctx.tables.get(t.name)!;
    const next = t.next_tables;
    if ('__HIT__' in next || '__MISS__' in next) {
      table.successors.hitMiss = {
        hit: resolve(next['__HIT__'], t.name),
        miss: resolve(next['__MISS__'], t.name),
      };
    } else {
      for (const [action, target] of Object.entries(next)) {
        table.successors.byAction.set(action, resolve(target, t.name));
      }
    }
    table.successors.missWithoutAction = resolve(t.base_default_next, t.name);
  }
  return resolve(pipeline.init_table, pipeline.name);
}

function tableActions(
  t: Table,
  actionsById: ReadonlyMap<number, CompiledAction>,
): CompiledAction[] {
  return t.action_ids.map((id) => {
    const a = actionsById.get(id);
    if (!a) throw invalid(`table '${t.name}' uses unknown action id ${id}`);
    return a;
  });
}

const matchKinds: ReadonlySet<string> = new Set(['exact', 'lpm', 'ternary', 'range', 'optional']);

function compileTable(t: Table, ctx: ControlContext): TableRuntime {
  const where = `table '${t.name}'`;
  if (t.direct_meters) throw unsupported(`direct meters (not supported yet) on ${where}`);
  if (t.support_timeout) throw unsupported(`idle timeout on ${where}`);
  const keys: KeyFieldInfo[] = [];
  const sources: KeySource[] = [];
  for (const k of t.key) {
    if (!matchKinds.has(k.match_type))
      throw unsupported(`match kind '${k.match_type}' in ${where}`);
    if (k.mask !== undefined && k.mask !== null) {
      throw unsupported(`masked key '${k.name ?? JSON.stringify(k.target)}' in ${where}`);
    }
    const target = k.target;
    if (
      !Array.isArray(target) ||
      target.length !== 2 ||
      !target.every((x) => typeof x === 'string')
    ) {
      throw invalid(`${where}: key target ${JSON.stringify(target)} is not [header, field]`);
    }
    const [headerName, fieldName] = target as [string, string];
    let bitwidth: number;
    if (fieldName === '$valid$') {
      const header = ctx.layout.header(headerName);
      if (!header) throw invalid(`${where}: unknown header '${headerName}'`);
      sources.push({ kind: 'valid', headerIndex: header.index });
      bitwidth = 1;
    } else {
      const field = ctx.layout.field(headerName, fieldName);
      if (!field) throw invalid(`${where}: unknown key field '${headerName}.${fieldName}'`);
      if (field.signed) throw unsupported(`signed key field '${field.qualifiedName}' in ${where}`);
      sources.push({ kind: 'field', field });
      bitwidth = field.width;
    }
    keys.push({
      name: k.name ?? `${headerName}.${fieldName}`,
      matchKind: k.match_type as DataplaneMatchKind,
      bitwidth,
    });
  }
  const actions = tableActions(t, ctx.actionsById);
  const actionMap = new Map<string, CompiledAction>();
  for (const a of actions) if (!actionMap.has(a.name)) actionMap.set(a.name, a);
  const needsPriority = keys.some((k) => k.matchKind !== 'exact' && k.matchKind !== 'lpm');

  let defaultAction: DefaultActionInfo | undefined;
  if (t.default_entry) {
    const action = ctx.actionsById.get(t.default_entry.action_id);
    if (!action)
      throw invalid(`${where}: default action id ${t.default_entry.action_id} is unknown`);
    actionMap.set(action.name, actionMap.get(action.name) ?? action);
    defaultAction = {
      action: action.name,
      params: t.default_entry.action_data.map(parseHexstr),
      isConst:
        (t.default_entry.action_const ?? false) || (t.default_entry.action_entry_const ?? false),
    };
  }

  const constEntries = (t.entries ?? []).map((e, i) => {
    const entry = constEntry(e, keys, needsPriority, ctx.actionsById, `${where} entry ${i}`);
    return { entry, bound: bindAction(entry.action, actionMap, where) };
  });

  const implementation = t.type === 'simple' ? undefined : t.action_profile;
  const directCounter = ctx.directCounterInfos.find((c) => c.table === t.name)?.name;
  if (t.with_counters && !directCounter)
    throw invalid(`${where} has counters but no direct counter array`);

  const info: DataplaneTableInfo = {
    name: t.name,
    keys,
    actions: [...actionMap.values()].map((a) => a.info),
    maxSize: t.max_size,
    needsPriority,
    defaultAction,
    constEntries: constEntries.map((c) => c.entry),
    isConst: t.entries !== undefined,
    implementation,
    directCounter,
  };
  return new TableRuntime(
    info,
    sources,
    actionMap,
    implementation ? ctx.profiles.get(implementation) : undefined,
    constEntries,
  );
}

/** BMv2 ranks const entries low-number-first; PI shows them with priority INT32_MAX - p. */
const BM_MAX_PRIORITY = 0x7fffffff;

function constEntry(
  e: ConstEntry,
  keys: readonly KeyFieldInfo[],
  needsPriority: boolean,
  actionsById: ReadonlyMap<number, CompiledAction>,
  where: string,
): TableEntry & { action: { kind: 'action'; action: string; params: readonly bigint[] } } {
  if (e.match_key.length !== keys.length) {
    throw invalid(`${where}: ${e.match_key.length} match fields for ${keys.length} keys`);
  }
  const hex = (v: string | undefined, what: string) => {
    if (v === undefined) throw invalid(`${where}: missing '${what}'`);
    return parseHexstr(v);
  };
  const match = e.match_key.map((m, i): FieldMatch | undefined => {
    const key = keys[i]!;
    if (m.match_type !== key.matchKind) {
      throw invalid(
        `${where}: match field ${i} is '${m.match_type}', the key is '${key.matchKind}'`,
      );
    }
    switch (key.matchKind) {
      case 'exact':
        return { kind: 'exact', value: hex(m.key, 'key') };
      case 'lpm': {
        // BMv2 masks the key of an initial entry itself; P4Runtime wants it pre-masked.
        const prefixLength = m.prefix_length ?? key.bitwidth;
        const value = hex(m.key, 'key') & prefixMask(key.bitwidth, prefixLength);
        return { kind: 'lpm', value, prefixLength };
      }
      case 'ternary': {
        const mask = hex(m.mask, 'mask');
        return { kind: 'ternary', value: hex(m.key, 'key') & mask, mask };
      }
      case 'range':
        return { kind: 'range', low: hex(m.start, 'start'), high: hex(m.end, 'end') };
      case 'optional':
        return m.mask !== undefined && parseHexstr(m.mask) === 0n
          ? undefined
          : { kind: 'optional', value: hex(m.key, 'key') };
    }
  });
  const action = actionsById.get(e.action_entry.action_id);
  if (!action) throw invalid(`${where}: unknown action id ${e.action_entry.action_id}`);
  return {
    match,
    priority: needsPriority ? BM_MAX_PRIORITY - e.priority : 0,
    action: {
      kind: 'action',
      action: action.name,
      params: e.action_entry.action_data.map(parseHexstr),
    },
  };
}

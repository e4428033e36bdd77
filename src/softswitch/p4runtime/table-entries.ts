import type { TableAction } from '../../p4rt/generated/p4/v1/TableAction.ts';
import type { TableEntry, TableEntry__Output } from '../../p4rt/generated/p4/v1/TableEntry.ts';
import type {
  EntryAction,
  EntryKey,
  TableEntry as DataplaneEntry,
  TableEntryState,
} from '../dataplane/api.ts';
import { decodeCounterData, encodeCounterData } from './counter-data.ts';
import {
  decodeEntryKey,
  decodeMatch,
  decodeTableActionCall,
  encodeAction,
  encodeMatch,
} from './entry-codec.ts';
import type { ForwardingState } from './forwarding-state.ts';
import type { TableBinding } from './p4info-index.ts';
import { invalidArgument, notFound, P4RuntimeError } from './p4runtime-error.ts';
import type { UpdateType } from './update-type.ts';

// TableEntry writes and reads (spec "TableEntry", "Default Entry", "Constant Tables",
// "Direct Resources", "Wildcard Reads"), including one-shot action sets.

function permissionDenied(message: string): P4RuntimeError {
  return new P4RuntimeError('PERMISSION_DENIED', message);
}

/** Refuses the parts of a written entry this target has nothing for. */
function checkUnsupportedParts(table: TableBinding, entry: TableEntry__Output): void {
  if (entry.isConst) throw invalidArgument('is_const must be false in a write');
  if (entry.meterConfig || entry.meterCounterData) {
    throw invalidArgument(`table '${table.name}' has no direct meter`);
  }
  if (BigInt(entry.idleTimeoutNs ?? '0') !== 0n) {
    throw invalidArgument(`table '${table.name}' does not support idle timeouts`);
  }
  if (entry.counterData && !table.directCounter) {
    throw invalidArgument(`table '${table.name}' has no direct counter`);
  }
}

/** The data plane action of a written entry; one-shot sets are resolved by the caller. */
function decodeEntryAction(
  state: ForwardingState,
  table: TableBinding,
  action: NonNullable<TableEntry__Output['action']>,
): EntryAction {
  const profile = table.profile;
  switch (action.type) {
    case 'action':
      if (profile)
        throw invalidArgument(
          `table '${table.name}' is indirect: give a member, group or action set`,
        );
      return { kind: 'action', ...decodeTableActionCall(table, action.action!, false) };
    case 'actionProfileMemberId':
    case 'actionProfileGroupId': {
      if (!profile) throw invalidArgument(`table '${table.name}' is direct: give an action`);
      if (state.oneShots.inUse(profile.name)) {
        throw invalidArgument(
          `action selector '${profile.name}' is programmed with one-shot action sets; members and groups cannot be mixed in`,
        );
      }
      if (action.type === 'actionProfileMemberId') {
        const memberId = action.actionProfileMemberId ?? 0;
        if (memberId === 0) throw invalidArgument('action_profile_member_id 0 is not a member id');
        // An absent member or group: the data plane answers NOT_FOUND.
        return { kind: 'member', memberId };
      }
      if (!profile.withSelector)
        throw invalidArgument(`action profile '${profile.name}' has no selector: groups need one`);
      const groupId = action.actionProfileGroupId ?? 0;
      if (groupId === 0) throw invalidArgument('action_profile_group_id 0 is not a group id');
      return { kind: 'group', groupId };
    }
    case 'actionProfileActionSet':
      throw new Error('one-shot action sets are resolved before decodeEntryAction');
    default:
      throw invalidArgument(`table '${table.name}': the entry's action has no type set`);
  }
}

function dataplaneEntry(
  key: EntryKey,
  action: EntryAction,
  entry: TableEntry__Output,
): DataplaneEntry {
  const metadata = entry.metadata && entry.metadata.length > 0 ? entry.metadata : undefined;
  const controllerMetadata = BigInt(entry.controllerMetadata ?? '0');
  return {
    ...key,
    action,
    ...(controllerMetadata !== 0n ? { controllerMetadata } : {}),
    ...(metadata ? { metadata } : {}),
  };
}

/**
 * Points the entry at `action` (inserting it or replacing its action): a one-shot action set
 * becomes a hidden group first, and the entry's previous one-shot group is released after.
 */
function putEntry(
  state: ForwardingState,
  table: TableBinding,
  key: EntryKey,
  entry: TableEntry__Output,
  type: 'INSERT' | 'MODIFY',
): void {
  const { dataplane, oneShots } = state;
  const action = entry.action!;
  const store = (entryAction: EntryAction): void => {
    const next = dataplaneEntry(key, entryAction, entry);
    if (type === 'INSERT') dataplane.insertEntry(table.name, next);
    else dataplane.modifyEntry(table.name, next);
  };
  if (action.type !== 'actionProfileActionSet') {
    store(decodeEntryAction(state, table, action));
    oneShots.release(dataplane, table, key);
    return;
  }
  const profile = table.profile;
  if (!profile?.withSelector) {
    throw invalidArgument(
      `table '${table.name}' has no action selector: one-shot action sets need one`,
    );
  }
  const group = oneShots.create(dataplane, table, profile, action.actionProfileActionSet!);
  try {
    store({ kind: 'group', groupId: group.groupId });
  } catch (error) {
    oneShots.discard(dataplane, group);
    throw error;
  }
  oneShots.release(dataplane, table, key);
  oneShots.attach(table.name, key, group);
}

function writeDefaultEntry(
  state: ForwardingState,
  table: TableBinding,
  type: UpdateType,
  entry: TableEntry__Output,
): void {
  if ((entry.match?.length ?? 0) > 0)
    throw invalidArgument('the default entry has no match fields');
  if ((entry.priority ?? 0) !== 0) throw invalidArgument('the default entry has priority 0');
  if (type !== 'MODIFY')
    throw invalidArgument(`the default entry can only be modified, not ${type}`);
  if (table.profile) {
    throw invalidArgument(
      `table '${table.name}' is indirect: its default entry cannot be set or reset`,
    );
  }
  if (table.info.defaultAction?.isConst) {
    throw permissionDenied(`table '${table.name}' has a const default action`);
  }
  if (entry.counterData)
    throw invalidArgument('direct counters of the default entry are not supported');
  if (!entry.action) {
    state.dataplane.resetDefaultAction(table.name);
    return;
  }
  if (entry.action.type !== 'action')
    throw invalidArgument(`table '${table.name}': the default entry takes an action`);
  state.dataplane.setDefaultAction(table.name, {
    kind: 'action',
    ...decodeTableActionCall(table, entry.action.action!, true),
  });
}

export function writeTableEntry(
  state: ForwardingState,
  type: UpdateType,
  entry: TableEntry__Output,
): void {
  const table = state.table(entry.tableId);
  if (entry.isDefaultAction) {
    if (type !== 'DELETE') checkUnsupportedParts(table, entry);
    writeDefaultEntry(state, table, type, entry);
    return;
  }
  const key = decodeEntryKey(table, entry);
  const { dataplane, oneShots } = state;
  if (type === 'DELETE') {
    if (table.info.isConst) throw permissionDenied(`table '${table.name}' is const`);
    dataplane.deleteEntry(table.name, key);
    oneShots.release(dataplane, table, key);
    return;
  }
  checkUnsupportedParts(table, entry);
  const counter = entry.counterData ? decodeCounterData(entry.counterData) : undefined;
  if (type === 'INSERT') {
    if (table.info.isConst) throw permissionDenied(`table '${table.name}' is const`);
    if (table.matchFields.length === 0) {
      throw invalidArgument(
        `table '${table.name}' is keyless: only its default entry can be written`,
      );
    }
    if (!entry.action) throw invalidArgument('an inserted entry needs an action');
    putEntry(state, table, key, entry, 'INSERT');
  } else if (entry.action) {
    if (table.info.isConst)
      throw permissionDenied(`table '${table.name}' is const: its actions cannot change`);
    putEntry(state, table, key, entry, 'MODIFY');
  } else {
    // MODIFY without an action changes direct resources only (a no-op without them).
    readEntryState(state, table, key);
  }
  if (counter) dataplane.writeDirectCounter(table.name, key, counter);
}

/** One entry's state (const entries included); NOT_FOUND when the table has none with that key. */
export function readEntryState(
  state: ForwardingState,
  table: TableBinding,
  key: EntryKey,
): TableEntryState {
  if (table.info.isConst) {
    const constant = table.info.constEntries.find(
      (e) =>
        JSON.stringify(e.match, bigintJson) === JSON.stringify(key.match, bigintJson) &&
        e.priority === key.priority,
    );
    if (!constant) throw notFound(`const table '${table.name}' has no such entry`);
    return table.directCounter
      ? { ...constant, counter: state.dataplane.readDirectCounter(table.name, key) }
      : constant;
  }
  return state.dataplane.readEntry(table.name, key);
}

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function encodeEntryAction(
  state: ForwardingState,
  table: TableBinding,
  entry: TableEntryState,
): TableAction | undefined {
  const action = entry.action;
  switch (action.kind) {
    case 'action': {
      const binding = table.actionsByName.get(action.action);
      return binding ? { action: encodeAction(binding, action) } : undefined;
    }
    case 'member':
      return { actionProfileMemberId: action.memberId };
    case 'group': {
      const actionSet = state.oneShots.actionSetOf(table, entry);
      return actionSet
        ? { actionProfileActionSet: actionSet }
        : { actionProfileGroupId: action.groupId };
    }
  }
}

function encodeEntry(
  state: ForwardingState,
  table: TableBinding,
  entry: TableEntryState,
  withCounter: boolean,
  isConst: boolean,
): TableEntry {
  const action = encodeEntryAction(state, table, entry);
  return {
    tableId: table.id,
    match: encodeMatch(table, entry.match),
    ...(action ? { action } : {}),
    ...(entry.priority !== 0 ? { priority: entry.priority } : {}),
    ...(entry.controllerMetadata
      ? { controllerMetadata: entry.controllerMetadata.toString() }
      : {}),
    ...(entry.metadata ? { metadata: Buffer.from(entry.metadata) } : {}),
    ...(withCounter && entry.counter ? { counterData: encodeCounterData(entry.counter) } : {}),
    ...(isConst ? { isConst: true } : {}),
  };
}

function encodeDefaultEntry(state: ForwardingState, table: TableBinding): TableEntry | undefined {
  const action = state.dataplane.getDefaultAction(table.name);
  if (action?.kind !== 'action') return undefined;
  const binding = table.actionsByName.get(action.action);
  if (!binding) return undefined;
  return {
    tableId: table.id,
    isDefaultAction: true,
    action: { action: encodeAction(binding, action) },
    ...(table.info.defaultAction?.isConst ? { isConst: true } : {}),
  };
}

/** Default entries the control plane changed from the program's (for RECONCILE_AND_COMMIT). */
export function changedDefaultEntries(state: ForwardingState): TableEntry[] {
  return [...state.index.tables.values()].flatMap((table) => {
    const initial = table.info.defaultAction;
    const current = state.dataplane.getDefaultAction(table.name);
    if (table.profile || initial?.isConst || current?.kind !== 'action') return [];
    const unchanged =
      initial !== undefined &&
      initial.action === current.action &&
      initial.params.length === current.params.length &&
      initial.params.every((p, i) => p === current.params[i]);
    const entry = unchanged ? undefined : encodeDefaultEntry(state, table);
    return entry ? [entry] : [];
  });
}

function entriesOf(
  state: ForwardingState,
  table: TableBinding,
): { entry: TableEntryState; isConst: boolean }[] {
  if (!table.info.isConst)
    return state.dataplane.readEntries(table.name).map((entry) => ({ entry, isConst: false }));
  return table.info.constEntries.map((constant) => ({
    entry: table.directCounter
      ? { ...constant, counter: state.dataplane.readDirectCounter(table.name, constant) }
      : constant,
    isConst: true,
  }));
}

/** The entries a TableEntry read request selects (spec "Wildcard Reads"). */
export function readTableEntries(
  state: ForwardingState,
  request: TableEntry__Output,
): TableEntry[] {
  const withCounter = request.counterData !== undefined;
  if ((request.tableId ?? 0) === 0) {
    if (
      (request.match?.length ?? 0) > 0 ||
      request.action ||
      (request.priority ?? 0) !== 0 ||
      request.isDefaultAction
    ) {
      throw invalidArgument('a read of all tables (table_id 0) cannot filter on other fields');
    }
    return [...state.index.tables.values()].flatMap((table) =>
      entriesOf(state, table).map(({ entry, isConst }) =>
        encodeEntry(state, table, entry, withCounter, isConst),
      ),
    );
  }
  const table = state.table(request.tableId);
  if (request.isDefaultAction) {
    const entry = encodeDefaultEntry(state, table);
    return entry ? [entry] : [];
  }
  const match =
    (request.match?.length ?? 0) > 0
      ? JSON.stringify(decodeMatch(table, request.match), bigintJson)
      : undefined;
  const priority = request.priority ?? 0;
  const actionId = request.action?.type === 'action' ? (request.action.action?.actionId ?? 0) : 0;
  const actionName = actionId === 0 ? undefined : table.actions.get(actionId)?.action.name;
  if (actionId !== 0 && actionName === undefined)
    throw invalidArgument(`action id ${actionId} is not an action of table '${table.name}'`);
  const controllerMetadata = BigInt(request.controllerMetadata ?? '0');
  const metadata = request.metadata && request.metadata.length > 0 ? request.metadata : undefined;
  return entriesOf(state, table)
    .filter(
      ({ entry }) =>
        (match === undefined || JSON.stringify(entry.match, bigintJson) === match) &&
        (priority === 0 || entry.priority === priority) &&
        (actionName === undefined ||
          (entry.action.kind === 'action' && entry.action.action === actionName)) &&
        (controllerMetadata === 0n || entry.controllerMetadata === controllerMetadata) &&
        (metadata === undefined ||
          (entry.metadata !== undefined && Buffer.from(entry.metadata).equals(metadata))),
    )
    .map(({ entry, isConst }) => encodeEntry(state, table, entry, withCounter, isConst));
}

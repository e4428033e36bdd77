import type {
  CounterEntry,
  CounterEntry__Output,
} from '../../p4rt/generated/p4/v1/CounterEntry.ts';
import type {
  DirectCounterEntry,
  DirectCounterEntry__Output,
} from '../../p4rt/generated/p4/v1/DirectCounterEntry.ts';
import type { Index__Output } from '../../p4rt/generated/p4/v1/Index.ts';
import { decodeCounterData, encodeCounterData, encodeIndex } from './counter-data.ts';
import { decodeEntryKey, encodeMatch } from './entry-codec.ts';
import type { ForwardingState } from './forwarding-state.ts';
import type { CounterBinding, TableBinding } from './p4info-index.ts';
import { invalidArgument, outOfRange } from './p4runtime-error.ts';
import { readEntryState, readTableEntries } from './table-entries.ts';
import type { UpdateType } from './update-type.ts';

// CounterEntry and DirectCounterEntry (spec "CounterEntry & DirectCounterEntry"): MODIFY
// only; an unset index means every cell.

/** The cells an index selects: one (checked against the size) or all when unset. */
export function selectedIndexes(
  index: Index__Output | undefined,
  size: number,
  what: string,
): number[] {
  if (index === undefined) return Array.from({ length: size }, (_, i) => i);
  const value = BigInt(index.index ?? '0');
  if (value < 0n) throw invalidArgument(`${what}: index ${value} is negative`);
  if (value >= BigInt(size))
    throw outOfRange(`${what}: index ${value} is not below the size ${size}`);
  return [Number(value)];
}

function counter(state: ForwardingState, id: number | undefined): CounterBinding {
  const binding = state.index.counters.get(id ?? 0);
  if (!binding) throw invalidArgument(`unknown counter id ${id ?? 0}`);
  return binding;
}

export function writeCounter(
  state: ForwardingState,
  type: UpdateType,
  entry: CounterEntry__Output,
): void {
  if (type !== 'MODIFY') throw invalidArgument(`counter entries can only be modified, not ${type}`);
  const binding = counter(state, entry.counterId);
  const indexes = selectedIndexes(entry.index, binding.size, `counter '${binding.name}'`);
  if (!entry.data) return;
  const data = decodeCounterData(entry.data);
  for (const index of indexes) state.dataplane.writeCounter(binding.name, index, data);
}

export function readCounters(
  state: ForwardingState,
  request: CounterEntry__Output,
): CounterEntry[] {
  const all = (request.counterId ?? 0) === 0;
  if (all && request.index !== undefined)
    throw invalidArgument('reading an index needs a counter_id');
  const bindings = all ? [...state.index.counters.values()] : [counter(state, request.counterId)];
  return bindings.flatMap((binding) =>
    selectedIndexes(request.index, binding.size, `counter '${binding.name}'`).map((index) => ({
      counterId: binding.id,
      index: encodeIndex(index),
      data: encodeCounterData(state.dataplane.readCounter(binding.name, index)),
    })),
  );
}

function directCounterTable(state: ForwardingState, tableId: number | undefined): TableBinding {
  const table = state.table(tableId);
  if (!table.directCounter) throw invalidArgument(`table '${table.name}' has no direct counter`);
  return table;
}

export function writeDirectCounter(
  state: ForwardingState,
  type: UpdateType,
  entry: DirectCounterEntry__Output,
): void {
  if (type !== 'MODIFY')
    throw invalidArgument(`direct counter entries can only be modified, not ${type}`);
  if (!entry.tableEntry) throw invalidArgument('a direct counter entry needs its table_entry');
  if (entry.tableEntry.isDefaultAction)
    throw invalidArgument('direct counters of the default entry are not supported');
  const table = directCounterTable(state, entry.tableEntry.tableId);
  const key = decodeEntryKey(table, entry.tableEntry);
  readEntryState(state, table, key);
  if (entry.data)
    state.dataplane.writeDirectCounter(table.name, key, decodeCounterData(entry.data));
}

export function readDirectCounters(
  state: ForwardingState,
  request: DirectCounterEntry__Output,
): DirectCounterEntry[] {
  const tableRequest = request.tableEntry ?? {};
  const tableId = tableRequest.tableId ?? 0;
  const tables =
    tableId === 0
      ? [...state.index.tables.values()].filter((t) => t.directCounter)
      : [directCounterTable(state, tableId)];
  if (tableId !== 0 && (tableRequest.match?.length ?? 0) > 0) {
    const table = tables[0]!;
    const key = decodeEntryKey(table, tableRequest);
    const entry = readEntryState(state, table, key);
    return [
      {
        tableEntry: {
          tableId: table.id,
          match: encodeMatch(table, entry.match),
          ...(key.priority ? { priority: key.priority } : {}),
        },
        data: encodeCounterData(state.dataplane.readDirectCounter(table.name, key)),
      },
    ];
  }
  return tables.flatMap((table) =>
    readTableEntries(state, { tableId: table.id, counterData: {} }).map(
      ({ counterData, ...entry }) => ({
        tableEntry: {
          tableId: entry.tableId,
          match: entry.match ?? [],
          ...(entry.priority ? { priority: entry.priority } : {}),
        },
        data: counterData ?? {},
      }),
    ),
  );
}

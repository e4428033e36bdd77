/**
 * A match-action table's entries and its lookup. Three lookup structures, chosen from the key
 * kinds at load: a hash map for exact keys (and keyless tables), one hash map per prefix
 * length for LPM (longest first), and a priority-ordered scan for ternary, range and
 * optional keys (P4Runtime priority: higher wins; equal priorities keep insertion order).
 */
import type {
  CounterData,
  EntryAction,
  EntryKey,
  FieldMatch,
  TableEntry,
  TableEntryState,
  DataplaneTableInfo,
} from './api.ts';
import type { BoundAction } from './actions.ts';
import { counterNumber } from './counters.ts';
import { DataplaneError } from './dataplane-error.ts';
import { keyMap, type KeyMap, type KeyValue } from './key-map.ts';
import { fieldMatcher, keyValue, matchIdentity, normalizeMatch, prefixMask } from './match-key.ts';
import type { FieldLayout, PacketState } from './packet-layout.ts';

/** An entry as stored: the control plane's view plus what lookups and actions need. */
export interface StoredEntry {
  readonly identity: string;
  readonly match: readonly (FieldMatch | undefined)[];
  readonly priority: number;
  action: EntryAction;
  /** The bound action for direct entries; undefined for member / group entries. */
  bound: BoundAction | undefined;
  controllerMetadata: bigint | undefined;
  metadata: Uint8Array | undefined;
  packets: number;
  bytes: number;
  /** Insertion sequence, to keep scans stable among equal priorities. */
  readonly sequence: number;
  /** Per key field, the test a scan runs (only tables looked up by scan have them). */
  readonly matchers: readonly (((v: KeyValue) => boolean) | undefined)[];
}

const NO_MATCHERS: StoredEntry['matchers'] = [];

/** Where a key field's value comes from in the PHV. */
export type KeySource =
  | { readonly kind: 'field'; readonly field: FieldLayout }
  | { readonly kind: 'valid'; readonly headerIndex: number };

/** A lookup structure over a table's entries. */
interface TableIndex {
  add(e: StoredEntry): void;
  remove(e: StoredEntry): void;
  lookup(s: PacketState): StoredEntry | undefined;
}

export class MatchTable {
  private readonly entries = new Map<string, StoredEntry>();
  private sequence = 0;
  private readonly widths: number[];
  private readonly index: TableIndex;
  private readonly scans: boolean;
  /** The entry the packet in `s` hits, if any. */
  readonly lookup: (s: PacketState) => StoredEntry | undefined;

  constructor(
    readonly info: DataplaneTableInfo,
    sources: readonly KeySource[],
  ) {
    this.widths = info.keys.map((k) => k.bitwidth);
    const read = sources.map((source) => keyReader(source));
    const kinds = info.keys.map((k) => k.matchKind);
    const lpmCount = kinds.filter((k) => k === 'lpm').length;
    if (kinds.every((k) => k === 'exact')) this.index = new ExactIndex(read, this.widths);
    else if (lpmCount === 1 && kinds.every((k) => k === 'exact' || k === 'lpm')) {
      this.index = new LpmIndex(read, this.widths, kinds.indexOf('lpm'));
    } else this.index = new ScanIndex(read);
    this.scans = this.index instanceof ScanIndex;
    const index = this.index;
    // Keyless tables (and p4c's tbl_* wrappers of direct action calls) never hold entries.
    this.lookup = info.keys.length === 0 ? () => undefined : (s) => index.lookup(s);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Validates and normalizes a key; returns the stored entry's identity and normalized match. */
  identify(key: EntryKey): { identity: string; match: (FieldMatch | undefined)[] } {
    const { info } = this;
    if (!Number.isInteger(key.priority) || key.priority < 0 || key.priority > 0x7fffffff) {
      throw new DataplaneError('INVALID_ARGUMENT', `priority ${key.priority} is not an int32 >= 0`);
    }
    if (info.needsPriority && key.priority === 0) {
      throw new DataplaneError('INVALID_ARGUMENT', `table '${info.name}' needs a priority > 0`);
    }
    if (!info.needsPriority && key.priority !== 0) {
      throw new DataplaneError(
        'INVALID_ARGUMENT',
        `table '${info.name}' has no ternary, range or optional key: priority must be 0`,
      );
    }
    const match = normalizeMatch(info.keys, key.match, info.name);
    return { identity: matchIdentity(match, key.priority), match };
  }

  find(key: EntryKey): StoredEntry {
    const { identity } = this.identify(key);
    const entry = this.entries.get(identity);
    if (!entry) throw new DataplaneError('NOT_FOUND', `no such entry in table '${this.info.name}'`);
    return entry;
  }

  /** Adds an entry whose action the caller bound and checked. */
  insert(entry: TableEntry, bound: BoundAction | undefined): StoredEntry {
    const { identity, match } = this.identify(entry);
    if (this.entries.has(identity)) {
      throw new DataplaneError('ALREADY_EXISTS', `duplicate entry in table '${this.info.name}'`);
    }
    if (this.entries.size >= this.info.maxSize) {
      throw new DataplaneError(
        'RESOURCE_EXHAUSTED',
        `table '${this.info.name}' is full (${this.info.maxSize} entries)`,
      );
    }
    const stored: StoredEntry = {
      identity,
      match,
      priority: entry.priority,
      action: entry.action,
      bound,
      controllerMetadata: entry.controllerMetadata,
      metadata: entry.metadata,
      packets: 0,
      bytes: 0,
      sequence: this.sequence++,
      matchers: this.scans ? match.map((m, i) => fieldMatcher(m, this.widths[i]!)) : NO_MATCHERS,
    };
    this.entries.set(identity, stored);
    this.index.add(stored);
    return stored;
  }

  remove(stored: StoredEntry): void {
    this.entries.delete(stored.identity);
    this.index.remove(stored);
  }

  all(): StoredEntry[] {
    return [...this.entries.values()];
  }

  /** The control plane's view of an entry. */
  view(e: StoredEntry, withCounter: boolean): TableEntryState {
    return {
      match: e.match,
      priority: e.priority,
      action: e.action,
      ...(e.controllerMetadata !== undefined ? { controllerMetadata: e.controllerMetadata } : {}),
      ...(e.metadata !== undefined ? { metadata: e.metadata } : {}),
      ...(withCounter ? { counter: { packets: BigInt(e.packets), bytes: BigInt(e.bytes) } } : {}),
    };
  }

  static writeCounter(e: StoredEntry, data: CounterData, table: string): void {
    e.packets = counterNumber(data.packets, `direct counter of table '${table}' packets`);
    e.bytes = counterNumber(data.bytes, `direct counter of table '${table}' bytes`);
  }
}

function keyReader(source: KeySource): (s: PacketState) => KeyValue {
  if (source.kind === 'valid') {
    const index = source.headerIndex;
    return (s) => s.valid[index]!;
  }
  const { slot, isBig } = source.field;
  return isBig ? (s) => s.big[slot]! : (s) => s.num[slot]!;
}

/** The exact (or LPM) value of each key field of an entry; wildcards never reach these indexes. */
function entryValues(e: StoredEntry, widths: readonly number[]): KeyValue[] {
  return e.match.map((m, i) => {
    const width = widths[i]!;
    if (m && (m.kind === 'exact' || m.kind === 'lpm' || m.kind === 'optional')) {
      return keyValue(m.value, width);
    }
    return keyValue(0n, width);
  });
}

class ExactIndex implements TableIndex {
  private readonly map: KeyMap<StoredEntry>;
  private readonly scratch: KeyValue[];

  constructor(
    private readonly read: readonly ((s: PacketState) => KeyValue)[],
    private readonly widths: readonly number[],
  ) {
    this.map = keyMap(widths);
    this.scratch = read.map(() => 0);
  }

  add(e: StoredEntry): void {
    this.map.set(entryValues(e, this.widths), e);
  }

  remove(e: StoredEntry): void {
    this.map.delete(entryValues(e, this.widths));
  }

  lookup(s: PacketState): StoredEntry | undefined {
    const { read, scratch } = this;
    for (let i = 0; i < read.length; i++) scratch[i] = read[i]!(s);
    return this.map.get(scratch);
  }
}

class LpmIndex implements TableIndex {
  /** prefix length -> (key with the LPM field masked -> entry). */
  private readonly byLength = new Map<number, KeyMap<StoredEntry>>();
  /** Distinct prefix lengths present, longest first, with their maps. */
  private levels: [number, KeyMap<StoredEntry>][] = [];
  private readonly values: KeyValue[];
  private readonly scratch: KeyValue[];
  private readonly lpmWidth: number;

  constructor(
    private readonly read: readonly ((s: PacketState) => KeyValue)[],
    private readonly widths: readonly number[],
    private readonly lpmPosition: number,
  ) {
    this.values = read.map(() => 0);
    this.scratch = read.map(() => 0);
    this.lpmWidth = widths[lpmPosition]!;
  }

  private prefixLength(e: StoredEntry): number {
    const m = e.match[this.lpmPosition];
    return m && m.kind === 'lpm' ? m.prefixLength : 0;
  }

  add(e: StoredEntry): void {
    const length = this.prefixLength(e);
    let map = this.byLength.get(length);
    if (!map) {
      map = keyMap(this.widths);
      this.byLength.set(length, map);
      this.levels = [...this.byLength.entries()].sort((a, b) => b[0] - a[0]);
    }
    map.set(entryValues(e, this.widths), e);
  }

  remove(e: StoredEntry): void {
    const length = this.prefixLength(e);
    const map = this.byLength.get(length)!;
    map.delete(entryValues(e, this.widths));
    if (map.size === 0) {
      this.byLength.delete(length);
      this.levels = [...this.byLength.entries()].sort((a, b) => b[0] - a[0]);
    }
  }

  lookup(s: PacketState): StoredEntry | undefined {
    const { read, values, scratch, lpmPosition, lpmWidth } = this;
    for (let i = 0; i < read.length; i++) values[i] = scratch[i] = read[i]!(s);
    const v = values[lpmPosition]!;
    for (const [length, map] of this.levels) {
      scratch[lpmPosition] = maskPrefix(v, lpmWidth, length);
      const hit = map.get(scratch);
      if (hit) return hit;
    }
    return undefined;
  }
}

/** Keeps the first `length` of `width` bits. */
function maskPrefix(v: KeyValue, width: number, length: number): KeyValue {
  if (typeof v === 'bigint') return v & prefixMask(width, length);
  const dropped = 2 ** (width - length);
  return v - (v % dropped);
}

class ScanIndex implements TableIndex {
  /** Highest priority first, then insertion order. */
  private ordered: StoredEntry[] = [];
  private readonly values: KeyValue[];

  constructor(private readonly read: readonly ((s: PacketState) => KeyValue)[]) {
    this.values = read.map(() => 0);
  }

  add(e: StoredEntry): void {
    let i = this.ordered.length;
    while (i > 0 && this.ordered[i - 1]!.priority < e.priority) i--;
    this.ordered.splice(i, 0, e);
  }

  remove(e: StoredEntry): void {
    this.ordered.splice(this.ordered.indexOf(e), 1);
  }

  lookup(s: PacketState): StoredEntry | undefined {
    const { read, values } = this;
    for (let i = 0; i < read.length; i++) values[i] = read[i]!(s);
    outer: for (const e of this.ordered) {
      const matchers = e.matchers;
      for (let i = 0; i < matchers.length; i++) {
        const test = matchers[i];
        if (test && !test(values[i]!)) continue outer;
      }
      return e;
    }
    return undefined;
  }
}

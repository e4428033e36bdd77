import { entryKey, sameEntry, type SwitchEntry } from './switch-entries.ts';
import type { ReadEntry } from './switch-entry-codec.ts';

/** One key of a switch: what it should hold there and what it holds, as far as we know. */
export interface EntryRecord {
  desired: SwitchEntry | undefined;
  held: SwitchEntry | undefined;
  /** The held entry is not what the reconciler writes: rewrite (or delete) it. */
  heldInvalid: boolean;
  /** Owners that want the desired entry (selector members are shared by many services). */
  refs: number;
  /** The frontend, route or tag key the desired entry is for; kept after it is removed. */
  owner: string | undefined;
}

/**
 * Everything one switch should hold and holds, in one record per entry key. The desired
 * side is built up per owner (a frontend key, a route, the tag key) so that a change to
 * one Service touches only its own entries; every key whose desired entry changed is
 * recorded until the caller takes it, which lets a pass diff only what changed. The held
 * side is set by a read-back and by every acknowledged write. After convergence both
 * sides point at the same entry objects.
 */
export class EntryTable {
  private readonly records = new Map<string, EntryRecord>();
  private readonly keysOf = new Map<string, readonly string[]>();
  private touchedKeys = new Set<string>();

  get(key: string): EntryRecord | undefined {
    return this.records.get(key);
  }

  keys(): IterableIterator<string> {
    return this.records.keys();
  }

  owners(): IterableIterator<string> {
    return this.keysOf.keys();
  }

  /** Replaces everything `owner` wants with `entries`. */
  setOwner(owner: string, entries: readonly SwitchEntry[]): void {
    const previous = new Set(this.keysOf.get(owner));
    const keys: string[] = [];
    for (const entry of entries) {
      const key = entryKey(entry);
      keys.push(key);
      const wasMine = previous.delete(key);
      const record = this.records.get(key);
      if (record === undefined) {
        this.records.set(key, {
          desired: entry,
          held: undefined,
          heldInvalid: false,
          refs: 1,
          owner,
        });
        this.touchedKeys.add(key);
        continue;
      }
      if (record.desired === undefined) {
        record.desired = entry;
        record.refs = 1;
        record.owner = owner;
        this.touchedKeys.add(key);
        continue;
      }
      if (!wasMine) record.refs++;
      if (!sameEntry(record.desired, entry)) {
        record.desired = entry;
        record.owner = owner;
        this.touchedKeys.add(key);
      }
    }
    for (const key of previous) this.unref(key);
    if (keys.length === 0) this.keysOf.delete(owner);
    else this.keysOf.set(owner, keys);
  }

  removeOwner(owner: string): void {
    for (const key of this.keysOf.get(owner) ?? []) this.unref(key);
    this.keysOf.delete(owner);
  }

  /** Keys whose desired entry changed since the last call. */
  takeTouched(): Set<string> {
    const touched = this.touchedKeys;
    this.touchedKeys = new Set();
    return touched;
  }

  /** Replaces the held side with a read-back of the switch. */
  setHolding(read: Iterable<ReadEntry>): void {
    for (const [key, record] of this.records) {
      if (record.desired === undefined) this.records.delete(key);
      else {
        record.held = undefined;
        record.heldInvalid = false;
      }
    }
    for (const { entry, invalid } of read) {
      const key = entryKey(entry);
      const record = this.records.get(key);
      if (record === undefined) {
        const stray = { desired: undefined, held: entry, heldInvalid: invalid !== undefined };
        this.records.set(key, { ...stray, refs: 0, owner: undefined });
      } else {
        record.held = entry;
        record.heldInvalid = invalid !== undefined;
      }
    }
  }

  /** Records an acknowledged write: `entry` installed at `key`, or deleted when undefined. */
  setHeld(key: string, entry: SwitchEntry | undefined): void {
    const record = this.records.get(key);
    if (record === undefined) return;
    if (entry === undefined && record.desired === undefined) {
      this.records.delete(key);
      return;
    }
    record.held = entry;
    record.heldInvalid = false;
  }

  /** Held entries, by key (what the controller believes the switch holds). */
  *held(): IterableIterator<[string, SwitchEntry, boolean]> {
    for (const [key, record] of this.records) {
      if (record.held !== undefined) yield [key, record.held, record.heldInvalid];
    }
  }

  private unref(key: string): void {
    const record = this.records.get(key);
    if (record === undefined || record.desired === undefined) return;
    if (--record.refs > 0) return;
    record.desired = undefined;
    this.touchedKeys.add(key);
    if (record.held === undefined) this.records.delete(key);
  }
}

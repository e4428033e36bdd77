import { entryKey, held, type HeldEntry, type SwitchEntry } from './switch-entries.ts';

interface DesiredEntry {
  readonly held: HeldEntry;
  /** Owners that want this entry (selector members are shared by many services). */
  refs: number;
  owner: string;
}

/**
 * Everything one switch should hold, built up per owner (a frontend key, a route, the
 * tag key) so that a change to one Service touches only its own entries. Every key whose
 * desired entry changed is recorded in `touched` until the caller takes it, which is what
 * lets a pass diff only what changed instead of the whole switch.
 */
export class DesiredTables {
  private readonly entries = new Map<string, DesiredEntry>();
  private readonly keysOf = new Map<string, readonly string[]>();
  /** Owner of keys no longer desired, for attributing their deletion. */
  private readonly formerOwner = new Map<string, string>();
  private touchedKeys = new Set<string>();

  get size(): number {
    return this.entries.size;
  }

  get(key: string): HeldEntry | undefined {
    return this.entries.get(key)?.held;
  }

  /** The owner an update of `key` is made for: its current or, once removed, last owner. */
  ownerOf(key: string): string | undefined {
    return this.entries.get(key)?.owner ?? this.formerOwner.get(key);
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  owners(): IterableIterator<string> {
    return this.keysOf.keys();
  }

  hasOwner(owner: string): boolean {
    return this.keysOf.has(owner);
  }

  /** Replaces everything `owner` wants with `entries`. */
  setOwner(owner: string, entries: readonly SwitchEntry[]): void {
    const previous = new Set(this.keysOf.get(owner) ?? []);
    const keys: string[] = [];
    for (const entry of entries) {
      const key = entryKey(entry);
      keys.push(key);
      const wasMine = previous.delete(key);
      const current = this.entries.get(key);
      const value = held(entry);
      if (current === undefined) {
        this.entries.set(key, { held: value, refs: 1, owner });
        this.formerOwner.delete(key);
        this.touchedKeys.add(key);
        continue;
      }
      if (!wasMine) current.refs++;
      if (current.held.value !== value.value) {
        this.entries.set(key, { held: value, refs: current.refs, owner });
        this.touchedKeys.add(key);
      }
    }
    for (const key of previous) this.unref(key, owner);
    if (keys.length === 0) this.keysOf.delete(owner);
    else this.keysOf.set(owner, keys);
  }

  removeOwner(owner: string): void {
    for (const key of this.keysOf.get(owner) ?? []) this.unref(key, owner);
    this.keysOf.delete(owner);
  }

  /** Keys whose desired entry changed since the last call. */
  takeTouched(): Set<string> {
    const touched = this.touchedKeys;
    this.touchedKeys = new Set();
    return touched;
  }

  /** Forgets who owned a key that is now gone from the switch too. */
  forgetFormerOwner(key: string): void {
    this.formerOwner.delete(key);
  }

  private unref(key: string, owner: string): void {
    const current = this.entries.get(key);
    if (current === undefined) return;
    if (--current.refs > 0) return;
    this.entries.delete(key);
    this.formerOwner.set(key, owner);
    this.touchedKeys.add(key);
  }
}

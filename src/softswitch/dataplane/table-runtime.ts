/**
 * A table as the pipeline runs it and the control plane programs it: entries (match-table.ts),
 * the default action, the action profile of indirect tables, the direct counter, and which
 * control-flow node follows (by action, or by hit / miss). Apply follows BMv2's
 * MatchTableAbstract::apply_action: count the hit, run the action, pick the next node.
 */
import type {
  CounterData,
  EntryAction,
  EntryKey,
  TableEntry,
  TableEntryState,
  DataplaneTableInfo,
} from './api.ts';
import type { ActionProfileState } from './action-profile.ts';
import { bindAction, type BoundAction, type CompiledAction } from './actions.ts';
import { DataplaneError } from './dataplane-error.ts';
import { MatchTable, type KeySource, type StoredEntry } from './match-table.ts';
import type { PacketState } from './packet-layout.ts';

/** A node of a control (a table or a conditional); null ends the control. */
export interface ControlNode {
  run(s: PacketState): ControlNode | null;
}

/** Where control goes after the table, filled in once every node exists. */
export interface TableSuccessors {
  /** For `t.apply().hit` / `.miss` programs. */
  hitMiss?: { hit: ControlNode | null; miss: ControlNode | null };
  /** Otherwise: by the name of the action that ran. */
  byAction: Map<string, ControlNode | null>;
  /** After a miss with no default action (BMv2's base_default_next). */
  missWithoutAction: ControlNode | null;
}

type Reference = { kind: 'member'; id: number } | { kind: 'group'; id: number };

export class TableRuntime implements ControlNode {
  readonly entries: MatchTable;
  readonly successors: TableSuccessors = { byAction: new Map(), missWithoutAction: null };
  private defaultAction: EntryAction | undefined;
  private defaultBound: BoundAction | undefined;
  private readonly initialDefault: EntryAction | undefined;
  private readonly counted: boolean;
  private readonly nextByActionId: (ControlNode | null | undefined)[] = [];

  constructor(
    readonly info: DataplaneTableInfo,
    keySources: readonly KeySource[],
    /** The actions entries may use, by name. */
    readonly actions: ReadonlyMap<string, CompiledAction>,
    readonly profile: ActionProfileState | undefined,
    constEntries: readonly { entry: TableEntry; bound: BoundAction }[],
  ) {
    this.entries = new MatchTable(info, keySources);
    this.counted = info.directCounter !== undefined;
    for (const { entry, bound } of constEntries) this.entries.insert(entry, bound);
    if (info.defaultAction) {
      const call = { action: info.defaultAction.action, params: info.defaultAction.params };
      this.initialDefault = { kind: 'action', ...call };
      this.defaultAction = this.initialDefault;
      this.defaultBound = this.bind(call);
    }
  }

  run(s: PacketState): ControlNode | null {
    const e = this.entries.lookup(s);
    const next = this.successors;
    if (e) {
      if (this.counted) {
        e.packets += 1;
        e.bytes += s.ingressLength;
      }
      const bound = e.bound ?? this.resolveIndirect(e.action, s);
      // An empty group runs no action (BMv2 logs an error); control goes on as after a miss.
      if (!bound) return next.hitMiss ? next.hitMiss.hit : next.missWithoutAction;
      bound.action.run(s, bound.data);
      return next.hitMiss ? next.hitMiss.hit : this.afterAction(bound.action);
    }
    const bound =
      this.defaultBound ?? (this.defaultAction && this.resolveIndirect(this.defaultAction, s));
    if (!bound) return next.hitMiss ? next.hitMiss.miss : next.missWithoutAction;
    bound.action.run(s, bound.data);
    return next.hitMiss ? next.hitMiss.miss : this.afterAction(bound.action);
  }

  /** The node after `action` ran, by action name, cached by action id (ids are unique). */
  private afterAction(action: CompiledAction): ControlNode | null {
    const cached = this.nextByActionId[action.id];
    if (cached !== undefined) return cached;
    const next = this.successors.byAction.get(action.name) ?? null;
    this.nextByActionId[action.id] = next;
    return next;
  }

  insert(entry: TableEntry): void {
    this.checkWritable();
    if (this.info.keys.length === 0) {
      throw new DataplaneError(
        'INVALID_ARGUMENT',
        `table '${this.info.name}' has no key: only its default action can be set`,
      );
    }
    const { bound, reference } = this.bindEntryAction(entry.action);
    this.entries.insert(entry, bound);
    if (reference) this.profile!.reference(reference);
  }

  modify(entry: TableEntry): void {
    this.checkWritable();
    const stored = this.entries.find(entry);
    const { bound, reference } = this.bindEntryAction(entry.action);
    if (reference) this.profile!.reference(reference);
    const old = referenceOf(stored.action);
    if (old) this.profile!.release(old);
    stored.action = entry.action;
    stored.bound = bound;
    stored.controllerMetadata = entry.controllerMetadata;
    stored.metadata = entry.metadata;
  }

  delete(key: EntryKey): void {
    this.checkWritable();
    const stored = this.entries.find(key);
    this.entries.remove(stored);
    const old = referenceOf(stored.action);
    if (old) this.profile!.release(old);
  }

  read(): TableEntryState[] {
    if (this.info.isConst) return [];
    const withCounter = this.info.directCounter !== undefined;
    return this.entries.all().map((e) => this.entries.view(e, withCounter));
  }

  readOne(key: EntryKey): TableEntryState {
    return this.entries.view(this.entries.find(key), this.info.directCounter !== undefined);
  }

  readCounter(key: EntryKey): CounterData {
    const e = this.directCounted(key);
    return { packets: BigInt(e.packets), bytes: BigInt(e.bytes) };
  }

  writeCounter(key: EntryKey, data: CounterData): void {
    MatchTable.writeCounter(this.directCounted(key), data, this.info.name);
  }

  setDefault(action: EntryAction): void {
    if (this.info.defaultAction?.isConst) {
      throw new DataplaneError(
        'PERMISSION_DENIED',
        `the default action of table '${this.info.name}' is const`,
      );
    }
    const { bound, reference } = this.bindEntryAction(action);
    if (reference) this.profile!.reference(reference);
    const old = this.defaultAction && referenceOf(this.defaultAction);
    if (old) this.profile!.release(old);
    this.defaultAction = action;
    this.defaultBound = bound;
  }

  resetDefault(): void {
    const old = this.defaultAction && referenceOf(this.defaultAction);
    if (old) this.profile!.release(old);
    this.defaultAction = this.initialDefault;
    this.defaultBound =
      this.initialDefault?.kind === 'action' ? this.bind(this.initialDefault) : undefined;
  }

  getDefault(): EntryAction | undefined {
    return this.defaultAction;
  }

  private directCounted(key: EntryKey): StoredEntry {
    if (this.info.directCounter === undefined) {
      throw new DataplaneError(
        'INVALID_ARGUMENT',
        `table '${this.info.name}' has no direct counter`,
      );
    }
    return this.entries.find(key);
  }

  private checkWritable(): void {
    if (this.info.isConst) {
      throw new DataplaneError(
        'PERMISSION_DENIED',
        `table '${this.info.name}' has const entries: it cannot be written`,
      );
    }
  }

  private bind(call: { action: string; params: readonly bigint[] }): BoundAction {
    return bindAction(call, this.actions, `table '${this.info.name}'`);
  }

  /** Checks an entry's action against the table kind; direct actions are bound here. */
  private bindEntryAction(action: EntryAction): { bound?: BoundAction; reference?: Reference } {
    if (action.kind === 'action') {
      if (this.profile) {
        throw new DataplaneError(
          'INVALID_ARGUMENT',
          `table '${this.info.name}' is indirect (${this.profile.name}): entries name a member or group`,
        );
      }
      return { bound: this.bind(action) };
    }
    if (!this.profile) {
      throw new DataplaneError(
        'INVALID_ARGUMENT',
        `table '${this.info.name}' has no action profile: entries name an action`,
      );
    }
    const reference = referenceOf(action)!;
    // reference() checks that the member / group exists (NOT_FOUND) and counts the use.
    this.profile.reference(reference);
    this.profile.release(reference);
    return { reference };
  }

  private resolveIndirect(action: EntryAction, s: PacketState): BoundAction | undefined {
    if (action.kind === 'member') return this.profile!.memberAction(action.memberId);
    if (action.kind === 'group') return this.profile!.selectFromGroup(action.groupId, s);
    return undefined;
  }
}

function referenceOf(action: EntryAction): Reference | undefined {
  if (action.kind === 'member') return { kind: 'member', id: action.memberId };
  if (action.kind === 'group') return { kind: 'group', id: action.groupId };
  return undefined;
}

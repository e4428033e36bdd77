import type {
  ActionProfileActionSet,
  ActionProfileActionSet__Output,
} from '../../p4rt/generated/p4/v1/ActionProfileActionSet.ts';
import type { Dataplane, EntryKey, GroupMember } from '../dataplane/api.ts';
import { decodeTableActionCall, encodeAction } from './entry-codec.ts';
import type { ProfileBinding, TableBinding } from './p4info-index.ts';
import { invalidArgument, unimplemented } from './p4runtime-error.ts';

/** The hidden members and group behind one table entry programmed with an action set. */
interface OneShotGroup {
  readonly profile: string;
  readonly groupId: number;
  readonly memberIds: readonly number[];
  /** What a read returns: the action set as written, with canonical bytestrings. */
  readonly actionSet: ActionProfileActionSet;
}

/** A stable string for an entry key (table name, match, priority). */
export function entryKeyString(table: string, key: EntryKey): string {
  return JSON.stringify([table, key.priority, key.match], (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
}

/**
 * One-shot action selector programming (spec "One Shot Action Selector Programming") on
 * top of the data plane's members and groups, as PI does for BMv2: each action set becomes
 * members and a group with ids this class allocates, the entry points to the group, and
 * reads give back the action set. A selector is programmed either this way or with
 * ActionProfileMember/Group updates, never both (INVALID_ARGUMENT); the hidden members and
 * groups are not listed by member/group reads.
 */
export class OneShotSelectors {
  private readonly groups = new Map<string, OneShotGroup>();
  private readonly entriesPerProfile = new Map<string, number>();
  private nextId = 1;

  /** Whether `profile` holds entries programmed with action sets. */
  inUse(profile: string): boolean {
    return (this.entriesPerProfile.get(profile) ?? 0) > 0;
  }

  /** The action set of an entry of `table` programmed in one shot, if it was. */
  actionSetOf(table: TableBinding, key: EntryKey): ActionProfileActionSet | undefined {
    if (!table.profile || !this.inUse(table.profile.name)) return undefined;
    return this.groups.get(entryKeyString(table.name, key))?.actionSet;
  }

  /** Refuses an action set on a selector that members/groups were written to. */
  checkStyle(dataplane: Dataplane, profile: ProfileBinding): void {
    if (this.inUse(profile.name)) return;
    const name = profile.name;
    if (dataplane.readMembers(name).length > 0 || dataplane.readGroups(name).length > 0) {
      throw invalidArgument(
        `action selector '${name}' is programmed with members and groups; one-shot action sets cannot be mixed in`,
      );
    }
  }

  /**
   * Creates the members and the group for `actionSet` and returns the group id; undoes
   * what it created when a step fails. The caller points the entry at the group and calls
   * `attach` once that succeeded (or `discard` when it failed).
   */
  create(
    dataplane: Dataplane,
    table: TableBinding,
    profile: ProfileBinding,
    actionSet: ActionProfileActionSet__Output,
  ): OneShotGroup {
    this.checkStyle(dataplane, profile);
    const mode = String(
      actionSet.actionSelectionMode ?? 'DEFAULT_MODE_DETERMINED_BY_ACTION_SELECTOR',
    );
    const size = String(actionSet.sizeSemantics ?? 'DEFAULT_SIZE_DETERMINED_BY_ACTION_SELECTOR');
    if (
      mode !== 'DEFAULT_MODE_DETERMINED_BY_ACTION_SELECTOR' ||
      size !== 'DEFAULT_SIZE_DETERMINED_BY_ACTION_SELECTOR'
    ) {
      throw unimplemented(
        `action selector '${profile.name}': per-group selection mode or size semantics`,
      );
    }
    const actions = (actionSet.actionProfileActions ?? []).map((entry, i) => {
      if (!entry.action) throw invalidArgument(`action set element ${i}: action is missing`);
      if ((entry.watch ?? 0) !== 0 || (entry.watchPort?.length ?? 0) > 0) {
        throw unimplemented(`action set element ${i}: watch ports are not supported`);
      }
      const weight = entry.weight ?? 0;
      if (profile.weightsDisallowed ? weight !== 0 : weight < 1) {
        throw invalidArgument(
          `action set element ${i}: weight ${weight} (${profile.weightsDisallowed ? 'must be 0' : 'must be >= 1'})`,
        );
      }
      return {
        call: decodeTableActionCall(table, entry.action, false),
        weight: Math.max(weight, 1),
      };
    });
    const total = actions.reduce((sum, a) => sum + a.weight, 0);
    if (profile.maxGroupSize > 0 && total > profile.maxGroupSize) {
      throw invalidArgument(
        `action set weights sum to ${total}, above max_group_size ${profile.maxGroupSize} of '${profile.name}'`,
      );
    }

    // As PI does for BMv2: one member of weight 1 per weight unit, in action order, so that
    // the selector picks the same member for a packet as BMv2 (dataplane/api.ts).
    const memberIds: number[] = [];
    const groupId = this.allocateId();
    try {
      for (const { call, weight } of actions) {
        for (let unit = 0; unit < weight; unit++) {
          const memberId = this.allocateId();
          dataplane.insertMember(profile.name, { memberId, action: call });
          memberIds.push(memberId);
        }
      }
      const members: GroupMember[] = memberIds.map((memberId) => ({ memberId, weight: 1 }));
      dataplane.insertGroup(profile.name, { groupId, maxSize: profile.maxGroupSize, members });
    } catch (error) {
      for (const memberId of memberIds) dataplane.deleteMember(profile.name, memberId);
      throw error;
    }
    const canonical: ActionProfileActionSet = {
      actionProfileActions: actions.map(({ call }, i) => {
        const written = actionSet.actionProfileActions![i]!;
        return {
          action: encodeAction(table.actionsByName.get(call.action)!, call),
          weight: written.weight ?? 0,
        };
      }),
    };
    return { profile: profile.name, groupId, memberIds, actionSet: canonical };
  }

  /** Records that the entry `key` of `table` now uses `group`. */
  attach(table: string, key: EntryKey, group: OneShotGroup): void {
    this.groups.set(entryKeyString(table, key), group);
    this.entriesPerProfile.set(group.profile, (this.entriesPerProfile.get(group.profile) ?? 0) + 1);
  }

  /** Forgets the entry's action set and deletes its group and members (entry already gone or repointed). */
  release(dataplane: Dataplane, table: TableBinding, key: EntryKey): void {
    if (!table.profile || !this.inUse(table.profile.name)) return;
    const keyString = entryKeyString(table.name, key);
    const group = this.groups.get(keyString);
    if (!group) return;
    this.groups.delete(keyString);
    this.entriesPerProfile.set(group.profile, (this.entriesPerProfile.get(group.profile) ?? 1) - 1);
    this.discard(dataplane, group);
  }

  /** Deletes a group made by `create` that no entry points to. */
  discard(dataplane: Dataplane, group: OneShotGroup): void {
    dataplane.deleteGroup(group.profile, group.groupId);
    for (const memberId of group.memberIds) dataplane.deleteMember(group.profile, memberId);
  }

  /** Member and group ids: one counter, so a hidden member and group never share an id. */
  private allocateId(): number {
    return this.nextId++;
  }
}

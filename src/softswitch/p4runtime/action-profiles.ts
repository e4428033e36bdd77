import type {
  ActionProfileGroup,
  ActionProfileGroup__Output,
} from '../../p4rt/generated/p4/v1/ActionProfileGroup.ts';
import type {
  ActionProfileMember,
  ActionProfileMember__Output,
} from '../../p4rt/generated/p4/v1/ActionProfileMember.ts';
import type { ActionCall, GroupMember } from '../dataplane/api.ts';
import { decodeTableActionCall, encodeAction } from './entry-codec.ts';
import type { ForwardingState } from './forwarding-state.ts';
import type { ProfileBinding } from './p4info-index.ts';
import { invalidArgument, unimplemented } from './p4runtime-error.ts';
import type { UpdateType } from './update-type.ts';

// ActionProfileMember and ActionProfileGroup writes and reads (spec "Member Programming",
// "Group Programming"). Members and groups have separate id spaces; 0 is never an id.

function checkNotOneShot(state: ForwardingState, profile: ProfileBinding): void {
  if (state.oneShots.inUse(profile.name)) {
    throw invalidArgument(
      `action selector '${profile.name}' is programmed with one-shot action sets; members and groups cannot be mixed in`,
    );
  }
}

/** A member's action: one of the actions of the tables the profile implements. */
function decodeMemberAction(
  profile: ProfileBinding,
  member: ActionProfileMember__Output,
): ActionCall {
  if (!member.action) throw invalidArgument(`member ${member.memberId}: action is missing`);
  const table = profile.tables[0];
  if (!table) throw invalidArgument(`action profile '${profile.name}' implements no table`);
  return decodeTableActionCall(table, member.action, false);
}

export function writeMember(
  state: ForwardingState,
  type: UpdateType,
  member: ActionProfileMember__Output,
): void {
  const profile = state.profile(member.actionProfileId);
  const memberId = member.memberId ?? 0;
  if (memberId === 0) throw invalidArgument('member_id 0 is not a member id');
  checkNotOneShot(state, profile);
  const { dataplane } = state;
  if (type === 'DELETE') dataplane.deleteMember(profile.name, memberId);
  else if (type === 'INSERT')
    dataplane.insertMember(profile.name, { memberId, action: decodeMemberAction(profile, member) });
  else
    dataplane.modifyMember(profile.name, { memberId, action: decodeMemberAction(profile, member) });
}

function decodeGroupMembers(
  profile: ProfileBinding,
  group: ActionProfileGroup__Output,
): GroupMember[] {
  const seen = new Set<number>();
  return (group.members ?? []).map((member) => {
    const memberId = member.memberId ?? 0;
    if (memberId === 0)
      throw invalidArgument(`group ${group.groupId}: member_id 0 is not a member id`);
    if (seen.has(memberId))
      throw invalidArgument(`group ${group.groupId}: member ${memberId} is listed twice`);
    seen.add(memberId);
    if ((member.watch ?? 0) !== 0 || (member.watchPort?.length ?? 0) > 0) {
      throw unimplemented(
        `group ${group.groupId} member ${memberId}: watch ports are not supported`,
      );
    }
    const weight = member.weight ?? 0;
    if (profile.weightsDisallowed ? weight !== 0 : weight < 1) {
      throw invalidArgument(
        `group ${group.groupId} member ${memberId}: weight ${weight} (${profile.weightsDisallowed ? 'must be 0' : 'must be >= 1'})`,
      );
    }
    return { memberId, weight: Math.max(weight, 1) };
  });
}

/**
 * max_size rules (spec "Rules on Setting max_size"), except that 0 ("the target's maximum")
 * is accepted even when the P4Info sets max_group_size, as PI does for BMv2.
 */
function decodeMaxSize(profile: ProfileBinding, group: ActionProfileGroup__Output): number {
  const maxSize = group.maxSize ?? 0;
  if (maxSize < 0) throw invalidArgument(`group ${group.groupId}: max_size ${maxSize} is negative`);
  if (profile.maxGroupSize > 0 && maxSize > profile.maxGroupSize) {
    throw invalidArgument(
      `group ${group.groupId}: max_size ${maxSize} is above max_group_size ${profile.maxGroupSize} of '${profile.name}'`,
    );
  }
  return maxSize;
}

export function writeGroup(
  state: ForwardingState,
  type: UpdateType,
  group: ActionProfileGroup__Output,
): void {
  const profile = state.profile(group.actionProfileId);
  const groupId = group.groupId ?? 0;
  if (groupId === 0) throw invalidArgument('group_id 0 is not a group id');
  if (!profile.withSelector)
    throw invalidArgument(`action profile '${profile.name}' has no selector: groups need one`);
  checkNotOneShot(state, profile);
  const { dataplane } = state;
  if (type === 'DELETE') {
    dataplane.deleteGroup(profile.name, groupId);
    return;
  }
  const maxSize = decodeMaxSize(profile, group);
  const members = decodeGroupMembers(profile, group);
  if (type === 'INSERT') {
    dataplane.insertGroup(profile.name, { groupId, maxSize, members });
    return;
  }
  const existing = dataplane.readGroup(profile.name, groupId);
  if (existing && existing.maxSize !== maxSize) {
    throw invalidArgument(
      `group ${groupId}: max_size ${maxSize} differs from ${existing.maxSize} given at insert`,
    );
  }
  dataplane.modifyGroup(profile.name, { groupId, maxSize, members });
}

/** Profiles a member or group read request selects: all for id 0. */
function selectedProfiles(state: ForwardingState, profileId: number | undefined): ProfileBinding[] {
  if ((profileId ?? 0) === 0) return [...state.index.profiles.values()];
  return [state.profile(profileId)];
}

export function readMembers(
  state: ForwardingState,
  request: ActionProfileMember__Output,
): ActionProfileMember[] {
  const memberId = request.memberId ?? 0;
  if ((request.actionProfileId ?? 0) === 0 && memberId !== 0) {
    throw invalidArgument('reading member ids needs an action_profile_id');
  }
  return selectedProfiles(state, request.actionProfileId).flatMap((profile) => {
    if (state.oneShots.inUse(profile.name)) return [];
    const table = profile.tables[0];
    return state.dataplane
      .readMembers(profile.name)
      .filter((m) => memberId === 0 || m.memberId === memberId)
      .map((m) => ({
        actionProfileId: profile.id,
        memberId: m.memberId,
        action: encodeAction(table!.actionsByName.get(m.action.action)!, m.action),
      }));
  });
}

export function readGroups(
  state: ForwardingState,
  request: ActionProfileGroup__Output,
): ActionProfileGroup[] {
  const groupId = request.groupId ?? 0;
  if ((request.actionProfileId ?? 0) === 0 && groupId !== 0) {
    throw invalidArgument('reading group ids needs an action_profile_id');
  }
  return selectedProfiles(state, request.actionProfileId).flatMap((profile) => {
    if (!profile.withSelector || state.oneShots.inUse(profile.name)) return [];
    return state.dataplane
      .readGroups(profile.name)
      .filter((g) => groupId === 0 || g.groupId === groupId)
      .map((g) => ({
        actionProfileId: profile.id,
        groupId: g.groupId,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          weight: profile.weightsDisallowed ? 0 : m.weight,
        })),
        ...(g.maxSize !== 0 ? { maxSize: g.maxSize } : {}),
      }));
  });
}

/**
 * Action profiles and action selectors with BMv2's member selection, so a group picks the
 * same member BMv2 picks for the same packet:
 * - BMv2 names members by handles it allocates itself, always the lowest free one
 *   (bm_sim handle_mgr.h); a group is the *sorted set* of its member handles
 *   (ras.h flat_set) and a packet gets the member at index (hash as 32-bit unsigned) % size
 *   (action_profile.cpp choose_from_group / get_from_hash).
 * - P4Runtime members carry ids and groups carry weights; PI maps a member to one BMv2
 *   member and, for a weight w, puts w BMv2 copies of it (handles[0..w-1]) into the group,
 *   creating missing copies member by member in member-id order and dropping copies no group
 *   needs any more (PI proto/frontend action_prof_mgr.cpp). We keep the same handles.
 */
import type { ActionCall, GroupMember, ProfileGroup, ProfileMember } from './api.ts';
import { bindAction, type BoundAction, type CompiledAction } from './actions.ts';
import type { CompiledCalculation } from './calculation.ts';
import { DataplaneError } from './dataplane-error.ts';
import type { PacketState } from './packet-layout.ts';

/** Lowest-free handle allocation, as BMv2's HandleMgr. */
class HandleAllocator {
  private readonly used: boolean[] = [];

  allocate(): number {
    let h = this.used.indexOf(false);
    if (h === -1) h = this.used.length;
    this.used[h] = true;
    return h;
  }

  release(h: number): void {
    this.used[h] = false;
  }
}

interface MemberState {
  readonly id: number;
  bound: BoundAction;
  /** BMv2 handles: [0] is the member itself, the others copies for weights > 1. */
  readonly handles: number[];
  /** How many users need each weight; weight 1 always has the member itself as a user. */
  readonly weightUsers: Map<number, number>;
  /** Table entries that point at this member. */
  entryRefs: number;
  /** Groups that hold this member. */
  groupRefs: number;
}

interface GroupState {
  readonly id: number;
  readonly maxSize: number;
  /** Members in the order the control plane gave them, with weights. */
  members: readonly GroupMember[];
  /** Sorted BMv2 handles of the group. */
  handles: number[];
  entryRefs: number;
}

export class ActionProfileState {
  private readonly allocator = new HandleAllocator();
  private readonly members = new Map<number, MemberState>();
  private readonly groups = new Map<number, GroupState>();
  private readonly memberByHandle = new Map<number, MemberState>();

  constructor(
    readonly name: string,
    readonly maxSize: number,
    /** The selector's hash; undefined for a plain action profile. */
    private readonly selector: CompiledCalculation | undefined,
    /** Actions of the tables using this profile. */
    private readonly actions: ReadonlyMap<string, CompiledAction>,
  ) {}

  get isSelector(): boolean {
    return this.selector !== undefined;
  }

  insertMember(member: ProfileMember): void {
    checkId(member.memberId, 'member');
    if (this.members.has(member.memberId)) {
      throw new DataplaneError(
        'ALREADY_EXISTS',
        `member ${member.memberId} already exists in action profile '${this.name}'`,
      );
    }
    if (this.members.size >= this.maxSize) {
      throw new DataplaneError(
        'RESOURCE_EXHAUSTED',
        `action profile '${this.name}' is full (${this.maxSize} members)`,
      );
    }
    const bound = this.bind(member.action);
    const state: MemberState = {
      id: member.memberId,
      bound,
      handles: [],
      weightUsers: new Map([[1, 1]]),
      entryRefs: 0,
      groupRefs: 0,
    };
    this.addCopy(state);
    this.members.set(state.id, state);
  }

  modifyMember(member: ProfileMember): void {
    const state = this.member(member.memberId);
    state.bound = this.bind(member.action);
  }

  deleteMember(memberId: number): void {
    const state = this.member(memberId);
    if (state.groupRefs > 0) {
      const group = [...this.groups.values()].find((g) =>
        g.members.some((m) => m.memberId === memberId),
      )!;
      throw new DataplaneError(
        'FAILED_PRECONDITION',
        `member ${memberId} of action profile '${this.name}' is still used by group ${group.id}`,
      );
    }
    if (state.entryRefs > 0) {
      throw new DataplaneError(
        'FAILED_PRECONDITION',
        `member ${memberId} of action profile '${this.name}' is still used by ${state.entryRefs} table entries`,
      );
    }
    for (const h of state.handles) this.releaseHandle(h);
    this.members.delete(memberId);
  }

  readMembers(): ProfileMember[] {
    return [...this.members.values()].map((m) => ({ memberId: m.id, action: m.bound.call }));
  }

  insertGroup(group: ProfileGroup): void {
    this.requireSelector();
    checkId(group.groupId, 'group');
    if (this.groups.has(group.groupId)) {
      throw new DataplaneError(
        'ALREADY_EXISTS',
        `group ${group.groupId} already exists in action selector '${this.name}'`,
      );
    }
    this.validateMembership(group, group.maxSize);
    const state: GroupState = {
      id: group.groupId,
      maxSize: group.maxSize,
      members: [],
      handles: [],
      entryRefs: 0,
    };
    this.groups.set(state.id, state);
    this.applyMembership(state, group.members);
  }

  modifyGroup(group: ProfileGroup): void {
    this.requireSelector();
    const state = this.group(group.groupId);
    if (group.maxSize !== 0 && group.maxSize !== state.maxSize) {
      throw new DataplaneError(
        'INVALID_ARGUMENT',
        `group ${group.groupId} of '${this.name}': max size cannot change after creation (${state.maxSize})`,
      );
    }
    this.validateMembership(group, state.maxSize);
    this.applyMembership(state, group.members);
  }

  deleteGroup(groupId: number): void {
    this.requireSelector();
    const state = this.group(groupId);
    if (state.entryRefs > 0) {
      throw new DataplaneError(
        'FAILED_PRECONDITION',
        `group ${groupId} of action selector '${this.name}' is still used by ${state.entryRefs} table entries`,
      );
    }
    this.applyMembership(state, []);
    this.groups.delete(groupId);
  }

  readGroups(): ProfileGroup[] {
    return [...this.groups.keys()].map((groupId) => this.readGroup(groupId)!);
  }

  readGroup(groupId: number): ProfileGroup | undefined {
    const g = this.groups.get(groupId);
    if (g === undefined) return undefined;
    return { groupId: g.id, maxSize: g.maxSize, members: g.members.map((m) => ({ ...m })) };
  }

  /** Checks that an entry may point at a member / group, and counts the reference. */
  reference(target: { kind: 'member'; id: number } | { kind: 'group'; id: number }): void {
    if (target.kind === 'member') this.member(target.id).entryRefs++;
    else {
      this.requireSelector();
      this.group(target.id).entryRefs++;
    }
  }

  release(target: { kind: 'member'; id: number } | { kind: 'group'; id: number }): void {
    if (target.kind === 'member') this.members.get(target.id)!.entryRefs--;
    else this.groups.get(target.id)!.entryRefs--;
  }

  memberAction(memberId: number): BoundAction {
    return this.members.get(memberId)!.bound;
  }

  /** The member BMv2 would run for this packet, or undefined for an empty group. */
  selectFromGroup(groupId: number, s: PacketState): BoundAction | undefined {
    const group = this.groups.get(groupId)!;
    const n = group.handles.length;
    if (n === 0) return undefined;
    // BMv2 keeps the hash in an `unsigned int`: the low 32 bits of the calculation.
    const hash =
      this.selector!.algorithm.width <= 32
        ? this.selector!.compute(s)
        : Number(BigInt.asUintN(32, this.selector!.computeBig(s)));
    return this.memberByHandle.get(group.handles[hash % n]!)!.bound;
  }

  private bind(call: ActionCall): BoundAction {
    return bindAction(call, this.actions, `action profile '${this.name}'`);
  }

  private member(memberId: number): MemberState {
    const state = this.members.get(memberId);
    if (!state) {
      throw new DataplaneError(
        'NOT_FOUND',
        `member ${memberId} does not exist in action profile '${this.name}'`,
      );
    }
    return state;
  }

  private group(groupId: number): GroupState {
    const state = this.groups.get(groupId);
    if (!state) {
      throw new DataplaneError(
        'NOT_FOUND',
        `group ${groupId} does not exist in action selector '${this.name}'`,
      );
    }
    return state;
  }

  private requireSelector(): void {
    if (!this.selector) {
      throw new DataplaneError(
        'INVALID_ARGUMENT',
        `action profile '${this.name}' is not an action selector: it has no groups`,
      );
    }
  }

  private validateMembership(group: ProfileGroup, maxSize: number): void {
    const seen = new Set<number>();
    let total = 0;
    for (const m of group.members) {
      if (!Number.isInteger(m.weight) || m.weight < 1) {
        throw new DataplaneError(
          'INVALID_ARGUMENT',
          `group ${group.groupId}: member ${m.memberId} has weight ${m.weight}, not a positive integer`,
        );
      }
      if (seen.has(m.memberId)) {
        throw new DataplaneError(
          'INVALID_ARGUMENT',
          `group ${group.groupId}: member ${m.memberId} listed twice (use weights)`,
        );
      }
      seen.add(m.memberId);
      this.member(m.memberId);
      total += m.weight;
    }
    if (maxSize > 0 && total > maxSize) {
      throw new DataplaneError(
        'RESOURCE_EXHAUSTED',
        `group ${group.groupId}: total weight ${total} exceeds its max size ${maxSize}`,
      );
    }
  }

  /** Moves a group to a new membership the way PI drives BMv2 (see the file comment). */
  private applyMembership(group: GroupState, next: readonly GroupMember[]): void {
    const before = new Map(group.members.map((m) => [m.memberId, m.weight]));
    const after = new Map(next.map((m) => [m.memberId, m.weight]));
    const ids = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) => a - b);
    const handles = new Set(group.handles);
    for (const id of ids) {
      const member = this.members.get(id)!;
      const oldWeight = before.get(id) ?? 0;
      const newWeight = after.get(id) ?? 0;
      while (member.handles.length < newWeight) this.addCopy(member);
      for (let i = newWeight; i < oldWeight; i++) handles.delete(member.handles[i]!);
      for (let i = oldWeight; i < newWeight; i++) handles.add(member.handles[i]!);
      if (oldWeight > 0) adjust(member.weightUsers, oldWeight, -1);
      if (newWeight > 0) adjust(member.weightUsers, newWeight, +1);
      member.groupRefs += Number(newWeight > 0) - Number(oldWeight > 0);
    }
    group.members = next.map((m) => ({ memberId: m.memberId, weight: m.weight }));
    group.handles = [...handles].sort((a, b) => a - b);
    for (const id of ids) this.dropUnusedCopies(this.members.get(id)!);
  }

  private addCopy(member: MemberState): void {
    const h = this.allocator.allocate();
    member.handles.push(h);
    this.memberByHandle.set(h, member);
  }

  private dropUnusedCopies(member: MemberState): void {
    let needed = 1;
    for (const [weight, users] of member.weightUsers)
      if (users > 0) needed = Math.max(needed, weight);
    while (member.handles.length > needed) this.releaseHandle(member.handles.pop()!);
  }

  private releaseHandle(h: number): void {
    this.allocator.release(h);
    this.memberByHandle.delete(h);
  }
}

function adjust(counts: Map<number, number>, key: number, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next === 0) counts.delete(key);
  else counts.set(key, next);
}

function checkId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new DataplaneError('INVALID_ARGUMENT', `${what} id ${id} is not a uint32`);
  }
}

/**
 * The control API of the embedded data plane: what the P4Runtime server (src/softswitch/p4runtime)
 * codes against. A `DataplanePipeline` is a loaded, validated BMv2 JSON (the file p4c's bmv2 backend
 * emits, v1model / simple_switch semantics) with a description of its P4Runtime-visible
 * objects; a `Dataplane` is one running instance of it with its own table, action profile,
 * counter and register state.
 *
 * Conventions:
 * - Every name is the name in the BMv2 JSON, which p4c makes equal to the P4Info name
 *   (tables "TalariaIngress.frontends", actions "TalariaIngress.set_service", key fields
 *   "vip_addr", action params "service_id"). The server maps P4Info ids to these names.
 * - Values (match fields, action params, register cells) are unsigned bigints of the declared
 *   bitwidth; a value wider than its bitwidth is refused with OUT_OF_RANGE.
 * - Every method either does all of its work or none of it, and reports failure by throwing
 *   a `DataplaneError` whose code is the P4Runtime code to answer with and whose message
 *   names what is wrong. `process()` never throws.
 * - All calls are synchronous; a `Dataplane` is used from one thread.
 *
 * Changing anything here changes the P4Runtime server: tell its engineer.
 */
import type { DataplaneError, DataplaneErrorCode } from './dataplane-error.ts';

export type { DataplaneError, DataplaneErrorCode };

/** Loads a BMv2 JSON; throws DataplaneError (INVALID_ARGUMENT when malformed, UNIMPLEMENTED
 * naming the construct when it uses something this target does not run). */
export type LoadPipeline = (json: unknown) => DataplanePipeline;

// ---------------------------------------------------------------------------------------
// Pipeline description
// ---------------------------------------------------------------------------------------

export type DataplaneMatchKind = 'exact' | 'lpm' | 'ternary' | 'range' | 'optional';

export interface KeyFieldInfo {
  /** The key element's name, equal to the P4Info match field name (e.g. "vip_addr"). */
  readonly name: string;
  readonly matchKind: DataplaneMatchKind;
  readonly bitwidth: number;
}

export interface ActionParamInfo {
  readonly name: string;
  readonly bitwidth: number;
}

export interface DataplaneActionInfo {
  /** Fully qualified, e.g. "TalariaIngress.set_service" or "NoAction". */
  readonly name: string;
  readonly params: readonly ActionParamInfo[];
}

/** A direct action call: an action of the table (or profile) with one value per param. */
export interface ActionCall {
  readonly action: string;
  readonly params: readonly bigint[];
}

export interface DefaultActionInfo extends ActionCall {
  /** `const default_action`: the control plane may not change it (PERMISSION_DENIED). */
  readonly isConst: boolean;
}

export interface DataplaneTableInfo {
  /** e.g. "TalariaIngress.frontends". */
  readonly name: string;
  /** In key order; selector inputs of an action selector are not key fields (as in P4Info). */
  readonly keys: readonly KeyFieldInfo[];
  /** Actions the control plane may put in entries (and in default actions). */
  readonly actions: readonly DataplaneActionInfo[];
  readonly maxSize: number;
  /** True when some key is ternary, range or optional: entries then need priority > 0. */
  readonly needsPriority: boolean;
  /** The default action the pipeline starts with; undefined for indirect tables without one. */
  readonly defaultAction: DefaultActionInfo | undefined;
  /** Entries from the program (`entries = {...}`); such a table refuses writes (is_const_table). */
  readonly constEntries: readonly TableEntry[];
  readonly isConst: boolean;
  /** Name of the action profile or action selector, for indirect tables. */
  readonly implementation: string | undefined;
  /** Name of the direct counter bound to this table. */
  readonly directCounter: string | undefined;
}

export interface DataplaneActionProfileInfo {
  readonly name: string;
  /** Maximum number of members. */
  readonly maxSize: number;
  /** An action selector (groups allowed) rather than a plain action profile. */
  readonly isSelector: boolean;
  /** Tables that use this profile as their implementation. */
  readonly tables: readonly string[];
}

export type CounterUnit = 'packets' | 'bytes' | 'both';

export interface DataplaneCounterInfo {
  readonly name: string;
  /** Number of cells (indexed counters). */
  readonly size: number;
  /** BMv2 counts both always; this says what the program asked for. */
  readonly unit: CounterUnit;
}

export interface DirectCounterInfo {
  readonly name: string;
  readonly table: string;
}

export interface RegisterInfo {
  readonly name: string;
  readonly size: number;
  readonly bitwidth: number;
}

export interface DataplanePipeline {
  readonly tables: readonly DataplaneTableInfo[];
  /** Every action of the program once (p4c may emit one JSON action per use; names are equal). */
  readonly actions: readonly DataplaneActionInfo[];
  readonly actionProfiles: readonly DataplaneActionProfileInfo[];
  /** Indexed counters. */
  readonly counters: readonly DataplaneCounterInfo[];
  readonly directCounters: readonly DirectCounterInfo[];
  readonly registers: readonly RegisterInfo[];
  /** A fresh instance with empty tables (const entries and default actions installed). */
  createDataplane(): Dataplane;
}

// ---------------------------------------------------------------------------------------
// Table entries
// ---------------------------------------------------------------------------------------

export type FieldMatch =
  | { readonly kind: 'exact'; readonly value: bigint }
  | { readonly kind: 'lpm'; readonly value: bigint; readonly prefixLength: number }
  | { readonly kind: 'ternary'; readonly value: bigint; readonly mask: bigint }
  | { readonly kind: 'range'; readonly low: bigint; readonly high: bigint }
  | { readonly kind: 'optional'; readonly value: bigint };

/**
 * One element per key field of the table, in `DataplaneTableInfo.keys` order. `undefined` is the
 * wildcard, allowed for ternary, range, optional and lpm (prefix length 0) keys. Matches
 * equivalent to a wildcard (ternary mask 0, lpm prefix 0, full range) are stored and read
 * back as `undefined`. Refused with INVALID_ARGUMENT: a kind other than the key's, bits set
 * outside an lpm prefix or ternary mask, low > high, prefix longer than the key.
 * p4c emits P4 `optional` keys as `ternary` in the BMv2 JSON (the key's matchKind then says
 * ternary, P4Info says OPTIONAL): an optional match on such a key is taken as a ternary match
 * with a full mask and read back as that ternary match.
 */
export type EntryMatch = readonly (FieldMatch | undefined)[];

/** What an entry does: an action of the table, or for indirect tables a member or a group. */
export type EntryAction =
  | ({ readonly kind: 'action' } & ActionCall)
  | { readonly kind: 'member'; readonly memberId: number }
  | { readonly kind: 'group'; readonly groupId: number };

/** Identifies an entry: the match plus the priority (0 for tables without priority). */
export interface EntryKey {
  readonly match: EntryMatch;
  /** P4Runtime semantics: higher wins. Must be > 0 iff the table `needsPriority`. */
  readonly priority: number;
}

export interface TableEntry extends EntryKey {
  readonly action: EntryAction;
  /** Opaque to the data plane; stored and read back (P4Runtime controller_metadata). */
  readonly controllerMetadata?: bigint;
  /** Opaque to the data plane; stored and read back (P4Runtime metadata). */
  readonly metadata?: Uint8Array;
}

export interface CounterData {
  readonly packets: bigint;
  readonly bytes: bigint;
}

export interface TableEntryState extends TableEntry {
  /** Present when the table has a direct counter. */
  readonly counter?: CounterData;
}

// ---------------------------------------------------------------------------------------
// Action profiles and selectors
// ---------------------------------------------------------------------------------------

export interface ProfileMember {
  readonly memberId: number;
  readonly action: ActionCall;
}

/**
 * Member selection is BMv2's: (selector hash as uint32) mod (number of BMv2 members in the
 * group), over the group's BMv2 member handles in ascending order; handles are allocated
 * lowest-free, one per member at insertMember, plus one per extra weight unit when a group
 * first needs it (PI's scheme). So a client that inserts members in the same order as it
 * would through PI gets the same choices as BMv2. For one-shot action sets PI creates, in
 * action order, `weight` separate BMv2 members per action: to match it, insert one member
 * of weight 1 per weight unit, in that order, then the group.
 */
export interface GroupMember {
  readonly memberId: number;
  /** >= 1. A weight w puts the member w times into the group (as PI does for BMv2). */
  readonly weight: number;
}

/**
 * A packet whose entry points at an empty group runs no action, and control continues as
 * after a miss without a default action (BMv2 logs an error; its next node is undefined).
 */
export interface ProfileGroup {
  readonly groupId: number;
  /**
   * The most total weight the group may hold (P4Runtime max_size), fixed at insert
   * (a modify with another non-zero value is INVALID_ARGUMENT); 0 = no limit here (the
   * server checks P4Info's max_group_size).
   */
  readonly maxSize: number;
  readonly members: readonly GroupMember[];
}

// ---------------------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------------------

export interface PacketOutput {
  readonly port: number;
  readonly bytes: Uint8Array;
}

export type DropCause =
  /** egress_spec was DROP_PORT (511) at the end of ingress (mark_to_drop or explicit). */
  | { readonly stage: 'ingress' }
  /** mark_to_drop (egress_spec = 511) during egress. */
  | { readonly stage: 'egress' }
  /** A run-time fault BMv2 would also stop on (e.g. header stack index out of bounds). */
  | { readonly stage: 'error'; readonly message: string };

export interface ProcessResult {
  /** What leaves the switch (empty when dropped). */
  readonly outputs: readonly PacketOutput[];
  readonly dropped?: DropCause;
  /** standard_metadata.parser_error's name at the end of parsing ("NoError", "PacketTooShort", ...). */
  readonly parserError: string;
}

// ---------------------------------------------------------------------------------------
// The running instance
// ---------------------------------------------------------------------------------------

export interface Dataplane {
  readonly pipeline: DataplanePipeline;

  // Tables. NOT_FOUND for an unknown table/action/member/group or a missing entry;
  // ALREADY_EXISTS for a duplicate key; RESOURCE_EXHAUSTED when the table is full;
  // PERMISSION_DENIED on a const table; INVALID_ARGUMENT for a malformed match, a wrong
  // number of params, an action not in the table, a member/group on a direct table or an
  // action on an indirect one; OUT_OF_RANGE for a value too wide.
  insertEntry(table: string, entry: TableEntry): void;
  /** Replaces action and metadata of the entry with the same key; keeps its counter. */
  modifyEntry(table: string, entry: TableEntry): void;
  deleteEntry(table: string, key: EntryKey): void;
  /** All control-plane entries (not const ones: see DataplaneTableInfo.constEntries), insertion order. */
  readEntries(table: string): readonly TableEntryState[];
  readEntry(table: string, key: EntryKey): TableEntryState;

  /** PERMISSION_DENIED when the default is const. */
  setDefaultAction(table: string, action: EntryAction): void;
  /** Back to the program's default action. */
  resetDefaultAction(table: string): void;
  getDefaultAction(table: string): EntryAction | undefined;

  // Action profiles / selectors. Members: ALREADY_EXISTS, NOT_FOUND, RESOURCE_EXHAUSTED
  // (profile full), FAILED_PRECONDITION (deleting a member a group or an entry uses).
  // Groups: INVALID_ARGUMENT on a plain action profile or a weight < 1, NOT_FOUND for an
  // unknown member, RESOURCE_EXHAUSTED when the weights exceed max size, FAILED_PRECONDITION
  // (deleting a group an entry uses).
  insertMember(profile: string, member: ProfileMember): void;
  modifyMember(profile: string, member: ProfileMember): void;
  deleteMember(profile: string, memberId: number): void;
  readMembers(profile: string): readonly ProfileMember[];
  insertGroup(profile: string, group: ProfileGroup): void;
  /** Replaces the group's member set (and max size). */
  modifyGroup(profile: string, group: ProfileGroup): void;
  deleteGroup(profile: string, groupId: number): void;
  readGroups(profile: string): readonly ProfileGroup[];
  /** One group, undefined when it does not exist (without copying every group). */
  readGroup(profile: string, groupId: number): ProfileGroup | undefined;

  // Counters: OUT_OF_RANGE for an index >= size.
  readCounter(counter: string, index: number): CounterData;
  writeCounter(counter: string, index: number, data: CounterData): void;
  readDirectCounter(table: string, key: EntryKey): CounterData;
  writeDirectCounter(table: string, key: EntryKey, data: CounterData): void;

  // Registers: OUT_OF_RANGE for an index >= size or a value wider than the register.
  readRegister(register: string, index: number): bigint;
  writeRegister(register: string, index: number, value: bigint): void;

  /** Runs one packet through parser, ingress, egress and deparser. Never throws. */
  process(ingressPort: number, bytes: Uint8Array): ProcessResult;
}

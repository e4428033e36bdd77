/**
 * One running instance of a pipeline: the control API of api.ts over a compiled program, and
 * packet processing with simple_switch's v1model flow (targets/simple_switch/simple_switch.cpp):
 * parse (and verify checksums) -> ingress -> drop if egress_spec is DROP_PORT -> egress with
 * egress_port = egress_spec and egress_spec = DROP_PORT + 1 -> drop if egress_spec is DROP_PORT
 * -> update checksums and deparse -> out of egress_port.
 */
import type {
  CounterData,
  Dataplane,
  EntryAction,
  EntryKey,
  DataplanePipeline,
  ProcessResult,
  ProfileGroup,
  ProfileMember,
  TableEntry,
  TableEntryState,
} from './api.ts';
import type { ActionProfileState } from './action-profile.ts';
import type { CounterArray } from './counters.ts';
import { DataplaneError } from './dataplane-error.ts';
import { PacketState } from './packet-layout.ts';
import { DROP_PORT } from './primitives.ts';
import type { CompiledProgram } from './program.ts';
import type { RegisterArray } from './registers.ts';
import type { ControlNode, TableRuntime } from './table-runtime.ts';

const NORMAL_INSTANCE = 0;

export class CompiledDataplane implements Dataplane {
  private readonly state: PacketState;
  private readonly cursor: { bytes: Uint8Array; offset: number } = {
    bytes: new Uint8Array(0),
    offset: 0,
  };
  /** BMv2's timestamps count microseconds from the switch's start. */
  private readonly startedAt = performance.now();
  private readonly noError: string;

  constructor(
    readonly pipeline: DataplanePipeline,
    private readonly program: CompiledProgram,
  ) {
    this.state = new PacketState(program.layout);
    this.noError = program.errors.name(program.errors.code('NoError'));
  }

  insertEntry(table: string, entry: TableEntry): void {
    this.table(table).insert(entry);
  }

  modifyEntry(table: string, entry: TableEntry): void {
    this.table(table).modify(entry);
  }

  deleteEntry(table: string, key: EntryKey): void {
    this.table(table).delete(key);
  }

  readEntries(table: string): readonly TableEntryState[] {
    return this.table(table).read();
  }

  readEntry(table: string, key: EntryKey): TableEntryState {
    return this.table(table).readOne(key);
  }

  setDefaultAction(table: string, action: EntryAction): void {
    this.table(table).setDefault(action);
  }

  resetDefaultAction(table: string): void {
    this.table(table).resetDefault();
  }

  getDefaultAction(table: string): EntryAction | undefined {
    return this.table(table).getDefault();
  }

  insertMember(profile: string, member: ProfileMember): void {
    this.profile(profile).insertMember(member);
  }

  modifyMember(profile: string, member: ProfileMember): void {
    this.profile(profile).modifyMember(member);
  }

  deleteMember(profile: string, memberId: number): void {
    this.profile(profile).deleteMember(memberId);
  }

  readMembers(profile: string): readonly ProfileMember[] {
    return this.profile(profile).readMembers();
  }

  insertGroup(profile: string, group: ProfileGroup): void {
    this.profile(profile).insertGroup(group);
  }

  modifyGroup(profile: string, group: ProfileGroup): void {
    this.profile(profile).modifyGroup(group);
  }

  deleteGroup(profile: string, groupId: number): void {
    this.profile(profile).deleteGroup(groupId);
  }

  readGroups(profile: string): readonly ProfileGroup[] {
    return this.profile(profile).readGroups();
  }

  readGroup(profile: string, groupId: number): ProfileGroup | undefined {
    return this.profile(profile).readGroup(groupId);
  }

  readCounter(counter: string, index: number): CounterData {
    return this.counter(counter).read(index);
  }

  writeCounter(counter: string, index: number, data: CounterData): void {
    this.counter(counter).write(index, data);
  }

  readDirectCounter(table: string, key: EntryKey): CounterData {
    return this.table(table).readCounter(key);
  }

  writeDirectCounter(table: string, key: EntryKey, data: CounterData): void {
    this.table(table).writeCounter(key, data);
  }

  readRegister(register: string, index: number): bigint {
    return this.register(register).read(index);
  }

  writeRegister(register: string, index: number, value: bigint): void {
    this.register(register).write(index, value);
  }

  process(ingressPort: number, bytes: Uint8Array): ProcessResult {
    const { program, state: s } = this;
    const std = program.standardMetadata;
    let parserError = this.noError;
    try {
      s.reset();
      s.ingressLength = bytes.length;
      s.lengthRegister = bytes.length;
      const num = s.num;
      num[std.ingressPort.slot] = ingressPort & 0x1ff;
      if (std.packetLength) num[std.packetLength.slot] = bytes.length;
      if (std.instanceType) num[std.instanceType.slot] = NORMAL_INSTANCE;
      // One clock reading per packet serves every timestamp: nothing queues in between.
      const now = std.ingressTimestamp || std.enqTimestamp ? this.microseconds() : 0;
      if (std.ingressTimestamp) num[std.ingressTimestamp.slot] = now;

      const cursor = this.cursor;
      cursor.bytes = bytes;
      cursor.offset = 0;
      const errorCode = program.parser.parse(s, cursor);
      parserError = program.errors.name(errorCode);
      s.payload = bytes.subarray(cursor.offset);
      if (std.parserError) num[std.parserError.slot] = errorCode;
      const checksumsCorrect = program.checksums.verify(s);
      if (std.checksumError) num[std.checksumError.slot] = checksumsCorrect ? 0 : 1;

      runControl(program.ingress, s);
      s.exit = false;
      if (std.mcastGrp && num[std.mcastGrp.slot] !== 0) {
        return {
          outputs: [],
          dropped: { stage: 'error', message: 'multicast is not supported' },
          parserError,
        };
      }
      const egressPort = num[std.egressSpec.slot]!;
      if (egressPort === DROP_PORT)
        return { outputs: [], dropped: { stage: 'ingress' }, parserError };

      num[std.egressPort.slot] = egressPort;
      num[std.egressSpec.slot] = DROP_PORT + 1;
      if (std.packetLength) num[std.packetLength.slot] = s.lengthRegister;
      if (std.enqTimestamp) num[std.enqTimestamp.slot] = now;
      if (std.egressTimestamp) num[std.egressTimestamp.slot] = now;
      runControl(program.egress, s);
      if (num[std.egressSpec.slot] === DROP_PORT) {
        return { outputs: [], dropped: { stage: 'egress' }, parserError };
      }

      program.checksums.update(s);
      return { outputs: [{ port: egressPort, bytes: this.deparse(s) }], parserError };
    } catch (error) {
      // A fault BMv2 would abort or assert on: this packet is lost, the switch carries on.
      const message = error instanceof Error ? error.message : String(error);
      return { outputs: [], dropped: { stage: 'error', message }, parserError };
    }
  }

  private deparse(s: PacketState): Uint8Array {
    let headerBytes = 0;
    const order = this.program.deparseOrder;
    for (const h of order) if (s.valid[h.index] === 1) headerBytes += h.byteLength;
    const total = Math.min(headerBytes + s.payload.length, s.truncateLength);
    const out = new Uint8Array(headerBytes + s.payload.length);
    let offset = 0;
    for (const h of order) {
      if (s.valid[h.index] !== 1) continue;
      h.emit(s, out, offset);
      offset += h.byteLength;
    }
    out.set(s.payload, offset);
    return total < out.length ? out.subarray(0, total) : out;
  }

  private microseconds(): number {
    return Math.floor((performance.now() - this.startedAt) * 1000);
  }

  private table(name: string): TableRuntime {
    return found(this.program.tables.get(name), 'table', name);
  }

  private profile(name: string): ActionProfileState {
    return found(this.program.profiles.get(name), 'action profile', name);
  }

  private counter(name: string): CounterArray {
    return found(this.program.counters.get(name), 'counter', name);
  }

  private register(name: string): RegisterArray {
    return found(this.program.registers.get(name), 'register', name);
  }
}

function runControl(first: ControlNode | null, s: PacketState): void {
  let node = first;
  while (node !== null && !s.exit) node = node.run(s);
}

function found<T>(value: T | undefined, what: string, name: string): T {
  if (value === undefined) throw new DataplaneError('NOT_FOUND', `no ${what} named '${name}'`);
  return value;
}

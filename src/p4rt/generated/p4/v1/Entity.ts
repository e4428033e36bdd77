// Original file: proto/p4/v1/p4runtime.proto

import type { ExternEntry as _p4_v1_ExternEntry, ExternEntry__Output as _p4_v1_ExternEntry__Output } from '../../p4/v1/ExternEntry.ts';
import type { TableEntry as _p4_v1_TableEntry, TableEntry__Output as _p4_v1_TableEntry__Output } from '../../p4/v1/TableEntry.ts';
import type { ActionProfileMember as _p4_v1_ActionProfileMember, ActionProfileMember__Output as _p4_v1_ActionProfileMember__Output } from '../../p4/v1/ActionProfileMember.ts';
import type { ActionProfileGroup as _p4_v1_ActionProfileGroup, ActionProfileGroup__Output as _p4_v1_ActionProfileGroup__Output } from '../../p4/v1/ActionProfileGroup.ts';
import type { MeterEntry as _p4_v1_MeterEntry, MeterEntry__Output as _p4_v1_MeterEntry__Output } from '../../p4/v1/MeterEntry.ts';
import type { DirectMeterEntry as _p4_v1_DirectMeterEntry, DirectMeterEntry__Output as _p4_v1_DirectMeterEntry__Output } from '../../p4/v1/DirectMeterEntry.ts';
import type { CounterEntry as _p4_v1_CounterEntry, CounterEntry__Output as _p4_v1_CounterEntry__Output } from '../../p4/v1/CounterEntry.ts';
import type { DirectCounterEntry as _p4_v1_DirectCounterEntry, DirectCounterEntry__Output as _p4_v1_DirectCounterEntry__Output } from '../../p4/v1/DirectCounterEntry.ts';
import type { PacketReplicationEngineEntry as _p4_v1_PacketReplicationEngineEntry, PacketReplicationEngineEntry__Output as _p4_v1_PacketReplicationEngineEntry__Output } from '../../p4/v1/PacketReplicationEngineEntry.ts';
import type { ValueSetEntry as _p4_v1_ValueSetEntry, ValueSetEntry__Output as _p4_v1_ValueSetEntry__Output } from '../../p4/v1/ValueSetEntry.ts';
import type { RegisterEntry as _p4_v1_RegisterEntry, RegisterEntry__Output as _p4_v1_RegisterEntry__Output } from '../../p4/v1/RegisterEntry.ts';
import type { DigestEntry as _p4_v1_DigestEntry, DigestEntry__Output as _p4_v1_DigestEntry__Output } from '../../p4/v1/DigestEntry.ts';

export interface Entity {
  'externEntry'?: (_p4_v1_ExternEntry | null);
  'tableEntry'?: (_p4_v1_TableEntry | null);
  'actionProfileMember'?: (_p4_v1_ActionProfileMember | null);
  'actionProfileGroup'?: (_p4_v1_ActionProfileGroup | null);
  'meterEntry'?: (_p4_v1_MeterEntry | null);
  'directMeterEntry'?: (_p4_v1_DirectMeterEntry | null);
  'counterEntry'?: (_p4_v1_CounterEntry | null);
  'directCounterEntry'?: (_p4_v1_DirectCounterEntry | null);
  'packetReplicationEngineEntry'?: (_p4_v1_PacketReplicationEngineEntry | null);
  'valueSetEntry'?: (_p4_v1_ValueSetEntry | null);
  'registerEntry'?: (_p4_v1_RegisterEntry | null);
  'digestEntry'?: (_p4_v1_DigestEntry | null);
  'entity'?: "externEntry"|"tableEntry"|"actionProfileMember"|"actionProfileGroup"|"meterEntry"|"directMeterEntry"|"counterEntry"|"directCounterEntry"|"packetReplicationEngineEntry"|"valueSetEntry"|"registerEntry"|"digestEntry";
}

export interface Entity__Output {
  'externEntry'?: (_p4_v1_ExternEntry__Output);
  'tableEntry'?: (_p4_v1_TableEntry__Output);
  'actionProfileMember'?: (_p4_v1_ActionProfileMember__Output);
  'actionProfileGroup'?: (_p4_v1_ActionProfileGroup__Output);
  'meterEntry'?: (_p4_v1_MeterEntry__Output);
  'directMeterEntry'?: (_p4_v1_DirectMeterEntry__Output);
  'counterEntry'?: (_p4_v1_CounterEntry__Output);
  'directCounterEntry'?: (_p4_v1_DirectCounterEntry__Output);
  'packetReplicationEngineEntry'?: (_p4_v1_PacketReplicationEngineEntry__Output);
  'valueSetEntry'?: (_p4_v1_ValueSetEntry__Output);
  'registerEntry'?: (_p4_v1_RegisterEntry__Output);
  'digestEntry'?: (_p4_v1_DigestEntry__Output);
  'entity'?: "externEntry"|"tableEntry"|"actionProfileMember"|"actionProfileGroup"|"meterEntry"|"directMeterEntry"|"counterEntry"|"directCounterEntry"|"packetReplicationEngineEntry"|"valueSetEntry"|"registerEntry"|"digestEntry";
}

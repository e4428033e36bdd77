// Original file: proto/p4/v1/p4runtime.proto

import type { MulticastGroupEntry as _p4_v1_MulticastGroupEntry, MulticastGroupEntry__Output as _p4_v1_MulticastGroupEntry__Output } from '../../p4/v1/MulticastGroupEntry.ts';
import type { CloneSessionEntry as _p4_v1_CloneSessionEntry, CloneSessionEntry__Output as _p4_v1_CloneSessionEntry__Output } from '../../p4/v1/CloneSessionEntry.ts';

export interface PacketReplicationEngineEntry {
  'multicastGroupEntry'?: (_p4_v1_MulticastGroupEntry | null);
  'cloneSessionEntry'?: (_p4_v1_CloneSessionEntry | null);
  'type'?: "multicastGroupEntry"|"cloneSessionEntry";
}

export interface PacketReplicationEngineEntry__Output {
  'multicastGroupEntry'?: (_p4_v1_MulticastGroupEntry__Output);
  'cloneSessionEntry'?: (_p4_v1_CloneSessionEntry__Output);
  'type'?: "multicastGroupEntry"|"cloneSessionEntry";
}

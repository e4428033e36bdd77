// Original file: proto/p4/v1/p4runtime.proto

import type { Replica as _p4_v1_Replica, Replica__Output as _p4_v1_Replica__Output } from '../../p4/v1/Replica.ts';

export interface MulticastGroupEntry {
  'multicastGroupId'?: (number);
  'replicas'?: (_p4_v1_Replica)[];
  'metadata'?: (Buffer | Uint8Array | string);
}

export interface MulticastGroupEntry__Output {
  'multicastGroupId'?: (number);
  'replicas'?: (_p4_v1_Replica__Output)[];
  'metadata'?: (Buffer);
}

// Original file: proto/p4/v1/p4runtime.proto

import type { Replica as _p4_v1_Replica, Replica__Output as _p4_v1_Replica__Output } from '../../p4/v1/Replica.ts';

export interface CloneSessionEntry {
  'sessionId'?: (number);
  'replicas'?: (_p4_v1_Replica)[];
  'classOfService'?: (number);
  'packetLengthBytes'?: (number);
}

export interface CloneSessionEntry__Output {
  'sessionId'?: (number);
  'replicas'?: (_p4_v1_Replica__Output)[];
  'classOfService'?: (number);
  'packetLengthBytes'?: (number);
}

// Original file: proto/p4/v1/p4runtime.proto

import type { BackupReplica as _p4_v1_BackupReplica, BackupReplica__Output as _p4_v1_BackupReplica__Output } from '../../p4/v1/BackupReplica.ts';

export interface Replica {
  'egressPort'?: (number);
  'instance'?: (number);
  'port'?: (Buffer | Uint8Array | string);
  'backupReplicas'?: (_p4_v1_BackupReplica)[];
  'portKind'?: "egressPort"|"port";
}

export interface Replica__Output {
  'egressPort'?: (number);
  'instance'?: (number);
  'port'?: (Buffer);
  'backupReplicas'?: (_p4_v1_BackupReplica__Output)[];
  'portKind'?: "egressPort"|"port";
}

// Original file: proto/p4/v1/p4runtime.proto

import type { MasterArbitrationUpdate as _p4_v1_MasterArbitrationUpdate, MasterArbitrationUpdate__Output as _p4_v1_MasterArbitrationUpdate__Output } from '../../p4/v1/MasterArbitrationUpdate.ts';
import type { PacketIn as _p4_v1_PacketIn, PacketIn__Output as _p4_v1_PacketIn__Output } from '../../p4/v1/PacketIn.ts';
import type { DigestList as _p4_v1_DigestList, DigestList__Output as _p4_v1_DigestList__Output } from '../../p4/v1/DigestList.ts';
import type { IdleTimeoutNotification as _p4_v1_IdleTimeoutNotification, IdleTimeoutNotification__Output as _p4_v1_IdleTimeoutNotification__Output } from '../../p4/v1/IdleTimeoutNotification.ts';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../google/protobuf/Any.ts';
import type { StreamError as _p4_v1_StreamError, StreamError__Output as _p4_v1_StreamError__Output } from '../../p4/v1/StreamError.ts';

export interface StreamMessageResponse {
  'arbitration'?: (_p4_v1_MasterArbitrationUpdate | null);
  'packet'?: (_p4_v1_PacketIn | null);
  'digest'?: (_p4_v1_DigestList | null);
  'idleTimeoutNotification'?: (_p4_v1_IdleTimeoutNotification | null);
  'other'?: (_google_protobuf_Any | null);
  'error'?: (_p4_v1_StreamError | null);
  'update'?: "arbitration"|"packet"|"digest"|"idleTimeoutNotification"|"other"|"error";
}

export interface StreamMessageResponse__Output {
  'arbitration'?: (_p4_v1_MasterArbitrationUpdate__Output);
  'packet'?: (_p4_v1_PacketIn__Output);
  'digest'?: (_p4_v1_DigestList__Output);
  'idleTimeoutNotification'?: (_p4_v1_IdleTimeoutNotification__Output);
  'other'?: (_google_protobuf_Any__Output);
  'error'?: (_p4_v1_StreamError__Output);
  'update'?: "arbitration"|"packet"|"digest"|"idleTimeoutNotification"|"other"|"error";
}

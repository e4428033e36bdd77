// Original file: proto/p4/v1/p4runtime.proto

import type { MasterArbitrationUpdate as _p4_v1_MasterArbitrationUpdate, MasterArbitrationUpdate__Output as _p4_v1_MasterArbitrationUpdate__Output } from '../../p4/v1/MasterArbitrationUpdate.ts';
import type { PacketOut as _p4_v1_PacketOut, PacketOut__Output as _p4_v1_PacketOut__Output } from '../../p4/v1/PacketOut.ts';
import type { DigestListAck as _p4_v1_DigestListAck, DigestListAck__Output as _p4_v1_DigestListAck__Output } from '../../p4/v1/DigestListAck.ts';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../google/protobuf/Any.ts';

export interface StreamMessageRequest {
  'arbitration'?: (_p4_v1_MasterArbitrationUpdate | null);
  'packet'?: (_p4_v1_PacketOut | null);
  'digestAck'?: (_p4_v1_DigestListAck | null);
  'other'?: (_google_protobuf_Any | null);
  'update'?: "arbitration"|"packet"|"digestAck"|"other";
}

export interface StreamMessageRequest__Output {
  'arbitration'?: (_p4_v1_MasterArbitrationUpdate__Output);
  'packet'?: (_p4_v1_PacketOut__Output);
  'digestAck'?: (_p4_v1_DigestListAck__Output);
  'other'?: (_google_protobuf_Any__Output);
  'update'?: "arbitration"|"packet"|"digestAck"|"other";
}

// Original file: proto/p4/v1/p4runtime.proto

import type { PacketOutError as _p4_v1_PacketOutError, PacketOutError__Output as _p4_v1_PacketOutError__Output } from '../../p4/v1/PacketOutError.ts';
import type { DigestListAckError as _p4_v1_DigestListAckError, DigestListAckError__Output as _p4_v1_DigestListAckError__Output } from '../../p4/v1/DigestListAckError.ts';
import type { StreamOtherError as _p4_v1_StreamOtherError, StreamOtherError__Output as _p4_v1_StreamOtherError__Output } from '../../p4/v1/StreamOtherError.ts';

export interface StreamError {
  'canonicalCode'?: (number);
  'message'?: (string);
  'space'?: (string);
  'code'?: (number);
  'packetOut'?: (_p4_v1_PacketOutError | null);
  'digestListAck'?: (_p4_v1_DigestListAckError | null);
  'other'?: (_p4_v1_StreamOtherError | null);
  'details'?: "packetOut"|"digestListAck"|"other";
}

export interface StreamError__Output {
  'canonicalCode'?: (number);
  'message'?: (string);
  'space'?: (string);
  'code'?: (number);
  'packetOut'?: (_p4_v1_PacketOutError__Output);
  'digestListAck'?: (_p4_v1_DigestListAckError__Output);
  'other'?: (_p4_v1_StreamOtherError__Output);
  'details'?: "packetOut"|"digestListAck"|"other";
}

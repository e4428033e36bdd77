// Original file: proto/p4/v1/p4runtime.proto

import type { DigestListAck as _p4_v1_DigestListAck, DigestListAck__Output as _p4_v1_DigestListAck__Output } from '../../p4/v1/DigestListAck.ts';

export interface DigestListAckError {
  'digestListAck'?: (_p4_v1_DigestListAck | null);
}

export interface DigestListAckError__Output {
  'digestListAck'?: (_p4_v1_DigestListAck__Output);
}

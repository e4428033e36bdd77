// Original file: proto/p4/v1/p4runtime.proto

import type { Long } from '@grpc/proto-loader';

export interface _p4_v1_DigestEntry_Config {
  'maxTimeoutNs'?: (number | string | Long);
  'maxListSize'?: (number);
  'ackTimeoutNs'?: (number | string | Long);
}

export interface _p4_v1_DigestEntry_Config__Output {
  'maxTimeoutNs'?: (string);
  'maxListSize'?: (number);
  'ackTimeoutNs'?: (string);
}

export interface DigestEntry {
  'digestId'?: (number);
  'config'?: (_p4_v1_DigestEntry_Config | null);
}

export interface DigestEntry__Output {
  'digestId'?: (number);
  'config'?: (_p4_v1_DigestEntry_Config__Output);
}

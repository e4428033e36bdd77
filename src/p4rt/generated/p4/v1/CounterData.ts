// Original file: proto/p4/v1/p4runtime.proto

import type { Long } from '@grpc/proto-loader';

export interface CounterData {
  'byteCount'?: (number | string | Long);
  'packetCount'?: (number | string | Long);
}

export interface CounterData__Output {
  'byteCount'?: (string);
  'packetCount'?: (string);
}

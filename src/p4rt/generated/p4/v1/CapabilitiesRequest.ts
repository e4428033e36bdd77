// Original file: proto/p4/v1/p4runtime.proto

import type { Long } from '@grpc/proto-loader';

export interface CapabilitiesRequest {
  'deviceId'?: (number | string | Long);
}

export interface CapabilitiesRequest__Output {
  'deviceId'?: (string);
}

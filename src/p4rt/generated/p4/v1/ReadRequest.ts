// Original file: proto/p4/v1/p4runtime.proto

import type { Entity as _p4_v1_Entity, Entity__Output as _p4_v1_Entity__Output } from '../../p4/v1/Entity.ts';
import type { Long } from '@grpc/proto-loader';

export interface ReadRequest {
  'deviceId'?: (number | string | Long);
  'entities'?: (_p4_v1_Entity)[];
  'role'?: (string);
}

export interface ReadRequest__Output {
  'deviceId'?: (string);
  'entities'?: (_p4_v1_Entity__Output)[];
  'role'?: (string);
}

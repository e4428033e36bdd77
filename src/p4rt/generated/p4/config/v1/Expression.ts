// Original file: proto/p4/config/v1/p4types.proto

import type { Long } from '@grpc/proto-loader';

export interface Expression {
  'stringValue'?: (string);
  'int64Value'?: (number | string | Long);
  'boolValue'?: (boolean);
  'value'?: "stringValue"|"int64Value"|"boolValue";
}

export interface Expression__Output {
  'stringValue'?: (string);
  'int64Value'?: (string);
  'boolValue'?: (boolean);
  'value'?: "stringValue"|"int64Value"|"boolValue";
}

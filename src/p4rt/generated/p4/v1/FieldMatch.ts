// Original file: proto/p4/v1/p4runtime.proto

import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../google/protobuf/Any.ts';

export interface _p4_v1_FieldMatch_Exact {
  'value'?: (Buffer | Uint8Array | string);
}

export interface _p4_v1_FieldMatch_Exact__Output {
  'value'?: (Buffer);
}

export interface _p4_v1_FieldMatch_LPM {
  'value'?: (Buffer | Uint8Array | string);
  'prefixLen'?: (number);
}

export interface _p4_v1_FieldMatch_LPM__Output {
  'value'?: (Buffer);
  'prefixLen'?: (number);
}

export interface _p4_v1_FieldMatch_Optional {
  'value'?: (Buffer | Uint8Array | string);
}

export interface _p4_v1_FieldMatch_Optional__Output {
  'value'?: (Buffer);
}

export interface _p4_v1_FieldMatch_Range {
  'low'?: (Buffer | Uint8Array | string);
  'high'?: (Buffer | Uint8Array | string);
}

export interface _p4_v1_FieldMatch_Range__Output {
  'low'?: (Buffer);
  'high'?: (Buffer);
}

export interface _p4_v1_FieldMatch_Ternary {
  'value'?: (Buffer | Uint8Array | string);
  'mask'?: (Buffer | Uint8Array | string);
}

export interface _p4_v1_FieldMatch_Ternary__Output {
  'value'?: (Buffer);
  'mask'?: (Buffer);
}

export interface FieldMatch {
  'fieldId'?: (number);
  'exact'?: (_p4_v1_FieldMatch_Exact | null);
  'ternary'?: (_p4_v1_FieldMatch_Ternary | null);
  'lpm'?: (_p4_v1_FieldMatch_LPM | null);
  'range'?: (_p4_v1_FieldMatch_Range | null);
  'optional'?: (_p4_v1_FieldMatch_Optional | null);
  'other'?: (_google_protobuf_Any | null);
  'fieldMatchType'?: "exact"|"ternary"|"lpm"|"range"|"optional"|"other";
}

export interface FieldMatch__Output {
  'fieldId'?: (number);
  'exact'?: (_p4_v1_FieldMatch_Exact__Output);
  'ternary'?: (_p4_v1_FieldMatch_Ternary__Output);
  'lpm'?: (_p4_v1_FieldMatch_LPM__Output);
  'range'?: (_p4_v1_FieldMatch_Range__Output);
  'optional'?: (_p4_v1_FieldMatch_Optional__Output);
  'other'?: (_google_protobuf_Any__Output);
  'fieldMatchType'?: "exact"|"ternary"|"lpm"|"range"|"optional"|"other";
}

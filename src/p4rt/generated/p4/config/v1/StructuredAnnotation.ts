// Original file: proto/p4/config/v1/p4types.proto

import type { ExpressionList as _p4_config_v1_ExpressionList, ExpressionList__Output as _p4_config_v1_ExpressionList__Output } from '../../../p4/config/v1/ExpressionList.ts';
import type { KeyValuePairList as _p4_config_v1_KeyValuePairList, KeyValuePairList__Output as _p4_config_v1_KeyValuePairList__Output } from '../../../p4/config/v1/KeyValuePairList.ts';
import type { SourceLocation as _p4_config_v1_SourceLocation, SourceLocation__Output as _p4_config_v1_SourceLocation__Output } from '../../../p4/config/v1/SourceLocation.ts';

export interface StructuredAnnotation {
  'name'?: (string);
  'expressionList'?: (_p4_config_v1_ExpressionList | null);
  'kvPairList'?: (_p4_config_v1_KeyValuePairList | null);
  'sourceLocation'?: (_p4_config_v1_SourceLocation | null);
  'body'?: "expressionList"|"kvPairList";
}

export interface StructuredAnnotation__Output {
  'name'?: (string);
  'expressionList'?: (_p4_config_v1_ExpressionList__Output);
  'kvPairList'?: (_p4_config_v1_KeyValuePairList__Output);
  'sourceLocation'?: (_p4_config_v1_SourceLocation__Output);
  'body'?: "expressionList"|"kvPairList";
}

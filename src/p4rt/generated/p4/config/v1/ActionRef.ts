// Original file: proto/p4/config/v1/p4info.proto

import type { StructuredAnnotation as _p4_config_v1_StructuredAnnotation, StructuredAnnotation__Output as _p4_config_v1_StructuredAnnotation__Output } from '../../../p4/config/v1/StructuredAnnotation.ts';
import type { SourceLocation as _p4_config_v1_SourceLocation, SourceLocation__Output as _p4_config_v1_SourceLocation__Output } from '../../../p4/config/v1/SourceLocation.ts';

// Original file: proto/p4/config/v1/p4info.proto

export const _p4_config_v1_ActionRef_Scope = {
  TABLE_AND_DEFAULT: 'TABLE_AND_DEFAULT',
  TABLE_ONLY: 'TABLE_ONLY',
  DEFAULT_ONLY: 'DEFAULT_ONLY',
} as const;

export type _p4_config_v1_ActionRef_Scope =
  | 'TABLE_AND_DEFAULT'
  | 0
  | 'TABLE_ONLY'
  | 1
  | 'DEFAULT_ONLY'
  | 2

export type _p4_config_v1_ActionRef_Scope__Output = typeof _p4_config_v1_ActionRef_Scope[keyof typeof _p4_config_v1_ActionRef_Scope]

export interface ActionRef {
  'id'?: (number);
  'annotations'?: (string)[];
  'scope'?: (_p4_config_v1_ActionRef_Scope);
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation)[];
}

export interface ActionRef__Output {
  'id'?: (number);
  'annotations'?: (string)[];
  'scope'?: (_p4_config_v1_ActionRef_Scope__Output);
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation__Output)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation__Output)[];
}

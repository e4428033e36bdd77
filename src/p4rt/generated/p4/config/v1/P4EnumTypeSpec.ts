// Original file: proto/p4/config/v1/p4types.proto

import type { StructuredAnnotation as _p4_config_v1_StructuredAnnotation, StructuredAnnotation__Output as _p4_config_v1_StructuredAnnotation__Output } from '../../../p4/config/v1/StructuredAnnotation.ts';
import type { SourceLocation as _p4_config_v1_SourceLocation, SourceLocation__Output as _p4_config_v1_SourceLocation__Output } from '../../../p4/config/v1/SourceLocation.ts';

export interface _p4_config_v1_P4EnumTypeSpec_Member {
  'name'?: (string);
  'annotations'?: (string)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation)[];
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation)[];
}

export interface _p4_config_v1_P4EnumTypeSpec_Member__Output {
  'name'?: (string);
  'annotations'?: (string)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation__Output)[];
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation__Output)[];
}

export interface P4EnumTypeSpec {
  'members'?: (_p4_config_v1_P4EnumTypeSpec_Member)[];
  'annotations'?: (string)[];
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation)[];
}

export interface P4EnumTypeSpec__Output {
  'members'?: (_p4_config_v1_P4EnumTypeSpec_Member__Output)[];
  'annotations'?: (string)[];
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation__Output)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation__Output)[];
}

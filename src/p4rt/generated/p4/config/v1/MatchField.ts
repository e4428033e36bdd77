// Original file: proto/p4/config/v1/p4info.proto

import type { Documentation as _p4_config_v1_Documentation, Documentation__Output as _p4_config_v1_Documentation__Output } from '../../../p4/config/v1/Documentation.ts';
import type { P4NamedType as _p4_config_v1_P4NamedType, P4NamedType__Output as _p4_config_v1_P4NamedType__Output } from '../../../p4/config/v1/P4NamedType.ts';
import type { StructuredAnnotation as _p4_config_v1_StructuredAnnotation, StructuredAnnotation__Output as _p4_config_v1_StructuredAnnotation__Output } from '../../../p4/config/v1/StructuredAnnotation.ts';
import type { SourceLocation as _p4_config_v1_SourceLocation, SourceLocation__Output as _p4_config_v1_SourceLocation__Output } from '../../../p4/config/v1/SourceLocation.ts';

// Original file: proto/p4/config/v1/p4info.proto

export const _p4_config_v1_MatchField_MatchType = {
  UNSPECIFIED: 'UNSPECIFIED',
  EXACT: 'EXACT',
  LPM: 'LPM',
  TERNARY: 'TERNARY',
  RANGE: 'RANGE',
  OPTIONAL: 'OPTIONAL',
} as const;

export type _p4_config_v1_MatchField_MatchType =
  | 'UNSPECIFIED'
  | 0
  | 'EXACT'
  | 2
  | 'LPM'
  | 3
  | 'TERNARY'
  | 4
  | 'RANGE'
  | 5
  | 'OPTIONAL'
  | 6

export type _p4_config_v1_MatchField_MatchType__Output = typeof _p4_config_v1_MatchField_MatchType[keyof typeof _p4_config_v1_MatchField_MatchType]

export interface MatchField {
  'id'?: (number);
  'name'?: (string);
  'annotations'?: (string)[];
  'bitwidth'?: (number);
  'matchType'?: (_p4_config_v1_MatchField_MatchType);
  'doc'?: (_p4_config_v1_Documentation | null);
  'otherMatchType'?: (string);
  'typeName'?: (_p4_config_v1_P4NamedType | null);
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation)[];
  'match'?: "matchType"|"otherMatchType";
}

export interface MatchField__Output {
  'id'?: (number);
  'name'?: (string);
  'annotations'?: (string)[];
  'bitwidth'?: (number);
  'matchType'?: (_p4_config_v1_MatchField_MatchType__Output);
  'doc'?: (_p4_config_v1_Documentation__Output);
  'otherMatchType'?: (string);
  'typeName'?: (_p4_config_v1_P4NamedType__Output);
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation__Output)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation__Output)[];
  'match'?: "matchType"|"otherMatchType";
}

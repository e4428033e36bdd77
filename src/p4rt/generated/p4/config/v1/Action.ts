// Original file: proto/p4/config/v1/p4info.proto

import type { Preamble as _p4_config_v1_Preamble, Preamble__Output as _p4_config_v1_Preamble__Output } from '../../../p4/config/v1/Preamble.ts';
import type { SourceLocation as _p4_config_v1_SourceLocation, SourceLocation__Output as _p4_config_v1_SourceLocation__Output } from '../../../p4/config/v1/SourceLocation.ts';
import type { Documentation as _p4_config_v1_Documentation, Documentation__Output as _p4_config_v1_Documentation__Output } from '../../../p4/config/v1/Documentation.ts';
import type { P4NamedType as _p4_config_v1_P4NamedType, P4NamedType__Output as _p4_config_v1_P4NamedType__Output } from '../../../p4/config/v1/P4NamedType.ts';
import type { StructuredAnnotation as _p4_config_v1_StructuredAnnotation, StructuredAnnotation__Output as _p4_config_v1_StructuredAnnotation__Output } from '../../../p4/config/v1/StructuredAnnotation.ts';

export interface _p4_config_v1_Action_Param {
  'id'?: (number);
  'name'?: (string);
  'annotations'?: (string)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation)[];
  'bitwidth'?: (number);
  'doc'?: (_p4_config_v1_Documentation | null);
  'typeName'?: (_p4_config_v1_P4NamedType | null);
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation)[];
}

export interface _p4_config_v1_Action_Param__Output {
  'id'?: (number);
  'name'?: (string);
  'annotations'?: (string)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation__Output)[];
  'bitwidth'?: (number);
  'doc'?: (_p4_config_v1_Documentation__Output);
  'typeName'?: (_p4_config_v1_P4NamedType__Output);
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation__Output)[];
}

export interface Action {
  'preamble'?: (_p4_config_v1_Preamble | null);
  'params'?: (_p4_config_v1_Action_Param)[];
}

export interface Action__Output {
  'preamble'?: (_p4_config_v1_Preamble__Output);
  'params'?: (_p4_config_v1_Action_Param__Output)[];
}

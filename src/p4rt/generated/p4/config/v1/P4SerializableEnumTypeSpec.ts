// Original file: proto/p4/config/v1/p4types.proto

import type { P4BitTypeSpec as _p4_config_v1_P4BitTypeSpec, P4BitTypeSpec__Output as _p4_config_v1_P4BitTypeSpec__Output } from '../../../p4/config/v1/P4BitTypeSpec.ts';
import type { StructuredAnnotation as _p4_config_v1_StructuredAnnotation, StructuredAnnotation__Output as _p4_config_v1_StructuredAnnotation__Output } from '../../../p4/config/v1/StructuredAnnotation.ts';
import type { SourceLocation as _p4_config_v1_SourceLocation, SourceLocation__Output as _p4_config_v1_SourceLocation__Output } from '../../../p4/config/v1/SourceLocation.ts';

export interface _p4_config_v1_P4SerializableEnumTypeSpec_Member {
  'name'?: (string);
  'value'?: (Buffer | Uint8Array | string);
  'annotations'?: (string)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation)[];
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation)[];
}

export interface _p4_config_v1_P4SerializableEnumTypeSpec_Member__Output {
  'name'?: (string);
  'value'?: (Buffer);
  'annotations'?: (string)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation__Output)[];
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation__Output)[];
}

export interface P4SerializableEnumTypeSpec {
  'underlyingType'?: (_p4_config_v1_P4BitTypeSpec | null);
  'members'?: (_p4_config_v1_P4SerializableEnumTypeSpec_Member)[];
  'annotations'?: (string)[];
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation)[];
}

export interface P4SerializableEnumTypeSpec__Output {
  'underlyingType'?: (_p4_config_v1_P4BitTypeSpec__Output);
  'members'?: (_p4_config_v1_P4SerializableEnumTypeSpec_Member__Output)[];
  'annotations'?: (string)[];
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation__Output)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation__Output)[];
}

// Original file: proto/p4/config/v1/p4types.proto

import type { P4DataTypeSpec as _p4_config_v1_P4DataTypeSpec, P4DataTypeSpec__Output as _p4_config_v1_P4DataTypeSpec__Output } from '../../../p4/config/v1/P4DataTypeSpec.ts';
import type { P4NewTypeTranslation as _p4_config_v1_P4NewTypeTranslation, P4NewTypeTranslation__Output as _p4_config_v1_P4NewTypeTranslation__Output } from '../../../p4/config/v1/P4NewTypeTranslation.ts';
import type { StructuredAnnotation as _p4_config_v1_StructuredAnnotation, StructuredAnnotation__Output as _p4_config_v1_StructuredAnnotation__Output } from '../../../p4/config/v1/StructuredAnnotation.ts';
import type { SourceLocation as _p4_config_v1_SourceLocation, SourceLocation__Output as _p4_config_v1_SourceLocation__Output } from '../../../p4/config/v1/SourceLocation.ts';

export interface P4NewTypeSpec {
  'originalType'?: (_p4_config_v1_P4DataTypeSpec | null);
  'translatedType'?: (_p4_config_v1_P4NewTypeTranslation | null);
  'annotations'?: (string)[];
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation)[];
  'representation'?: "originalType"|"translatedType";
}

export interface P4NewTypeSpec__Output {
  'originalType'?: (_p4_config_v1_P4DataTypeSpec__Output);
  'translatedType'?: (_p4_config_v1_P4NewTypeTranslation__Output);
  'annotations'?: (string)[];
  'structuredAnnotations'?: (_p4_config_v1_StructuredAnnotation__Output)[];
  'annotationLocations'?: (_p4_config_v1_SourceLocation__Output)[];
  'representation'?: "originalType"|"translatedType";
}

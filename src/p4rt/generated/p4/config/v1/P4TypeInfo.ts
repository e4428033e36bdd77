// Original file: proto/p4/config/v1/p4types.proto

import type { P4StructTypeSpec as _p4_config_v1_P4StructTypeSpec, P4StructTypeSpec__Output as _p4_config_v1_P4StructTypeSpec__Output } from '../../../p4/config/v1/P4StructTypeSpec.ts';
import type { P4HeaderTypeSpec as _p4_config_v1_P4HeaderTypeSpec, P4HeaderTypeSpec__Output as _p4_config_v1_P4HeaderTypeSpec__Output } from '../../../p4/config/v1/P4HeaderTypeSpec.ts';
import type { P4HeaderUnionTypeSpec as _p4_config_v1_P4HeaderUnionTypeSpec, P4HeaderUnionTypeSpec__Output as _p4_config_v1_P4HeaderUnionTypeSpec__Output } from '../../../p4/config/v1/P4HeaderUnionTypeSpec.ts';
import type { P4EnumTypeSpec as _p4_config_v1_P4EnumTypeSpec, P4EnumTypeSpec__Output as _p4_config_v1_P4EnumTypeSpec__Output } from '../../../p4/config/v1/P4EnumTypeSpec.ts';
import type { P4ErrorTypeSpec as _p4_config_v1_P4ErrorTypeSpec, P4ErrorTypeSpec__Output as _p4_config_v1_P4ErrorTypeSpec__Output } from '../../../p4/config/v1/P4ErrorTypeSpec.ts';
import type { P4SerializableEnumTypeSpec as _p4_config_v1_P4SerializableEnumTypeSpec, P4SerializableEnumTypeSpec__Output as _p4_config_v1_P4SerializableEnumTypeSpec__Output } from '../../../p4/config/v1/P4SerializableEnumTypeSpec.ts';
import type { P4NewTypeSpec as _p4_config_v1_P4NewTypeSpec, P4NewTypeSpec__Output as _p4_config_v1_P4NewTypeSpec__Output } from '../../../p4/config/v1/P4NewTypeSpec.ts';

export interface P4TypeInfo {
  'structs'?: ({[key: string]: _p4_config_v1_P4StructTypeSpec});
  'headers'?: ({[key: string]: _p4_config_v1_P4HeaderTypeSpec});
  'headerUnions'?: ({[key: string]: _p4_config_v1_P4HeaderUnionTypeSpec});
  'enums'?: ({[key: string]: _p4_config_v1_P4EnumTypeSpec});
  'error'?: (_p4_config_v1_P4ErrorTypeSpec | null);
  'serializableEnums'?: ({[key: string]: _p4_config_v1_P4SerializableEnumTypeSpec});
  'newTypes'?: ({[key: string]: _p4_config_v1_P4NewTypeSpec});
}

export interface P4TypeInfo__Output {
  'structs'?: ({[key: string]: _p4_config_v1_P4StructTypeSpec__Output});
  'headers'?: ({[key: string]: _p4_config_v1_P4HeaderTypeSpec__Output});
  'headerUnions'?: ({[key: string]: _p4_config_v1_P4HeaderUnionTypeSpec__Output});
  'enums'?: ({[key: string]: _p4_config_v1_P4EnumTypeSpec__Output});
  'error'?: (_p4_config_v1_P4ErrorTypeSpec__Output);
  'serializableEnums'?: ({[key: string]: _p4_config_v1_P4SerializableEnumTypeSpec__Output});
  'newTypes'?: ({[key: string]: _p4_config_v1_P4NewTypeSpec__Output});
}

// Original file: proto/p4/config/v1/p4types.proto

import type { P4BitstringLikeTypeSpec as _p4_config_v1_P4BitstringLikeTypeSpec, P4BitstringLikeTypeSpec__Output as _p4_config_v1_P4BitstringLikeTypeSpec__Output } from '../../../p4/config/v1/P4BitstringLikeTypeSpec.ts';
import type { P4BoolType as _p4_config_v1_P4BoolType, P4BoolType__Output as _p4_config_v1_P4BoolType__Output } from '../../../p4/config/v1/P4BoolType.ts';
import type { P4TupleTypeSpec as _p4_config_v1_P4TupleTypeSpec, P4TupleTypeSpec__Output as _p4_config_v1_P4TupleTypeSpec__Output } from '../../../p4/config/v1/P4TupleTypeSpec.ts';
import type { P4NamedType as _p4_config_v1_P4NamedType, P4NamedType__Output as _p4_config_v1_P4NamedType__Output } from '../../../p4/config/v1/P4NamedType.ts';
import type { P4HeaderStackTypeSpec as _p4_config_v1_P4HeaderStackTypeSpec, P4HeaderStackTypeSpec__Output as _p4_config_v1_P4HeaderStackTypeSpec__Output } from '../../../p4/config/v1/P4HeaderStackTypeSpec.ts';
import type { P4HeaderUnionStackTypeSpec as _p4_config_v1_P4HeaderUnionStackTypeSpec, P4HeaderUnionStackTypeSpec__Output as _p4_config_v1_P4HeaderUnionStackTypeSpec__Output } from '../../../p4/config/v1/P4HeaderUnionStackTypeSpec.ts';
import type { P4ErrorType as _p4_config_v1_P4ErrorType, P4ErrorType__Output as _p4_config_v1_P4ErrorType__Output } from '../../../p4/config/v1/P4ErrorType.ts';

export interface P4DataTypeSpec {
  'bitstring'?: (_p4_config_v1_P4BitstringLikeTypeSpec | null);
  'bool'?: (_p4_config_v1_P4BoolType | null);
  'tuple'?: (_p4_config_v1_P4TupleTypeSpec | null);
  'struct'?: (_p4_config_v1_P4NamedType | null);
  'header'?: (_p4_config_v1_P4NamedType | null);
  'headerUnion'?: (_p4_config_v1_P4NamedType | null);
  'headerStack'?: (_p4_config_v1_P4HeaderStackTypeSpec | null);
  'headerUnionStack'?: (_p4_config_v1_P4HeaderUnionStackTypeSpec | null);
  'enum'?: (_p4_config_v1_P4NamedType | null);
  'error'?: (_p4_config_v1_P4ErrorType | null);
  'serializableEnum'?: (_p4_config_v1_P4NamedType | null);
  'newType'?: (_p4_config_v1_P4NamedType | null);
  'typeSpec'?: "bitstring"|"bool"|"tuple"|"struct"|"header"|"headerUnion"|"headerStack"|"headerUnionStack"|"enum"|"error"|"serializableEnum"|"newType";
}

export interface P4DataTypeSpec__Output {
  'bitstring'?: (_p4_config_v1_P4BitstringLikeTypeSpec__Output);
  'bool'?: (_p4_config_v1_P4BoolType__Output);
  'tuple'?: (_p4_config_v1_P4TupleTypeSpec__Output);
  'struct'?: (_p4_config_v1_P4NamedType__Output);
  'header'?: (_p4_config_v1_P4NamedType__Output);
  'headerUnion'?: (_p4_config_v1_P4NamedType__Output);
  'headerStack'?: (_p4_config_v1_P4HeaderStackTypeSpec__Output);
  'headerUnionStack'?: (_p4_config_v1_P4HeaderUnionStackTypeSpec__Output);
  'enum'?: (_p4_config_v1_P4NamedType__Output);
  'error'?: (_p4_config_v1_P4ErrorType__Output);
  'serializableEnum'?: (_p4_config_v1_P4NamedType__Output);
  'newType'?: (_p4_config_v1_P4NamedType__Output);
  'typeSpec'?: "bitstring"|"bool"|"tuple"|"struct"|"header"|"headerUnion"|"headerStack"|"headerUnionStack"|"enum"|"error"|"serializableEnum"|"newType";
}

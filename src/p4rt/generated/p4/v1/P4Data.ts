// Original file: proto/p4/v1/p4data.proto

import type { P4Varbit as _p4_v1_P4Varbit, P4Varbit__Output as _p4_v1_P4Varbit__Output } from '../../p4/v1/P4Varbit.ts';
import type { P4StructLike as _p4_v1_P4StructLike, P4StructLike__Output as _p4_v1_P4StructLike__Output } from '../../p4/v1/P4StructLike.ts';
import type { P4Header as _p4_v1_P4Header, P4Header__Output as _p4_v1_P4Header__Output } from '../../p4/v1/P4Header.ts';
import type { P4HeaderUnion as _p4_v1_P4HeaderUnion, P4HeaderUnion__Output as _p4_v1_P4HeaderUnion__Output } from '../../p4/v1/P4HeaderUnion.ts';
import type { P4HeaderStack as _p4_v1_P4HeaderStack, P4HeaderStack__Output as _p4_v1_P4HeaderStack__Output } from '../../p4/v1/P4HeaderStack.ts';
import type { P4HeaderUnionStack as _p4_v1_P4HeaderUnionStack, P4HeaderUnionStack__Output as _p4_v1_P4HeaderUnionStack__Output } from '../../p4/v1/P4HeaderUnionStack.ts';

export interface P4Data {
  'bitstring'?: (Buffer | Uint8Array | string);
  'varbit'?: (_p4_v1_P4Varbit | null);
  'bool'?: (boolean);
  'tuple'?: (_p4_v1_P4StructLike | null);
  'struct'?: (_p4_v1_P4StructLike | null);
  'header'?: (_p4_v1_P4Header | null);
  'headerUnion'?: (_p4_v1_P4HeaderUnion | null);
  'headerStack'?: (_p4_v1_P4HeaderStack | null);
  'headerUnionStack'?: (_p4_v1_P4HeaderUnionStack | null);
  'enum'?: (string);
  'error'?: (string);
  'enumValue'?: (Buffer | Uint8Array | string);
  'data'?: "bitstring"|"varbit"|"bool"|"tuple"|"struct"|"header"|"headerUnion"|"headerStack"|"headerUnionStack"|"enum"|"error"|"enumValue";
}

export interface P4Data__Output {
  'bitstring'?: (Buffer);
  'varbit'?: (_p4_v1_P4Varbit__Output);
  'bool'?: (boolean);
  'tuple'?: (_p4_v1_P4StructLike__Output);
  'struct'?: (_p4_v1_P4StructLike__Output);
  'header'?: (_p4_v1_P4Header__Output);
  'headerUnion'?: (_p4_v1_P4HeaderUnion__Output);
  'headerStack'?: (_p4_v1_P4HeaderStack__Output);
  'headerUnionStack'?: (_p4_v1_P4HeaderUnionStack__Output);
  'enum'?: (string);
  'error'?: (string);
  'enumValue'?: (Buffer);
  'data'?: "bitstring"|"varbit"|"bool"|"tuple"|"struct"|"header"|"headerUnion"|"headerStack"|"headerUnionStack"|"enum"|"error"|"enumValue";
}

// Original file: proto/p4/config/v1/p4info.proto

import type { Preamble as _p4_config_v1_Preamble, Preamble__Output as _p4_config_v1_Preamble__Output } from '../../../p4/config/v1/Preamble.ts';
import type { CounterSpec as _p4_config_v1_CounterSpec, CounterSpec__Output as _p4_config_v1_CounterSpec__Output } from '../../../p4/config/v1/CounterSpec.ts';
import type { P4NamedType as _p4_config_v1_P4NamedType, P4NamedType__Output as _p4_config_v1_P4NamedType__Output } from '../../../p4/config/v1/P4NamedType.ts';
import type { Long } from '@grpc/proto-loader';

export interface Counter {
  'preamble'?: (_p4_config_v1_Preamble | null);
  'spec'?: (_p4_config_v1_CounterSpec | null);
  'size'?: (number | string | Long);
  'indexTypeName'?: (_p4_config_v1_P4NamedType | null);
}

export interface Counter__Output {
  'preamble'?: (_p4_config_v1_Preamble__Output);
  'spec'?: (_p4_config_v1_CounterSpec__Output);
  'size'?: (string);
  'indexTypeName'?: (_p4_config_v1_P4NamedType__Output);
}

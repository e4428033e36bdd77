// Original file: proto/p4/config/v1/p4info.proto

import type { Preamble as _p4_config_v1_Preamble, Preamble__Output as _p4_config_v1_Preamble__Output } from '../../../p4/config/v1/Preamble.ts';
import type { CounterSpec as _p4_config_v1_CounterSpec, CounterSpec__Output as _p4_config_v1_CounterSpec__Output } from '../../../p4/config/v1/CounterSpec.ts';

export interface DirectCounter {
  'preamble'?: (_p4_config_v1_Preamble | null);
  'spec'?: (_p4_config_v1_CounterSpec | null);
  'directTableId'?: (number);
}

export interface DirectCounter__Output {
  'preamble'?: (_p4_config_v1_Preamble__Output);
  'spec'?: (_p4_config_v1_CounterSpec__Output);
  'directTableId'?: (number);
}

// Original file: proto/p4/config/v1/p4info.proto

import type { Preamble as _p4_config_v1_Preamble, Preamble__Output as _p4_config_v1_Preamble__Output } from '../../../p4/config/v1/Preamble.ts';
import type { MeterSpec as _p4_config_v1_MeterSpec, MeterSpec__Output as _p4_config_v1_MeterSpec__Output } from '../../../p4/config/v1/MeterSpec.ts';

export interface DirectMeter {
  'preamble'?: (_p4_config_v1_Preamble | null);
  'spec'?: (_p4_config_v1_MeterSpec | null);
  'directTableId'?: (number);
}

export interface DirectMeter__Output {
  'preamble'?: (_p4_config_v1_Preamble__Output);
  'spec'?: (_p4_config_v1_MeterSpec__Output);
  'directTableId'?: (number);
}

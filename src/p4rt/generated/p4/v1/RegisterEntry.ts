// Original file: proto/p4/v1/p4runtime.proto

import type { Index as _p4_v1_Index, Index__Output as _p4_v1_Index__Output } from '../../p4/v1/Index.ts';
import type { P4Data as _p4_v1_P4Data, P4Data__Output as _p4_v1_P4Data__Output } from '../../p4/v1/P4Data.ts';

export interface RegisterEntry {
  'registerId'?: (number);
  'index'?: (_p4_v1_Index | null);
  'data'?: (_p4_v1_P4Data | null);
}

export interface RegisterEntry__Output {
  'registerId'?: (number);
  'index'?: (_p4_v1_Index__Output);
  'data'?: (_p4_v1_P4Data__Output);
}

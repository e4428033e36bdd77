// Original file: proto/p4/v1/p4runtime.proto

import type { TableEntry as _p4_v1_TableEntry, TableEntry__Output as _p4_v1_TableEntry__Output } from '../../p4/v1/TableEntry.ts';
import type { MeterConfig as _p4_v1_MeterConfig, MeterConfig__Output as _p4_v1_MeterConfig__Output } from '../../p4/v1/MeterConfig.ts';
import type { MeterCounterData as _p4_v1_MeterCounterData, MeterCounterData__Output as _p4_v1_MeterCounterData__Output } from '../../p4/v1/MeterCounterData.ts';

export interface DirectMeterEntry {
  'tableEntry'?: (_p4_v1_TableEntry | null);
  'config'?: (_p4_v1_MeterConfig | null);
  'counterData'?: (_p4_v1_MeterCounterData | null);
}

export interface DirectMeterEntry__Output {
  'tableEntry'?: (_p4_v1_TableEntry__Output);
  'config'?: (_p4_v1_MeterConfig__Output);
  'counterData'?: (_p4_v1_MeterCounterData__Output);
}

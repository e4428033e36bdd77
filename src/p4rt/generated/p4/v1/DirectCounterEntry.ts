// Original file: proto/p4/v1/p4runtime.proto

import type { TableEntry as _p4_v1_TableEntry, TableEntry__Output as _p4_v1_TableEntry__Output } from '../../p4/v1/TableEntry.ts';
import type { CounterData as _p4_v1_CounterData, CounterData__Output as _p4_v1_CounterData__Output } from '../../p4/v1/CounterData.ts';

export interface DirectCounterEntry {
  'tableEntry'?: (_p4_v1_TableEntry | null);
  'data'?: (_p4_v1_CounterData | null);
}

export interface DirectCounterEntry__Output {
  'tableEntry'?: (_p4_v1_TableEntry__Output);
  'data'?: (_p4_v1_CounterData__Output);
}

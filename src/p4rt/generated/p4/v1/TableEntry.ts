// Original file: proto/p4/v1/p4runtime.proto

import type { FieldMatch as _p4_v1_FieldMatch, FieldMatch__Output as _p4_v1_FieldMatch__Output } from '../../p4/v1/FieldMatch.ts';
import type { TableAction as _p4_v1_TableAction, TableAction__Output as _p4_v1_TableAction__Output } from '../../p4/v1/TableAction.ts';
import type { MeterConfig as _p4_v1_MeterConfig, MeterConfig__Output as _p4_v1_MeterConfig__Output } from '../../p4/v1/MeterConfig.ts';
import type { CounterData as _p4_v1_CounterData, CounterData__Output as _p4_v1_CounterData__Output } from '../../p4/v1/CounterData.ts';
import type { MeterCounterData as _p4_v1_MeterCounterData, MeterCounterData__Output as _p4_v1_MeterCounterData__Output } from '../../p4/v1/MeterCounterData.ts';
import type { Long } from '@grpc/proto-loader';

export interface _p4_v1_TableEntry_IdleTimeout {
  'elapsedNs'?: (number | string | Long);
}

export interface _p4_v1_TableEntry_IdleTimeout__Output {
  'elapsedNs'?: (string);
}

export interface TableEntry {
  'tableId'?: (number);
  'match'?: (_p4_v1_FieldMatch)[];
  'action'?: (_p4_v1_TableAction | null);
  'priority'?: (number);
  'controllerMetadata'?: (number | string | Long);
  'meterConfig'?: (_p4_v1_MeterConfig | null);
  'counterData'?: (_p4_v1_CounterData | null);
  'isDefaultAction'?: (boolean);
  'idleTimeoutNs'?: (number | string | Long);
  'timeSinceLastHit'?: (_p4_v1_TableEntry_IdleTimeout | null);
  'metadata'?: (Buffer | Uint8Array | string);
  'meterCounterData'?: (_p4_v1_MeterCounterData | null);
  'isConst'?: (boolean);
}

export interface TableEntry__Output {
  'tableId'?: (number);
  'match'?: (_p4_v1_FieldMatch__Output)[];
  'action'?: (_p4_v1_TableAction__Output);
  'priority'?: (number);
  'controllerMetadata'?: (string);
  'meterConfig'?: (_p4_v1_MeterConfig__Output);
  'counterData'?: (_p4_v1_CounterData__Output);
  'isDefaultAction'?: (boolean);
  'idleTimeoutNs'?: (string);
  'timeSinceLastHit'?: (_p4_v1_TableEntry_IdleTimeout__Output);
  'metadata'?: (Buffer);
  'meterCounterData'?: (_p4_v1_MeterCounterData__Output);
  'isConst'?: (boolean);
}

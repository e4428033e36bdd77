// Original file: proto/p4/config/v1/p4info.proto

import type { Preamble as _p4_config_v1_Preamble, Preamble__Output as _p4_config_v1_Preamble__Output } from '../../../p4/config/v1/Preamble.ts';
import type { MatchField as _p4_config_v1_MatchField, MatchField__Output as _p4_config_v1_MatchField__Output } from '../../../p4/config/v1/MatchField.ts';
import type { ActionRef as _p4_config_v1_ActionRef, ActionRef__Output as _p4_config_v1_ActionRef__Output } from '../../../p4/config/v1/ActionRef.ts';
import type { TableActionCall as _p4_config_v1_TableActionCall, TableActionCall__Output as _p4_config_v1_TableActionCall__Output } from '../../../p4/config/v1/TableActionCall.ts';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../google/protobuf/Any.ts';
import type { Long } from '@grpc/proto-loader';

// Original file: proto/p4/config/v1/p4info.proto

export const _p4_config_v1_Table_IdleTimeoutBehavior = {
  NO_TIMEOUT: 'NO_TIMEOUT',
  NOTIFY_CONTROL: 'NOTIFY_CONTROL',
} as const;

export type _p4_config_v1_Table_IdleTimeoutBehavior =
  | 'NO_TIMEOUT'
  | 0
  | 'NOTIFY_CONTROL'
  | 1

export type _p4_config_v1_Table_IdleTimeoutBehavior__Output = typeof _p4_config_v1_Table_IdleTimeoutBehavior[keyof typeof _p4_config_v1_Table_IdleTimeoutBehavior]

export interface Table {
  'preamble'?: (_p4_config_v1_Preamble | null);
  'matchFields'?: (_p4_config_v1_MatchField)[];
  'actionRefs'?: (_p4_config_v1_ActionRef)[];
  'constDefaultActionId'?: (number);
  'initialDefaultAction'?: (_p4_config_v1_TableActionCall | null);
  'implementationId'?: (number);
  'directResourceIds'?: (number)[];
  'size'?: (number | string | Long);
  'idleTimeoutBehavior'?: (_p4_config_v1_Table_IdleTimeoutBehavior);
  'isConstTable'?: (boolean);
  'hasInitialEntries'?: (boolean);
  'otherProperties'?: (_google_protobuf_Any | null);
}

export interface Table__Output {
  'preamble'?: (_p4_config_v1_Preamble__Output);
  'matchFields'?: (_p4_config_v1_MatchField__Output)[];
  'actionRefs'?: (_p4_config_v1_ActionRef__Output)[];
  'constDefaultActionId'?: (number);
  'initialDefaultAction'?: (_p4_config_v1_TableActionCall__Output);
  'implementationId'?: (number);
  'directResourceIds'?: (number)[];
  'size'?: (string);
  'idleTimeoutBehavior'?: (_p4_config_v1_Table_IdleTimeoutBehavior__Output);
  'isConstTable'?: (boolean);
  'hasInitialEntries'?: (boolean);
  'otherProperties'?: (_google_protobuf_Any__Output);
}

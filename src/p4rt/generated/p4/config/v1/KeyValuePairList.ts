// Original file: proto/p4/config/v1/p4types.proto

import type { KeyValuePair as _p4_config_v1_KeyValuePair, KeyValuePair__Output as _p4_config_v1_KeyValuePair__Output } from '../../../p4/config/v1/KeyValuePair.ts';

export interface KeyValuePairList {
  'kvPairs'?: (_p4_config_v1_KeyValuePair)[];
}

export interface KeyValuePairList__Output {
  'kvPairs'?: (_p4_config_v1_KeyValuePair__Output)[];
}

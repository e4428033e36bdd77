// Original file: proto/p4/config/v1/p4info.proto

import type { Preamble as _p4_config_v1_Preamble, Preamble__Output as _p4_config_v1_Preamble__Output } from '../../../p4/config/v1/Preamble.ts';
import type { Long } from '@grpc/proto-loader';

export interface _p4_config_v1_ActionProfile_SumOfMembers {
  'maxMemberWeight'?: (number);
}

export interface _p4_config_v1_ActionProfile_SumOfMembers__Output {
  'maxMemberWeight'?: (number);
}

export interface _p4_config_v1_ActionProfile_SumOfWeights {
}

export interface _p4_config_v1_ActionProfile_SumOfWeights__Output {
}

export interface ActionProfile {
  'preamble'?: (_p4_config_v1_Preamble | null);
  'tableIds'?: (number)[];
  'withSelector'?: (boolean);
  'size'?: (number | string | Long);
  'maxGroupSize'?: (number);
  'sumOfWeights'?: (_p4_config_v1_ActionProfile_SumOfWeights | null);
  'sumOfMembers'?: (_p4_config_v1_ActionProfile_SumOfMembers | null);
  'weightsDisallowed'?: (boolean);
  'selectorSizeSemantics'?: "sumOfWeights"|"sumOfMembers";
}

export interface ActionProfile__Output {
  'preamble'?: (_p4_config_v1_Preamble__Output);
  'tableIds'?: (number)[];
  'withSelector'?: (boolean);
  'size'?: (string);
  'maxGroupSize'?: (number);
  'sumOfWeights'?: (_p4_config_v1_ActionProfile_SumOfWeights__Output);
  'sumOfMembers'?: (_p4_config_v1_ActionProfile_SumOfMembers__Output);
  'weightsDisallowed'?: (boolean);
  'selectorSizeSemantics'?: "sumOfWeights"|"sumOfMembers";
}

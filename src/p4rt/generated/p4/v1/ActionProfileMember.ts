// Original file: proto/p4/v1/p4runtime.proto

import type { Action as _p4_v1_Action, Action__Output as _p4_v1_Action__Output } from '../../p4/v1/Action.ts';

export interface ActionProfileMember {
  'actionProfileId'?: (number);
  'memberId'?: (number);
  'action'?: (_p4_v1_Action | null);
}

export interface ActionProfileMember__Output {
  'actionProfileId'?: (number);
  'memberId'?: (number);
  'action'?: (_p4_v1_Action__Output);
}

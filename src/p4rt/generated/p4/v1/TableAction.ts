// Original file: proto/p4/v1/p4runtime.proto

import type { Action as _p4_v1_Action, Action__Output as _p4_v1_Action__Output } from '../../p4/v1/Action.ts';
import type { ActionProfileActionSet as _p4_v1_ActionProfileActionSet, ActionProfileActionSet__Output as _p4_v1_ActionProfileActionSet__Output } from '../../p4/v1/ActionProfileActionSet.ts';

export interface TableAction {
  'action'?: (_p4_v1_Action | null);
  'actionProfileMemberId'?: (number);
  'actionProfileGroupId'?: (number);
  'actionProfileActionSet'?: (_p4_v1_ActionProfileActionSet | null);
  'type'?: "action"|"actionProfileMemberId"|"actionProfileGroupId"|"actionProfileActionSet";
}

export interface TableAction__Output {
  'action'?: (_p4_v1_Action__Output);
  'actionProfileMemberId'?: (number);
  'actionProfileGroupId'?: (number);
  'actionProfileActionSet'?: (_p4_v1_ActionProfileActionSet__Output);
  'type'?: "action"|"actionProfileMemberId"|"actionProfileGroupId"|"actionProfileActionSet";
}

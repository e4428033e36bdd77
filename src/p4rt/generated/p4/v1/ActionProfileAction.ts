// Original file: proto/p4/v1/p4runtime.proto

import type { Action as _p4_v1_Action, Action__Output as _p4_v1_Action__Output } from '../../p4/v1/Action.ts';

export interface ActionProfileAction {
  'action'?: (_p4_v1_Action | null);
  'weight'?: (number);
  'watch'?: (number);
  'watchPort'?: (Buffer | Uint8Array | string);
  'watchKind'?: "watch"|"watchPort";
}

export interface ActionProfileAction__Output {
  'action'?: (_p4_v1_Action__Output);
  'weight'?: (number);
  'watch'?: (number);
  'watchPort'?: (Buffer);
  'watchKind'?: "watch"|"watchPort";
}

// Original file: proto/p4/v1/p4runtime.proto


export interface _p4_v1_ActionProfileGroup_Member {
  'memberId'?: (number);
  'weight'?: (number);
  'watch'?: (number);
  'watchPort'?: (Buffer | Uint8Array | string);
  'watchKind'?: "watch"|"watchPort";
}

export interface _p4_v1_ActionProfileGroup_Member__Output {
  'memberId'?: (number);
  'weight'?: (number);
  'watch'?: (number);
  'watchPort'?: (Buffer);
  'watchKind'?: "watch"|"watchPort";
}

export interface ActionProfileGroup {
  'actionProfileId'?: (number);
  'groupId'?: (number);
  'members'?: (_p4_v1_ActionProfileGroup_Member)[];
  'maxSize'?: (number);
}

export interface ActionProfileGroup__Output {
  'actionProfileId'?: (number);
  'groupId'?: (number);
  'members'?: (_p4_v1_ActionProfileGroup_Member__Output)[];
  'maxSize'?: (number);
}

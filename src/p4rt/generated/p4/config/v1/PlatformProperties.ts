// Original file: proto/p4/config/v1/p4info.proto


export interface PlatformProperties {
  'multicastGroupTableSize'?: (number);
  'multicastGroupTableTotalReplicas'?: (number);
  'multicastGroupTableMaxReplicasPerEntry'?: (number);
}

export interface PlatformProperties__Output {
  'multicastGroupTableSize'?: (number);
  'multicastGroupTableTotalReplicas'?: (number);
  'multicastGroupTableMaxReplicasPerEntry'?: (number);
}

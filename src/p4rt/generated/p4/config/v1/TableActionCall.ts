// Original file: proto/p4/config/v1/p4info.proto


export interface _p4_config_v1_TableActionCall_Argument {
  'paramId'?: (number);
  'value'?: (Buffer | Uint8Array | string);
}

export interface _p4_config_v1_TableActionCall_Argument__Output {
  'paramId'?: (number);
  'value'?: (Buffer);
}

export interface TableActionCall {
  'actionId'?: (number);
  'arguments'?: (_p4_config_v1_TableActionCall_Argument)[];
}

export interface TableActionCall__Output {
  'actionId'?: (number);
  'arguments'?: (_p4_config_v1_TableActionCall_Argument__Output)[];
}

// Original file: proto/p4/v1/p4runtime.proto


export interface _p4_v1_Action_Param {
  'paramId'?: (number);
  'value'?: (Buffer | Uint8Array | string);
}

export interface _p4_v1_Action_Param__Output {
  'paramId'?: (number);
  'value'?: (Buffer);
}

export interface Action {
  'actionId'?: (number);
  'params'?: (_p4_v1_Action_Param)[];
}

export interface Action__Output {
  'actionId'?: (number);
  'params'?: (_p4_v1_Action_Param__Output)[];
}

// Original file: proto/p4/config/v1/p4types.proto


export interface P4VarbitTypeSpec {
  'maxBitwidth'?: (number);
}

export interface P4VarbitTypeSpec__Output {
  'maxBitwidth'?: (number);
}

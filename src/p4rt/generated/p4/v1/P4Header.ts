// Original file: proto/p4/v1/p4data.proto


export interface P4Header {
  'isValid'?: (boolean);
  'bitstrings'?: (Buffer | Uint8Array | string)[];
}

export interface P4Header__Output {
  'isValid'?: (boolean);
  'bitstrings'?: (Buffer)[];
}

// Original file: proto/p4/v1/p4runtime.proto


export interface PacketMetadata {
  'metadataId'?: (number);
  'value'?: (Buffer | Uint8Array | string);
}

export interface PacketMetadata__Output {
  'metadataId'?: (number);
  'value'?: (Buffer);
}

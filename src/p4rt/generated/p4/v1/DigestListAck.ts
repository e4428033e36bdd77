// Original file: proto/p4/v1/p4runtime.proto

import type { Long } from '@grpc/proto-loader';

export interface DigestListAck {
  'digestId'?: (number);
  'listId'?: (number | string | Long);
}

export interface DigestListAck__Output {
  'digestId'?: (number);
  'listId'?: (string);
}

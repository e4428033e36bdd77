// Original file: proto/p4/v1/p4runtime.proto

import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../google/protobuf/Any.ts';

export interface ExternEntry {
  'externTypeId'?: (number);
  'externId'?: (number);
  'entry'?: (_google_protobuf_Any | null);
}

export interface ExternEntry__Output {
  'externTypeId'?: (number);
  'externId'?: (number);
  'entry'?: (_google_protobuf_Any__Output);
}

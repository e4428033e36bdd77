// Original file: proto/p4/v1/p4data.proto

import type { P4Header as _p4_v1_P4Header, P4Header__Output as _p4_v1_P4Header__Output } from '../../p4/v1/P4Header.ts';

export interface P4HeaderUnion {
  'validHeaderName'?: (string);
  'validHeader'?: (_p4_v1_P4Header | null);
}

export interface P4HeaderUnion__Output {
  'validHeaderName'?: (string);
  'validHeader'?: (_p4_v1_P4Header__Output);
}

// Original file: proto/p4/config/v1/p4types.proto


export interface _p4_config_v1_P4NewTypeTranslation_SdnString {
}

export interface _p4_config_v1_P4NewTypeTranslation_SdnString__Output {
}

export interface P4NewTypeTranslation {
  'uri'?: (string);
  'sdnBitwidth'?: (number);
  'sdnString'?: (_p4_config_v1_P4NewTypeTranslation_SdnString | null);
  'sdnType'?: "sdnBitwidth"|"sdnString";
}

export interface P4NewTypeTranslation__Output {
  'uri'?: (string);
  'sdnBitwidth'?: (number);
  'sdnString'?: (_p4_config_v1_P4NewTypeTranslation_SdnString__Output);
  'sdnType'?: "sdnBitwidth"|"sdnString";
}

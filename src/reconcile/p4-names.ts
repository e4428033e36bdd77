/**
 * The control-plane names of the Talaria P4 program (p4/talaria.p4, control TalariaIngress)
 * that the reconciler writes: the one place they are spelled. test/unit/reconcile-p4-names
 * checks every name, match field, parameter and bitwidth here against the compiled P4Info
 * (p4/build/talaria.p4info.txtpb), so a rename in the program fails a test, not a switch.
 */

const CONTROL = 'TalariaIngress';

export const TABLES = {
  frontends: `${CONTROL}.frontends`,
  replyFrontends: `${CONTROL}.reply_frontends`,
  backends: `${CONTROL}.backends`,
  backendSelect: `${CONTROL}.backend_select`,
  affinitySelect: `${CONTROL}.affinity_select`,
  l3Forward: `${CONTROL}.l3_forward`,
  tagKey: `${CONTROL}.tag_key`,
  agentPorts: `${CONTROL}.agent_ports`,
  bucketServices: `${CONTROL}.buckets.bucket_services`,
  bucketSelect: `${CONTROL}.buckets.bucket_select`,
} as const;

export const ACTIONS = {
  setService: `${CONTROL}.set_service`,
  setReplySource: `${CONTROL}.set_reply_source`,
  setBackend: `${CONTROL}.set_backend`,
  pickSlot: `${CONTROL}.pick_slot`,
  forwardToHost: `${CONTROL}.forward_to_host`,
  setTagKeys: `${CONTROL}.set_tag_keys`,
  acceptTalaria: `${CONTROL}.accept_talaria`,
  forwardToExternal: `${CONTROL}.forward_to_external`,
  useFlowBuckets: `${CONTROL}.buckets.use_flow_buckets`,
  useClientBuckets: `${CONTROL}.buckets.use_client_buckets`,
  pickBucketSlot: `${CONTROL}.buckets.pick_bucket_slot`,
} as const;

export const ACTION_PROFILES = {
  backendSelector: `${CONTROL}.backend_selector`,
  affinitySelector: `${CONTROL}.affinity_selector`,
} as const;

export const COUNTERS = {
  drop: `${CONTROL}.drop_counter`,
} as const;

export const DIRECT_COUNTERS = {
  frontend: `${CONTROL}.frontend_counter`,
  backend: `${CONTROL}.backend_counter`,
} as const;

/** Match fields by table, with the bitwidths the reconciler's values assume. */
export const MATCH_FIELDS = {
  [TABLES.frontends]: { vip_addr: 32, protocol: 8, vip_port: 16 },
  [TABLES.replyFrontends]: { service_id: 32 },
  [TABLES.backends]: { service_id: 32, slot: 16 },
  [TABLES.backendSelect]: { service_id: 32 },
  [TABLES.affinitySelect]: { service_id: 32 },
  [TABLES.l3Forward]: { dst_addr: 32 },
  [TABLES.tagKey]: {},
  [TABLES.agentPorts]: { port: 9 },
  [TABLES.bucketServices]: { service_id: 32 },
  [TABLES.bucketSelect]: { service_id: 32, bucket: 16 },
} as const;

/** Action parameters by action, with their bitwidths. */
export const ACTION_PARAMS = {
  [ACTIONS.setService]: { service_id: 32 },
  [ACTIONS.setReplySource]: { vip_addr: 32, vip_port: 16, protocol: 8 },
  [ACTIONS.setBackend]: { addr: 32, port: 16 },
  [ACTIONS.pickSlot]: { slot: 16 },
  [ACTIONS.forwardToHost]: { port: 9, smac: 48, dmac: 48 },
  [ACTIONS.setTagKeys]: { epoch: 16, current_key: 64, previous_key: 64 },
  [ACTIONS.acceptTalaria]: {},
  [ACTIONS.forwardToExternal]: { port: 9, smac: 48, dmac: 48 },
  [ACTIONS.useFlowBuckets]: { mask: 16 },
  [ACTIONS.useClientBuckets]: { mask: 16 },
  [ACTIONS.pickBucketSlot]: { slot: 16, new_slot: 16 },
} as const;

/** Which selector a select table uses. */
export const SELECTOR_OF_TABLE = {
  [TABLES.backendSelect]: ACTION_PROFILES.backendSelector,
  [TABLES.affinitySelect]: ACTION_PROFILES.affinitySelector,
} as const;

/** Largest bucket table of one Service: the bucket is the low 16 bits of the hash. */
export const MAX_BUCKETS_PER_SERVICE = 1 << 16;

/** Largest slot number: slots are 16 bits in the Talaria header's cookie. */
export const SLOT_LIMIT = 1 << 16;

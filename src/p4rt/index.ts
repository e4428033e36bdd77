/**
 * Talaria's P4Runtime client, usable on its own (docs/p4rt.md): a session per device
 * (StreamChannel, arbitration, reconnect with backoff), pipeline push guarded by the config
 * cookie, batched writes with one typed error per refused update, wildcard reads, and
 * name resolution through the P4Info with canonical bytestrings.
 */
export { Backoff, type BackoffOptions } from '../base/backoff.ts';
export {
  BytestringError,
  canonicalBytestring,
  decodeBytestring,
  encodeBytestring,
  fixedWidthBytes,
} from './bytestring.ts';
export {
  insert,
  modify,
  P4RuntimeClient,
  remove,
  type PipelineOutcome,
  type WriteOptions,
  type WriteResult,
} from './client.ts';
export { ClientOptionsError, type P4RuntimeClientOptions } from './client-options.ts';
export {
  EntityCodec,
  type MatchValue,
  type NamedAction,
  type NamedEntity,
  type NamedGroup,
  type NamedMember,
  type NamedTableAction,
  type NamedTableEntry,
  type Value,
} from './entity-codec.ts';
export { formatAction, formatTableEntry, formatValue } from './entity-format.ts';
export { P4RuntimeRpcError, UpdateError, type StatusCodeName } from './errors.ts';
export { P4InfoIndex, P4InfoLookupError } from './p4info-index.ts';
export { pipelineCookie, pipelineOf, type Pipeline } from './pipeline.ts';
export { parseP4InfoText } from './text-format.ts';
export type { SessionState, StateChange } from './stream-session.ts';
export type { Entity, Entity__Output } from './generated/p4/v1/Entity.ts';
export type { Update } from './generated/p4/v1/Update.ts';
export type { P4Info__Output } from './generated/p4/config/v1/P4Info.ts';

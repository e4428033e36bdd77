import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { BytestringError } from '../../p4rt/bytestring.ts';
import type { StatusCodeName } from '../../p4rt/errors.ts';
import { encodeMessage, packAny } from '../../p4rt/schema.ts';
import { isDataplaneError } from '../dataplane/dataplane-error.ts';

/**
 * An error the P4Runtime server answers with: the canonical code the spec prescribes and
 * a message naming what is wrong. Thrown by validation and translation code and turned
 * into a gRPC status (whole-RPC errors) or a p4.v1.Error (one update of a batch).
 */
export class P4RuntimeError extends Error {
  override readonly name = 'P4RuntimeError';

  constructor(
    readonly code: StatusCodeName,
    message: string,
  ) {
    super(message);
  }
}

/** Shorthands for the codes the validation code throws most. */
export const invalidArgument = (message: string): P4RuntimeError =>
  new P4RuntimeError('INVALID_ARGUMENT', message);
export const notFound = (message: string): P4RuntimeError =>
  new P4RuntimeError('NOT_FOUND', message);
export const outOfRange = (message: string): P4RuntimeError =>
  new P4RuntimeError('OUT_OF_RANGE', message);
export const unimplemented = (message: string): P4RuntimeError =>
  new P4RuntimeError('UNIMPLEMENTED', message);

/**
 * The P4RuntimeError for anything thrown while serving a request: P4RuntimeErrors, the
 * shared bytestring codec's errors (OUT_OF_RANGE) and the data plane's errors keep their
 * code; anything else is a bug here and becomes INTERNAL.
 */
export function toP4RuntimeError(error: unknown): P4RuntimeError {
  if (error instanceof P4RuntimeError) return error;
  if (error instanceof BytestringError) return new P4RuntimeError(error.code, error.message);
  if (isDataplaneError(error)) return new P4RuntimeError(error.code, error.message);
  const message = error instanceof Error ? error.message : String(error);
  return new P4RuntimeError('INTERNAL', `internal error: ${message}`);
}

/** The gRPC error for a failure found before any update or entity was tried: no details. */
export function rpcError(error: unknown): Partial<ServiceError> {
  const { code, message } = toP4RuntimeError(error);
  return { code: GrpcStatus[code], details: message };
}

/** The outcome of one update (or read request) of a batch: undefined when it succeeded. */
export type BatchOutcome = P4RuntimeError | undefined;

/**
 * Most bytes of details a failed batch carries. gRPC sends them base64-encoded in the
 * `grpc-status-details-bin` trailer, and a Node client silently never completes a call whose
 * trailers exceed its HTTP/2 header list limit (a batch of ~1,500 failures did here).
 */
const maxDetailsBytes = 48 * 1024;

function encodeStatus(
  message: string,
  outcomes: readonly BatchOutcome[],
  withMessages: boolean,
): Buffer {
  const details = outcomes.map((outcome) =>
    packAny(
      'p4.v1.Error',
      outcome === undefined
        ? { canonicalCode: GrpcStatus.OK }
        : {
            canonicalCode: GrpcStatus[outcome.code],
            ...(withMessages ? { message: outcome.message } : {}),
          },
    ),
  );
  return encodeMessage('google.rpc.Status', { code: GrpcStatus.UNKNOWN, message, details });
}

/**
 * The gRPC error for a batch in which some element failed: status UNKNOWN, and in the
 * `grpc-status-details-bin` trailer a google.rpc.Status whose details hold one p4.v1.Error
 * per element, in request order, OK (and nothing else) for those that succeeded. When the
 * details would not fit the trailer, the errors lose their messages; when even that does not
 * fit (batches of more than ~1,000 failures), the status carries no details and its message
 * says so and names the first failure (docs/target.md).
 */
export function batchError(outcomes: readonly BatchOutcome[], what: string): Partial<ServiceError> {
  const failures = outcomes.filter((o) => o !== undefined);
  const message = `${failures.length} of ${outcomes.length} ${what} failed`;
  let status = encodeStatus(message, outcomes, true);
  if (status.length > maxDetailsBytes) status = encodeStatus(message, outcomes, false);
  const metadata = new Metadata();
  if (status.length <= maxDetailsBytes) {
    metadata.set('grpc-status-details-bin', status);
    return { code: GrpcStatus.UNKNOWN, details: message, metadata };
  }
  const first = failures[0]!;
  const summary = `${message}; too many to detail in gRPC trailers, the first: ${first.code}: ${first.message}`;
  return { code: GrpcStatus.UNKNOWN, details: summary, metadata };
}

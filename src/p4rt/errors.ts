import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { Status__Output } from './generated/google/rpc/Status.ts';
import type { Error__Output } from './generated/p4/v1/Error.ts';
import type { Update } from './generated/p4/v1/Update.ts';
import { decodeMessage, unpackAny } from './schema.ts';

/** A gRPC canonical code by name, e.g. 'RESOURCE_EXHAUSTED'. */
export type StatusCodeName = keyof typeof GrpcStatus;

export function statusCodeName(code: number | undefined): StatusCodeName {
  const name = GrpcStatus[code ?? GrpcStatus.UNKNOWN] as StatusCodeName | undefined;
  return name ?? 'UNKNOWN';
}

/**
 * A whole RPC failed: the switch is unreachable (UNAVAILABLE), we are not primary
 * (PERMISSION_DENIED), or the request was refused before any update was tried (no
 * per-update details). `rpc` names the call.
 */
export class P4RuntimeRpcError extends Error {
  override readonly name = 'P4RuntimeRpcError';

  constructor(
    readonly rpc: string,
    readonly code: StatusCodeName,
    readonly details: string,
  ) {
    super(`${rpc}: ${code}: ${details}`);
  }

  /** The session, not the request, is the problem: reconnect and re-arbitrate. */
  get isSessionFailure(): boolean {
    return ['UNAVAILABLE', 'PERMISSION_DENIED', 'CANCELLED', 'DEADLINE_EXCEEDED'].includes(
      this.code,
    );
  }
}

/** One refused update of a Write batch, with the server's canonical code and message. */
export class UpdateError extends Error {
  override readonly name = 'UpdateError';

  constructor(
    /** Position of the update in the caller's list (across batches). */
    readonly index: number,
    readonly update: Update,
    readonly code: StatusCodeName,
    readonly details: string,
  ) {
    super(`update ${index} (${update.type ?? 'UNSPECIFIED'}): ${code}: ${details}`);
  }
}

export function rpcErrorOf(rpc: string, error: unknown): P4RuntimeRpcError {
  if (error instanceof P4RuntimeRpcError) return error;
  const serviceError = error as Partial<ServiceError>;
  if (typeof serviceError.code === 'number') {
    return new P4RuntimeRpcError(
      rpc,
      statusCodeName(serviceError.code),
      serviceError.details ?? '',
    );
  }
  return new P4RuntimeRpcError(
    rpc,
    'UNKNOWN',
    error instanceof Error ? error.message : String(error),
  );
}

/**
 * The per-update errors of a failed Write (spec "Error Reporting"): status UNKNOWN with a
 * google.rpc.Status whose details hold one p4.v1.Error per update, in order, OK for those
 * applied. Undefined when the error carries no such details (the whole batch was refused).
 */
export function updateErrorsOf(
  error: Partial<ServiceError>,
  updates: readonly Update[],
  firstIndex: number,
): UpdateError[] | undefined {
  const raw = error.metadata?.get('grpc-status-details-bin')[0];
  if (raw === undefined || typeof raw === 'string') return undefined;
  const status = decodeMessage<Status__Output>('google.rpc.Status', raw);
  const details = status.details ?? [];
  if (details.length !== updates.length) return undefined;
  const failures: UpdateError[] = [];
  details.forEach((any, i) => {
    const p4Error = unpackAny<Error__Output>(any, 'p4.v1.Error');
    const code = p4Error.canonicalCode ?? GrpcStatus.OK;
    if (code !== GrpcStatus.OK) {
      failures.push(
        new UpdateError(firstIndex + i, updates[i]!, statusCodeName(code), p4Error.message ?? ''),
      );
    }
  });
  return failures;
}

/**
 * The one error type of the embedded data plane. Its codes are the gRPC/P4Runtime codes the
 * P4Runtime server answers with, so the server maps them one to one.
 */
export type DataplaneErrorCode =
  | 'ALREADY_EXISTS'
  | 'NOT_FOUND'
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'OUT_OF_RANGE'
  | 'PERMISSION_DENIED'
  | 'UNIMPLEMENTED';

export class DataplaneError extends Error {
  override readonly name = 'DataplaneError';

  constructor(
    readonly code: DataplaneErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isDataplaneError(error: unknown): error is DataplaneError {
  return error instanceof DataplaneError;
}

/** Errors of pipeline loading: malformed JSON, and constructs this target does not run. */
import { DataplaneError } from './dataplane-error.ts';

export function invalid(message: string): DataplaneError {
  return new DataplaneError('INVALID_ARGUMENT', `invalid BMv2 JSON: ${message}`);
}

export function unsupported(construct: string): DataplaneError {
  return new DataplaneError('UNIMPLEMENTED', `unsupported by the embedded target: ${construct}`);
}

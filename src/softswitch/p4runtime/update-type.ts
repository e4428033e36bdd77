import { invalidArgument } from './p4runtime-error.ts';

export type UpdateType = 'INSERT' | 'MODIFY' | 'DELETE';

/** The type of an Update; UNSPECIFIED or a number outside the enum is INVALID_ARGUMENT. */
export function updateTypeOf(type: string | number | undefined): UpdateType {
  if (type === 'INSERT' || type === 'MODIFY' || type === 'DELETE') return type;
  throw invalidArgument(
    `update type ${String(type ?? 'UNSPECIFIED')} is not INSERT, MODIFY or DELETE`,
  );
}

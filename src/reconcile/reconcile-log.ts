import { tracer } from '../p4rt/trace.ts';

export type LogLevel = 'info' | 'warn' | 'error';

/** Where the reconciler reports what it did and what went wrong; one call per event. */
export type ReconcileLogger = (
  level: LogLevel,
  message: string,
  fields: Record<string, unknown>,
) => void;

const trace = tracer('reconcile');

/** Warnings and errors as one JSON line each on stderr; info only with TALARIA_TRACE=reconcile. */
export const defaultLogger: ReconcileLogger = (level, message, fields) => {
  if (level === 'info') {
    trace(`${message} ${JSON.stringify(fields)}`);
    return;
  }
  process.stderr.write(
    `${JSON.stringify({ level, component: 'reconcile', message, ...fields })}\n`,
  );
};

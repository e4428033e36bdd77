/**
 * Per-module tracing switched on by the environment: TALARIA_TRACE=p4rt,reconcile (or
 * 'all') writes one line per traced event to stderr. Off by default; costs one boolean
 * check per call when off.
 */
const enabled = new Set(
  (process.env.TALARIA_TRACE ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== ''),
);

export type Tracer = (message: string) => void;

export function tracer(module: string): Tracer {
  if (!enabled.has(module) && !enabled.has('all')) return () => {};
  return (message) => process.stderr.write(`${new Date().toISOString()} ${module}: ${message}\n`);
}

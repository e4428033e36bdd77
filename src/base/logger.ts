import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

/**
 * The one logger of the project: structured JSON lines through pino, one object per event,
 *
 *   {"level":"warn","time":"2026-01-01T00:00:00.000Z","module":"informer","msg":"...","resource":"services"}
 *
 * on stderr by default (stdout for the agent, whose CNI mode keeps stdout for its result).
 * Debug lines of a module appear when TALARIA_TRACE names it (comma-separated; `all` for
 * all), e.g. TALARIA_TRACE=informer,p4rt. Field values that JSON cannot carry are written
 * readably: an Error as its message, a bigint as its decimal string.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** The same logger for another module (its name is what TALARIA_TRACE matches). */
  child(module: string): Logger;
}

export interface LoggerOptions {
  /** Lowest level written (debug lines also need TALARIA_TRACE). Default info. */
  readonly level?: LogLevel;
  /** Where lines go: a stream name, or a function that gets each line without its newline. */
  readonly output?: 'stderr' | 'stdout' | ((line: string) => void);
  /** Overrides TALARIA_TRACE. */
  readonly trace?: string;
}

function destinationOf(output: LoggerOptions['output']): DestinationStream {
  if (typeof output === 'function') return { write: (line) => output(line.replace(/\n$/, '')) };
  // Synchronous writes: the last lines before an exit are not lost.
  return pino.destination({ dest: output === 'stdout' ? 1 : 2, sync: true });
}

function readable(fields: LogFields | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    out[key] =
      value instanceof Error ? value.message : typeof value === 'bigint' ? String(value) : value;
  }
  return out;
}

function tracedModules(option: string | undefined): ReadonlySet<string> {
  return new Set(
    (option ?? process.env.TALARIA_TRACE ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  );
}

/** Whether TALARIA_TRACE switches on the debug lines of `module`. */
export function isTraced(module: string, trace?: string): boolean {
  const traced = tracedModules(trace);
  return traced.has('all') || traced.has(module);
}

export function createLogger(module: string, options: LoggerOptions = {}): Logger {
  const traced = tracedModules(options.trace);
  const root = pino(
    {
      level: 'debug',
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destinationOf(options.output),
  );
  const minimum = options.level ?? 'info';
  const make = (name: string): Logger => {
    const level = traced.has('all') || traced.has(name) ? 'debug' : minimum;
    const log: PinoLogger = root.child({ module: name }, { level });
    const at =
      (level: LogLevel) =>
      (message: string, fields?: LogFields): void => {
        if (log.isLevelEnabled(level)) log[level](readable(fields), message);
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (sub) => make(sub),
    };
  };
  return make(module);
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

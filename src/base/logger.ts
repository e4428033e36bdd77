/**
 * Line logger of the controller: `time level module message key=value ...` on stderr.
 * Debug lines of a module appear when TALARIA_TRACE names it (comma-separated; `all` for
 * all), e.g. TALARIA_TRACE=informer,leader-election (the same variable as src/p4rt/trace.ts).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** The same logger for a sub-module (its name is what TALARIA_TRACE matches). */
  child(module: string): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  /** Lowest level written (debug lines also need TALARIA_TRACE). Default info. */
  readonly level?: LogLevel;
  readonly write?: (line: string) => void;
  readonly trace?: string;
}

export function createLogger(module: string, options: LoggerOptions = {}): Logger {
  const traced = new Set(
    (options.trace ?? process.env.TALARIA_TRACE ?? '').split(',').filter(Boolean),
  );
  const minimum = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const make = (name: string): Logger => {
    const debugOn = traced.has('all') || traced.has(name);
    const log = (level: LogLevel, message: string, fields?: LogFields) => {
      if (level === 'debug' ? !debugOn : RANK[level] < minimum) return;
      write(
        `${new Date().toISOString()} ${level.padEnd(5)} ${name}: ${message}${fieldText(fields)}`,
      );
    };
    return {
      debug: (m, f) => log('debug', m, f),
      info: (m, f) => log('info', m, f),
      warn: (m, f) => log('warn', m, f),
      error: (m, f) => log('error', m, f),
      child: (sub) => make(`${sub}`),
    };
  };
  return make(module);
}

function fieldText(fields: LogFields | undefined): string {
  if (!fields) return '';
  return Object.entries(fields)
    .map(([k, v]) => {
      const text = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
      return ` ${k}=${/[\s"=]/.test(text ?? '') ? JSON.stringify(text) : text}`;
    })
    .join('');
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

import { execFile } from 'node:child_process';

/** A host tool (ip, tc, bpftool, ethtool, clang) that failed, with what it said. */
export class HostCommandError extends Error {
  override readonly name = 'HostCommandError';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      `${argv.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || '(no output)'}`,
    );
  }
}

export interface HostCommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface HostCommandOptions {
  /** Written to the command's stdin. */
  readonly input?: string;
  /** Killed after this long (default 60 s). */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs a host tool to completion (no shell), resolving with its output or rejecting with a
 * HostCommandError. Every tool the agent drives goes through here, so failures read alike.
 */
export function runHostCommand(
  argv: readonly string[],
  options: HostCommandOptions = {},
): Promise<HostCommandResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('runHostCommand: empty command'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 256 * 1024 * 1024,
        env: options.env ?? process.env,
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new HostCommandError(argv, code, stderr || error.message));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

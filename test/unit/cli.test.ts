import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/talaria.js', import.meta.url));

async function talaria(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [bin, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('talaria CLI', () => {
  it('lists every subcommand in --help', async () => {
    const { code, stdout } = await talaria('--help');
    expect(code).toBe(0);
    for (const name of ['demo', 'run', 'switch', 'agent', 'status', 'rotate-key']) {
      expect(stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
  });

  it('refuses an unknown option with one line that names it', async () => {
    const { code, stderr } = await talaria('--bogus');
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain("'--bogus'");
  });

  it('refuses an unknown command', async () => {
    const { code, stderr } = await talaria('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'frobnicate'");
  });

  it('refuses an unknown option of a subcommand, naming the subcommand', async () => {
    const { code, stderr } = await talaria('status', '--no-such-flag');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^talaria: status: .*--no-such-flag/);
  });

  it('rotate-key sends the controller SIGUSR2, the signal talaria run rotates on', async () => {
    // A stand-in controller that reports the signal it receives.
    const child = spawn(
      'node',
      [
        '-e',
        "process.on('SIGUSR2', () => { console.log('SIGUSR2'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines: string[] = [];
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        if (lines.includes('ready')) resolve();
      }),
    );
    const exited = once(child, 'close');
    await ready;
    const { code, stdout } = await talaria('rotate-key', '--pid', String(child.pid));
    expect(code).toBe(0);
    expect(stdout).toContain(`asked process ${child.pid}`);
    const [exitCode] = await exited;
    expect(exitCode).toBe(0);
    expect(lines).toContain('SIGUSR2');
  });

  it('rotate-key refuses a process id that is no number', async () => {
    const { code, stderr } = await talaria('rotate-key', '--pid', 'controller');
    expect(code).toBe(2);
    expect(stderr).toContain('rotate-key: --pid: expected a process id');
  });
});

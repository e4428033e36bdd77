import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_PIPELINE_FILES } from '../../src/controller/demo/demo-runtime.ts';

const BIN = fileURLToPath(new URL('../../bin/talaria.js', import.meta.url));
const havePipeline = existsSync(DEMO_PIPELINE_FILES.json) && existsSync(DEMO_PIPELINE_FILES.p4info);

/** Runs `talaria demo` as a user does, returns its exit code and output. */
function runDemo(
  args: string[],
  interrupt = false,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'demo', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Ctrl-C once the demo says it keeps running: it ends only because of the signal.
      if (interrupt && !signalled && stdout.includes('Running until Ctrl-C')) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const describeWithPipeline = havePipeline ? describe : describe.skip;

describeWithPipeline(
  `talaria demo${havePipeline ? '' : ' [skipped: needs p4/build/talaria.json and talaria.p4info.txtpb (npm run p4:build)]'}`,
  () => {
    it('tells the whole story, every check passing, and ends by itself', async () => {
      const { code, stdout, stderr } = await runDemo(['--step-ms', '0']);
      expect(stderr).toBe('');
      expect(stdout).toContain('[1/6] Starting');
      expect(stdout).toContain('[6/6] Scale web down');
      expect(stdout).not.toContain('✗');
      expect(stdout).toMatch(/Done in [\d.]+ s: the switch followed the cluster at every step\./);
      expect(code).toBe(0);
    }, 120_000);

    it('stays up with --keep-running and stops cleanly on Ctrl-C', async () => {
      const { code, stdout } = await runDemo(['--step-ms', '0', '--keep-running'], true);
      expect(stdout).toContain('stopping on SIGINT');
      expect(code).toBe(0);
    }, 120_000);
  },
);

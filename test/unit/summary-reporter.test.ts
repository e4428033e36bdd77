import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const vitest = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

/** Runs vitest on the reporter fixtures (test/fixtures/reporter) and returns its exit and output. */
function runFixtures(): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [vitest, 'run', '--config', 'test/fixtures/reporter/vitest.config.ts'],
      { cwd: root, env: { ...process.env, CI: '1', NO_COLOR: '1' } },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

describe('summary reporter', () => {
  it('counts hook and import failures as failures and todo apart from skipped', async () => {
    const { code, stdout } = await runFixtures();
    expect(code).not.toBe(0);
    const closing = stdout.trimEnd().split('\n').at(-1);
    // hooks.fixture.ts: one failing test, two tests a throwing beforeAll kept from running,
    // one throwing afterAll; import-error.fixture.ts: one file that fails to import.
    expect(closing).toBe('2 passed, 5 failed, 1 skipped, 1 todo');
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHostCommand } from '../../src/agent/host-command.ts';

/**
 * A private bpf filesystem for one test file: pins made in it never meet another test's or
 * the host's, and unmounting it removes them all (programs still attached elsewhere stay
 * alive until their hooks go).
 */
export interface TempBpffs {
  readonly path: string;
  remove(): Promise<void>;
}

export async function mountTempBpffs(tag: string): Promise<TempBpffs> {
  const path = await mkdtemp(join(tmpdir(), `talaria-${tag}-bpffs-`));
  await runHostCommand(['mount', '-t', 'bpf', 'bpf', path]);
  return {
    path,
    async remove() {
      await runHostCommand(['umount', '-l', path]).catch(() => undefined);
      await rm(path, { recursive: true, force: true });
    },
  };
}

import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';

/** The docker CLI for tests of the image: a failure carries the command and its stderr. */

const run = promisify(execFile);

export async function docker(args: readonly string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await run('docker', args, {
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`docker ${args.join(' ')}: ${stderr || (error as Error).message}`);
  }
}

/** What a container wrote, stdout and stderr (the last 200 lines). */
export async function dockerLogs(id: string): Promise<string> {
  try {
    const { stdout, stderr } = await run('docker', ['logs', '--tail', '200', id], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return `${stdout}${stderr}`;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A TCP port free on 127.0.0.1 now (for containers on the host's network). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits until `check` resolves true, or throws after `timeoutMs` naming `what`. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  diagnose: () => Promise<string> = async () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}\n${await diagnose().catch(() => '')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

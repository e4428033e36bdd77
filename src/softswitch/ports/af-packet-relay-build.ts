import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const relaySource = fileURLToPath(new URL('../../../native/af-packet-relay.c', import.meta.url));

/** Where built helpers live: $TALARIA_CACHE_DIR, else $XDG_CACHE_HOME/talaria, else ~/.cache/talaria. */
export function nativeCacheDir(): string {
  const explicit = process.env.TALARIA_CACHE_DIR;
  if (explicit) return explicit;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'talaria');
}

/**
 * The path of the AF_PACKET relay binary, compiled from native/af-packet-relay.c with the
 * system C compiler ($CC, else the first of cc, clang, gcc that works) the first time it is
 * needed. The binary's name holds
 * a hash of the source, so an edited source is rebuilt and a stale binary never runs.
 * npm does not run install scripts of dependencies, and the relay is needed only for real
 * interfaces, so building on first use keeps `npm ci` free of any compiler.
 */
export async function afPacketRelayBinary(): Promise<string> {
  const source = await readFile(relaySource);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = nativeCacheDir();
  const binary = join(dir, `af-packet-relay-${hash}`);
  try {
    await access(binary);
    return binary;
  } catch {
    // not built yet
  }
  await mkdir(dir, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  const explicit = process.env.CC && process.env.CC.length > 0 ? process.env.CC : undefined;
  const compilers = explicit ? [explicit] : ['cc', 'clang', 'gcc'];
  const failures: string[] = [];
  for (const compiler of compilers) {
    try {
      await promisify(execFile)(compiler, ['-O2', '-Wall', '-o', partial, relaySource]);
      // rename is atomic: concurrent first uses each build, and one of the results stays.
      await rename(partial, binary);
      return binary;
    } catch (error) {
      await rm(partial, { force: true });
      const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
      failures.push(`'${compiler}': ${detail}`);
    }
  }
  throw new Error(
    `cannot build the AF_PACKET relay (real interfaces need a C compiler; set CC): ${failures.join('; ')}`,
  );
}

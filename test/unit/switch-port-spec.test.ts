import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { afPacketRelayBinary } from '../../src/softswitch/ports/af-packet-relay-build.ts';
import { MemoryPort } from '../../src/softswitch/ports/memory-port.ts';
import { portSpecsSchema } from '../../src/softswitch/ports/port-spec.ts';

describe('--port values', () => {
  it('parses N@mem and N@IFNAME', () => {
    expect(portSpecsSchema.parse(['1@mem', '7@veth-a0'])).toEqual([
      { number: 1, kind: 'memory' },
      { number: 7, kind: 'interface', interfaceName: 'veth-a0' },
    ]);
  });

  it.each([
    ['1', 'is not PORT@mem or PORT@IFNAME'],
    ['511@mem', 'port 511 is above 510'],
    ['1@this-name-is-too-long', 'is not a Linux interface name'],
    ['1@a/b', 'is not a Linux interface name'],
  ])('refuses %s', (value, message) => {
    const result = portSpecsSchema.safeParse([value]);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(message);
  });

  it('refuses a port number or an interface given twice', () => {
    expect(portSpecsSchema.safeParse(['1@mem', '1@eth0']).error?.issues[0]?.message).toBe(
      'port 1 is given twice',
    );
    expect(portSpecsSchema.safeParse(['1@eth0', '2@eth0']).error?.issues[0]?.message).toBe(
      'interface eth0 is given twice',
    );
  });
});

describe('MemoryPort', () => {
  it('delivers injected frames to the receiver and hands sent frames to waiters in order', async () => {
    const port = new MemoryPort(3);
    const received: Buffer[] = [];
    port.onReceive((frame) => received.push(frame));
    port.inject(Uint8Array.from([1, 2]));
    expect(received).toEqual([Buffer.from([1, 2])]);
    port.send(Buffer.from([9]));
    const waiting = port.nextSent();
    port.send(Buffer.from([10]));
    expect(await waiting).toEqual(Buffer.from([9]));
    expect(port.takeSent()).toEqual([Buffer.from([10])]);
    await expect(port.nextSent(20)).rejects.toThrow('no frame sent on port 3 within 20 ms');
    await port.close();
    port.send(Buffer.from([11]));
    expect(port.takeSent()).toEqual([]);
    expect(() => port.inject(Uint8Array.from([1]))).toThrow('port 3 is closed');
  });
});

const compiler = ['cc', 'clang', 'gcc'].find((c) => {
  try {
    execFileSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

describe('AF_PACKET relay build', () => {
  const withCache = async (env: { CC?: string }, body: (cache: string) => Promise<void>) => {
    const cache = await mkdtemp(join(tmpdir(), 'talaria-relay-'));
    const saved = { cache: process.env.TALARIA_CACHE_DIR, cc: process.env.CC };
    try {
      process.env.TALARIA_CACHE_DIR = cache;
      if (env.CC) process.env.CC = env.CC;
      else delete process.env.CC;
      await body(cache);
    } finally {
      if (saved.cache === undefined) delete process.env.TALARIA_CACHE_DIR;
      else process.env.TALARIA_CACHE_DIR = saved.cache;
      if (saved.cc === undefined) delete process.env.CC;
      else process.env.CC = saved.cc;
      await rm(cache, { recursive: true, force: true });
    }
  };

  it('names the compiler it could not use', () =>
    withCache({ CC: '/nonexistent/cc' }, async () => {
      await expect(afPacketRelayBinary()).rejects.toThrow("set CC): '/nonexistent/cc'");
    }));

  it.skipIf(!compiler)(
    `builds once into the cache and reuses it${compiler ? '' : ' [skipped: no C compiler here]'}`,
    () =>
      withCache({}, async (cache) => {
        const binary = await afPacketRelayBinary();
        expect(binary.startsWith(cache)).toBe(true);
        expect(await afPacketRelayBinary()).toBe(binary);
      }),
  );
});

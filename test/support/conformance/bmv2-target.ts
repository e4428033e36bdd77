import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { openAfPacketPorts } from '../../../src/softswitch/ports/af-packet-ports.ts';
import type { Port } from '../../../src/softswitch/ports/port.ts';
import { P4RuntimeDriver } from '../p4runtime-driver.ts';
import type { ConformanceTarget, OutputFrame } from './target.ts';

const run = promisify(execFile);

/** How long a frame may take through BMv2 before it counts as not sent. */
const outputWaitMs = 1_500;
/** After a frame came out, how long to wait for more (or, with none expected, for any). */
const settleMs = 150;

async function waitForServer(
  address: string,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`simple_switch_grpc exited (${child.exitCode}): ${log()}`);
    const driver = P4RuntimeDriver.connect(address);
    try {
      await driver.capabilities();
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`simple_switch_grpc did not answer on ${address}: ${String(error)}`);
    } finally {
      driver.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Real BMv2 (simple_switch_grpc on PATH) in a network namespace of its own: switch port N is
 * veth sN, whose peer hN (same namespace) the suite sends into and listens on through an
 * AF_PACKET relay; P4Runtime over a unix socket, reachable from the root namespace.
 */
export async function startBmv2Target(ports: readonly number[]): Promise<ConformanceTarget> {
  const name = `tlr-bmv2-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const socket = `/tmp/${name}.sock`;
  const ip = (...args: string[]) => run('ip', ['-n', name, ...args]);
  await run('ip', ['netns', 'add', name]);
  let child: ChildProcess | undefined;
  let relay: Port[] = [];
  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await Promise.all(relay.map((p) => p.close()));
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
    await rm(socket, { force: true });
  };
  try {
    await run('ip', [
      'netns',
      'exec',
      name,
      'sysctl',
      '-qw',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
    ]);
    await ip('link', 'set', 'lo', 'up');
    for (const n of ports) {
      await ip('link', 'add', `s${n}`, 'type', 'veth', 'peer', 'name', `h${n}`);
      await ip('link', 'set', `s${n}`, 'up');
      await ip('link', 'set', `h${n}`, 'up');
    }
    let output = '';
    child = spawn(
      'ip',
      [
        'netns',
        'exec',
        name,
        'simple_switch_grpc',
        '--device-id',
        '1',
        '--no-p4',
        ...ports.flatMap((n) => ['-i', `${n}@s${n}`]),
        '--',
        '--grpc-server-addr',
        `unix:${socket}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const address = `unix:${socket}`;
    await waitForServer(address, child, () => output);

    const received: OutputFrame[] = [];
    relay = await openAfPacketPorts(
      ports.map((number) => ({ number, interfaceName: `h${number}` })),
      (error) => console.error(`bmv2 target relay: ${error.message}`),
      name,
    );
    for (const port of relay)
      port.onReceive((bytes) => received.push({ port: port.number, bytes }));
    const byNumber = new Map(relay.map((p) => [p.number, p]));
    return {
      name: 'bmv2',
      address,
      deviceId: 1n,
      ports,
      async send(port, frame, expectOutput) {
        received.length = 0;
        byNumber.get(port)!.send(Buffer.from(frame));
        const deadline = Date.now() + (expectOutput ? outputWaitMs : settleMs * 2);
        while (received.length === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await new Promise((resolve) => setTimeout(resolve, settleMs));
        return received.splice(0, received.length);
      },
      // BMv2 (PI) has no way to ask which streams it holds. The suite waited for each
      // cancelled call to end on its side: the RST_STREAM went out on the connection
      // ahead of any later stream, and PI handles a connection's frames in order.
      streamsForgotten: async () => {},
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

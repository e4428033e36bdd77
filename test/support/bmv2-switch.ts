import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { openAfPacketPorts } from '../../src/softswitch/ports/af-packet-ports.ts';
import type { Port } from '../../src/softswitch/ports/port.ts';
import { eventually } from './eventually.ts';
import { commandExists, tiers } from './tiers.ts';

/**
 * A real simple_switch_grpc for tests, in a network namespace of its own (its Thrift
 * server listens on every address), with one veth pair per switch port:
 *
 *   test process (AF_PACKET relay) -- <tag>h<N> ==veth== <tag>s<N> (netns) -- BMv2 port N
 *
 * The test ends of the pairs sit in the caller's namespace without any address and with
 * IPv6 off, so the kernel sends nothing on them. The P4Runtime server listens on a Unix
 * socket, bridged to 127.0.0.1 for clients that dial host:port. stop() removes it all.
 */

const run = promisify(execFile);

async function sh(argv: readonly string[]): Promise<void> {
  try {
    await run(argv[0]!, argv.slice(1));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`${argv.join(' ')}: ${stderr || (error as Error).message}`);
  }
}

/** Relays TCP connections on 127.0.0.1 to a Unix socket (grpc-js clients dial host:port). */
export async function bridgeToUnixSocket(path: string): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(path);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function waitFor(what: string, ready: () => boolean, timeoutMs: number): Promise<void> {
  await eventually(() => {
    if (!ready()) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }, timeoutMs);
}

export interface Bmv2Options {
  /** Switch port numbers to create. */
  readonly ports: readonly number[];
  readonly deviceId?: number;
}

export class Bmv2Switch {
  private output = '';

  private constructor(
    readonly netns: string,
    private readonly socketPath: string,
    private readonly process: ChildProcess,
    private readonly bridge: Server,
    /** Switch ports by number; frames sent go into the switch, frames received came out. */
    readonly ports: ReadonlyMap<number, Port>,
    readonly deviceId: number,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    process.stdout?.on('data', keep);
    process.stderr?.on('data', keep);
  }

  /** host:port of the switch's P4Runtime server. */
  get grpcAddress(): string {
    return `127.0.0.1:${(this.bridge.address() as AddressInfo).port}`;
  }

  /** The last lines simple_switch_grpc printed, for failure messages. */
  get log(): string {
    return this.output;
  }

  /** Why this machine cannot run start(), or undefined when it can. */
  static unavailableReason(): string | undefined {
    return tiers.bmv2.available ? undefined : tiers.bmv2.reason;
  }

  static async start(options: Bmv2Options): Promise<Bmv2Switch> {
    const tag = `tb${process.pid % 100_000}`;
    const netns = `talaria-bmv2-${process.pid}`;
    const socketPath = `/tmp/talaria-bmv2-${process.pid}.sock`;
    rmSync(socketPath, { force: true });
    await sh(['ip', 'netns', 'add', netns]);
    try {
      await sh(['ip', 'netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
      await sh([
        'ip',
        'netns',
        'exec',
        netns,
        'sysctl',
        '-qw',
        'net.ipv6.conf.default.disable_ipv6=1',
      ]);
      await sh(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
      const hasEthtool = commandExists('ethtool');
      for (const port of options.ports) {
        const outside = `${tag}h${port}`;
        const inside = `${tag}s${port}`;
        await sh([
          'ip',
          'link',
          'add',
          outside,
          'type',
          'veth',
          'peer',
          'name',
          inside,
          'netns',
          netns,
        ]);
        await sh(['sysctl', '-qw', `net.ipv6.conf.${outside}.disable_ipv6=1`]);
        // Frames the test writes carry their final checksums; the kernel must not touch them.
        if (hasEthtool) await sh(['ethtool', '-K', outside, 'tx', 'off']);
        await sh(['ip', 'link', 'set', outside, 'up']);
        await sh(['ip', '-n', netns, 'link', 'set', inside, 'up']);
      }
      const deviceId = options.deviceId ?? 1;
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          netns,
          'simple_switch_grpc',
          '--device-id',
          String(deviceId),
          '--no-p4',
          ...options.ports.flatMap((port) => ['-i', `${port}@${tag}s${port}`]),
          '--',
          '--grpc-server-addr',
          `unix:${socketPath}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let exited = false;
      child.once('exit', () => (exited = true));
      await waitFor(
        'the P4Runtime socket of simple_switch_grpc',
        () => exited || existsSync(socketPath),
        30_000,
      );
      if (exited) throw new Error('simple_switch_grpc exited at start');
      const bridge = await bridgeToUnixSocket(socketPath);
      const attached = await openAfPacketPorts(
        options.ports.map((number) => ({ number, interfaceName: `${tag}h${number}` })),
        (error) => console.error(`bmv2 test ports: ${error.message}`),
      );
      return new Bmv2Switch(
        netns,
        socketPath,
        child,
        bridge,
        new Map(attached.map((port) => [port.number, port])),
        deviceId,
      );
    } catch (error) {
      await sh(['ip', 'netns', 'del', netns]).catch(() => undefined);
      throw error;
    }
  }

  /** Stops the switch and removes the namespace, the veth pairs and the socket. */
  async stop(): Promise<void> {
    await Promise.all([...this.ports.values()].map((port) => port.close()));
    await new Promise<void>((resolve) => this.bridge.close(() => resolve()));
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = new Promise((resolve) => this.process.once('exit', resolve));
      this.process.kill('SIGTERM');
      await exited;
    }
    // Deleting the namespace deletes the veth ends inside it, and with them their peers.
    await sh(['ip', 'netns', 'del', this.netns]);
    rmSync(this.socketPath, { force: true });
  }
}

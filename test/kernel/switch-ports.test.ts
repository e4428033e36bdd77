import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uint128 } from '../support/conformance/context.ts';
import { EntityBuilder, insert, remove } from '../support/conformance/entities.ts';
import { P4InfoNames } from '../support/conformance/p4info-names.ts';
import {
  fixturePipeline,
  talariaPipeline,
  type PipelineFiles,
} from '../support/conformance/pipelines.ts';
import { P4RuntimeDriver } from '../support/p4runtime-driver.ts';
import { describeTier } from '../support/tiers.ts';

// `talaria switch` as its own process in a network namespace, its ports 1 and 2 on veths
// (AF_PACKET) to two more namespaces with real kernels: TCP and UDP cross it once routes are
// programmed over P4Runtime, and stop when they are removed. Runs with the conformance
// fixture (plain LPM forwarding) and with the project's pipeline once p4/build has it.

const run = promisify(execFile);
const talaria = fileURLToPath(new URL('../../bin/talaria.js', import.meta.url));

const hostA = { address: '10.77.1.2', gateway: '10.77.1.1', subnet: 0x0a4d0100 };
const hostB = { address: '10.77.2.2', gateway: '10.77.2.1', subnet: 0x0a4d0200 };
const switchMac = 0x0200000000fen;

/** Runs JavaScript with node inside a namespace; resolves with its stdout. */
async function nodeIn(ns: string, script: string, timeoutMs = 20_000): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
    timeout: timeoutMs,
  });
  return stdout.trim();
}

/** A TCP and UDP echo server on port 7000 of `address`, until killed. */
function echoServer(ns: string, address: string): ChildProcess {
  const script = `
    const net = require('node:net'); const dgram = require('node:dgram');
    net.createServer((s) => s.pipe(s)).listen(7000, '${address}', () => console.log('listening'));
    const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(m, r.port, r.address)); u.bind(7000, '${address}');`;
  return spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Sends `bytes` random bytes over TCP to the echo server and checks them; prints "ok N". */
const tcpClient = (address: string, bytes: number, timeoutMs: number) => `
  const net = require('node:net'); const crypto = require('node:crypto');
  const data = crypto.randomBytes(${bytes}); const chunks = [];
  const s = net.connect(7000, '${address}', () => s.end(data));
  s.setTimeout(${timeoutMs}, () => { console.log('timeout'); process.exit(0); });
  s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });
  s.on('data', (c) => chunks.push(c));
  s.on('end', () => { const back = Buffer.concat(chunks); console.log(back.equals(data) ? 'ok ' + back.length : 'corrupt'); });`;

/** Sends 20 UDP datagrams and prints how many came back. */
const udpClient = (address: string) => `
  const dgram = require('node:dgram'); const u = dgram.createSocket('udp4'); let got = 0;
  u.on('message', () => { if (++got === 20) { console.log(got); process.exit(0); } });
  for (let i = 0; i < 20; i++) u.send(Buffer.from('datagram ' + i), 7000, '${address}');
  setTimeout(() => { console.log(got); process.exit(0); }, 3000);`;

interface Variant {
  readonly title: string;
  readonly pipeline: PipelineFiles | undefined;
  /** The route entity towards a host behind `port`, whose MAC is `hostMac`. */
  readonly route: (
    build: EntityBuilder,
    subnet: number,
    port: number,
    hostMac: bigint,
  ) => ReturnType<EntityBuilder['tableEntry']>;
  /** The MAC the hosts send to (their gateway's neighbour entry): the other host's, or the switch's. */
  readonly gatewayMac: (otherHostMac: string) => string;
}

const variants: Variant[] = [
  {
    title: 'the conformance fixture (LPM forwarding, frames unchanged)',
    pipeline: fixturePipeline(),
    route: (build, subnet, port) =>
      build.tableEntry('FixtureIngress.route_table', {
        match: { dst_addr: { lpm: subnet, prefixLen: 24 } },
        action: { name: 'FixtureIngress.forward', params: { port } },
      }),
    // The fixture rewrites no destination MAC: hosts address the far host directly.
    gatewayMac: (other) => other,
  },
  {
    title: 'the project pipeline (l3_forward to external hosts)',
    pipeline: talariaPipeline(),
    route: (build, subnet, port, hostMac) =>
      build.tableEntry('TalariaIngress.l3_forward', {
        match: { dst_addr: { lpm: subnet, prefixLen: 24 } },
        action: {
          name: 'TalariaIngress.forward_to_external',
          params: { port, smac: switchMac, dmac: hostMac },
        },
      }),
    gatewayMac: () => '02:00:00:00:00:fe',
  },
];

for (const variant of variants) {
  const body = () => {
    const prefix = `tlrsw${process.pid % 100_000}${variants.indexOf(variant)}`;
    const ns = { a: `${prefix}a`, b: `${prefix}b`, s: `${prefix}s` };
    const socket = `/tmp/${prefix}.sock`;
    // Only read when the block runs (a skipped block is still collected).
    const pipeline = variant.pipeline ?? fixturePipeline();
    const build = new EntityBuilder(new P4InfoNames(pipeline.p4info));
    const electionId = 1n;
    let switchProcess: ChildProcess | undefined;
    let server: ChildProcess | undefined;
    let driver: P4RuntimeDriver | undefined;
    const macs = { a: '', b: '' };
    let switchOutput = '';

    const write = (...updates: Parameters<typeof insert>[0][]) =>
      driver!.write({
        deviceId: '1',
        electionId: uint128(electionId),
        updates: updates.map(insert),
      });
    const routes = () => [
      variant.route(build, hostA.subnet, 1, BigInt(`0x${macs.a.replaceAll(':', '')}`)),
      variant.route(build, hostB.subnet, 2, BigInt(`0x${macs.b.replaceAll(':', '')}`)),
    ];

    beforeAll(async () => {
      for (const name of Object.values(ns)) {
        await run('ip', ['netns', 'add', name]);
        await run('ip', [
          'netns',
          'exec',
          name,
          'sysctl',
          '-qw',
          'net.ipv6.conf.all.disable_ipv6=1',
          'net.ipv6.conf.default.disable_ipv6=1',
        ]);
        await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
      }
      for (const [side, host, port] of [
        ['a', hostA, 'sa'],
        ['b', hostB, 'sb'],
      ] as const) {
        const hostNs = ns[side];
        await run('ip', [
          'link',
          'add',
          `${side}0`,
          'netns',
          hostNs,
          'type',
          'veth',
          'peer',
          'name',
          port,
          'netns',
          ns.s,
        ]);
        await run('ip', ['-n', ns.s, 'link', 'set', port, 'up']);
        await run('ip', ['-n', hostNs, 'link', 'set', `${side}0`, 'up']);
        await run('ip', ['-n', hostNs, 'addr', 'add', `${host.address}/24`, 'dev', `${side}0`]);
        // The switch sees frames as the host sent them: no checksum left to offload hardware.
        await run('ip', ['netns', 'exec', hostNs, 'ethtool', '-K', `${side}0`, 'tx', 'off']);
        const [link] = JSON.parse(
          (await run('ip', ['-n', hostNs, '-j', 'link', 'show', `${side}0`])).stdout,
        ) as {
          address: string;
        }[];
        macs[side] = link!.address;
      }
      for (const [side, host, other] of [
        ['a', hostA, hostB],
        ['b', hostB, hostA],
      ] as const) {
        const otherMac = side === 'a' ? macs.b : macs.a;
        await run('ip', [
          '-n',
          ns[side],
          'neigh',
          'add',
          host.gateway,
          'lladdr',
          variant.gatewayMac(otherMac),
          'dev',
          `${side}0`,
          'nud',
          'permanent',
        ]);
        await run('ip', [
          '-n',
          ns[side],
          'route',
          'add',
          `${other.address.replace(/\.\d+$/, '.0')}/24`,
          'via',
          host.gateway,
        ]);
      }

      switchProcess = spawn(
        'ip',
        [
          'netns',
          'exec',
          ns.s,
          process.execPath,
          talaria,
          'switch',
          '--grpc',
          `unix:${socket}`,
          '--device-id',
          '1',
          '--port',
          '1@sa',
          '--port',
          '2@sb',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      switchProcess.stderr!.on('data', (chunk: Buffer) => (switchOutput += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        switchProcess!.stdout!.on('data', (chunk: Buffer) => {
          switchOutput += chunk.toString();
          if (switchOutput.includes('serving P4Runtime')) resolve();
        });
        switchProcess!.once('exit', (code) =>
          reject(new Error(`talaria switch exited (${code}): ${switchOutput}`)),
        );
      });
      driver = P4RuntimeDriver.connect(`unix:${socket}`);
      const stream = driver.openStream();
      stream.arbitrate(1, electionId);
      expect(await stream.nextArbitrationCode()).toBe('OK');
      // The controller pushes the pipeline: the switch started without one.
      await driver.setPipeline({
        deviceId: '1',
        electionId: uint128(electionId),
        action: 'VERIFY_AND_COMMIT',
        config: { p4info: pipeline.p4info as never, p4DeviceConfig: pipeline.json },
      });
      await write(...routes());
      server = echoServer(ns.b, hostB.address);
      await once(server.stdout!, 'data');
    });

    afterAll(async () => {
      server?.kill('SIGKILL');
      driver?.close();
      if (switchProcess && switchProcess.exitCode === null) {
        switchProcess.kill('SIGKILL');
        await once(switchProcess, 'exit');
      }
      for (const name of Object.values(ns))
        await run('ip', ['netns', 'del', name]).catch(() => undefined);
      await rm(socket, { force: true });
    });

    it('carries a TCP connection (256 KiB echoed) between the namespaces', async () => {
      expect(await nodeIn(ns.a, tcpClient(hostB.address, 256 * 1024, 10_000))).toBe(
        `ok ${256 * 1024}`,
      );
    });

    it('carries UDP both ways', async () => {
      expect(await nodeIn(ns.a, udpClient(hostB.address))).toBe('20');
    });

    it('stops carrying traffic when the route is deleted, and carries it again when re-added', async () => {
      const [toB] = routes().slice(1);
      await driver!.write({
        deviceId: '1',
        electionId: uint128(electionId),
        updates: [remove(toB!)],
      });
      expect(await nodeIn(ns.a, tcpClient(hostB.address, 1000, 1_500))).toBe('timeout');
      await write(toB!);
      expect(await nodeIn(ns.a, tcpClient(hostB.address, 1000, 10_000))).toBe('ok 1000');
    });

    it('stops cleanly on SIGTERM, reporting what it forwarded', async () => {
      driver!.close();
      switchProcess!.kill('SIGTERM');
      const [code] = (await once(switchProcess!, 'exit')) as [number];
      expect(code).toBe(0);
      // Its last log line (JSON) says what it forwarded.
      const stopped = switchOutput
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg: string; framesIn?: number; framesOut?: number })
        .find((line) => line.msg === 'stopped');
      expect(stopped?.framesIn).toBeGreaterThan(100);
      expect(stopped?.framesOut).toBeGreaterThan(100);
    });
  };
  if (variant.pipeline)
    describeTier('kernel', `talaria switch on AF_PACKET ports: ${variant.title}`, body);
  else
    describe.skip(
      `talaria switch on AF_PACKET ports: ${variant.title} [skipped: p4/build/talaria.json not built]`,
      body,
    );
}

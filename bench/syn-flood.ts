/**
 * SYN flood against idle established connections: npm run bench:flood (root).
 *
 * In network namespaces (HostPathLab: two hosts, the switch stand-in between them), a
 * client pod on host 1 holds BENCH_HELD idle TCP connections to a Service whose backend
 * pod is on host 2. A second pod on host 1 then sends BENCH_SYNS TCP SYNs to the Service
 * (its own address, every one a new 5-tuple, over two Service ports), in batches paced by
 * the answers coming back (test/support/syn-flood.ts). Every SYN crosses host 1's
 * talaria_from_pod, the switch and host 2's talaria_from_uplink, and the backend pod's
 * SYN-ACK and the flooder's RST come back the same way.
 *
 * Printed: SYNs sent and answered, the flood's rate end to end (the lab's rate: veths, the
 * stand-in and both pods' kernels included), the hosts' programs' own time per packet
 * during the flood (kernel.bpf_stats_enabled) and the packet rate one core sustains at that
 * cost, the flow maps afterwards, and how many held connections still answer. The flow map
 * sizes are the agent's defaults unless BENCH_FLOWS / BENCH_HALF_OPEN say otherwise.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runHostCommand } from '../src/agent/host-command.ts';
import { HeldConnection, startEchoServer } from '../test/support/echo-traffic.ts';
import { HostPathLab } from '../test/support/host-path-lab.ts';
import { synFlood } from '../test/support/syn-flood.ts';
import { tiers } from '../test/support/tiers.ts';

const SYNS = Number(process.env.BENCH_SYNS ?? 70_000);
const HELD = Number(process.env.BENCH_HELD ?? 8);
const FLOWS = process.env.BENCH_FLOWS;
const HALF_OPEN = process.env.BENCH_HALF_OPEN;
const VIP = '10.96.0.40';
const TAG_KEY = 0x51f100d5n;

async function programRuns(lab: HostPathLab): Promise<{ ns: number; runs: number }> {
  const total = { ns: 0, runs: 0 };
  for (const host of lab.hosts) {
    const progs = join(host.datapath.root, 'progs');
    for (const generation of await readdir(progs)) {
      for (const object of await readdir(join(progs, generation))) {
        for (const program of await readdir(join(progs, generation, object))) {
          const pin = join(progs, generation, object, program);
          const { stdout } = await runHostCommand(['bpftool', '-j', 'prog', 'show', 'pinned', pin]);
          const info = JSON.parse(stdout) as { run_time_ns?: number; run_cnt?: number };
          total.ns += info.run_time_ns ?? 0;
          total.runs += info.run_cnt ?? 0;
        }
      }
    }
  }
  return total;
}

async function main(): Promise<void> {
  if (!tiers.kernel.available) {
    console.log(`bench:flood needs the kernel tier: ${tiers.kernel.reason}`);
    return;
  }
  const agentArgs = [
    ...(FLOWS ? ['--client-flows', FLOWS, '--backend-flows', FLOWS] : []),
    ...(HALF_OPEN ? ['--half-open-flows', HALF_OPEN] : []),
  ];
  const { stdout: statsBefore } = await runHostCommand([
    'sysctl',
    '-n',
    'kernel.bpf_stats_enabled',
  ]);
  const lab = await HostPathLab.create('flood', { hosts: 2, tagKey: TAG_KEY, agentArgs });
  const held: HeldConnection[] = [];
  try {
    await runHostCommand(['sysctl', '-qw', 'kernel.bpf_stats_enabled=1']);
    const [h1, h2] = [lab.host(1), lab.host(2)];
    const frontends = [80, 81].map((port) => ({ ip: VIP, protocol: 'TCP' as const, port }));
    for (const host of [h1, h2]) await lab.writeFrontends(host, frontends);
    const client = await lab.addPod(h1, 'client');
    const flooder = await lab.addPod(h1, 'flooder');
    const server = await lab.addPod(h2, 'server');
    await lab.setSwitchFrontends(
      [80, 81].map((port, i) => ({
        vip: VIP,
        port,
        protocol: 'TCP' as const,
        serviceId: i + 1,
        backends: [{ addr: server.ip, port: 8080 }],
      })),
    );
    await startEchoServer(lab.lab, server.netns, { tcp: 8080, udp: 5353 });
    for (const host of [h1, h2]) await lab.startAgent(host);
    for (let i = 0; i < HELD; i++) {
      const connection = await HeldConnection.open(lab.lab, client.netns, {
        host: VIP,
        port: 80,
        localPort: 30_000 + i,
      });
      held.push(connection);
      await connection.roundTrip(`hello ${i}`);
    }

    const runs0 = await programRuns(lab);
    const flood = await synFlood(lab.lab, flooder, { dst: VIP, dstPorts: [80, 81], count: SYNS });
    const runs1 = await programRuns(lab);
    const nsPerPacket = (runs1.ns - runs0.ns) / Math.max(1, runs1.runs - runs0.runs);

    // The entries first: a round trip would make the hosts learn them again.
    const isHeld = (f: { key: { clientAddr: string } }) => f.key.clientAddr === client.ip;
    const clientFlows = (await h1.datapath.readFlows('client')).filter(isHeld).length;
    const backendFlows = (await h2.datapath.readFlows('backend')).filter(isHeld).length;
    let alive = 0;
    for (const [i, connection] of held.entries()) {
      const answer = await connection.roundTrip(`again ${i}`, 5_000).catch(() => undefined);
      if (answer === `again ${i}`) alive++;
    }
    const halfOpen = [
      (await h1.datapath.readFlows('client-half')).length,
      (await h2.datapath.readFlows('backend-half')).length,
    ];

    const load = (await runHostCommand(['cat', '/proc/loadavg'])).stdout.split(' ').slice(0, 3);
    console.log(
      `SYN flood (load average ${load.join(' ')}; maps: ${agentArgs.join(' ') || 'agent defaults'})`,
    );
    console.log(`| figure | value |`);
    console.log(`|---|---:|`);
    const row = (name: string, value: string) => console.log(`| ${name} | ${value} |`);
    row('SYNs sent', flood.sent.toLocaleString('en-US'));
    row('SYNs answered (crossed both hosts and back)', flood.answered.toLocaleString('en-US'));
    row('flood duration s', flood.seconds.toFixed(2));
    row(
      'SYNs/s end to end (lab)',
      Math.round(flood.answered / flood.seconds).toLocaleString('en-US'),
    );
    row('host programs ns/packet during the flood', nsPerPacket.toFixed(0));
    row(
      'packets/s one core runs the host programs at that cost',
      Math.round(1e9 / nsPerPacket).toLocaleString('en-US'),
    );
    row('half-open entries after (client host, backend host)', halfOpen.join(', '));
    row('held connections with their client entry', `${clientFlows}/${HELD}`);
    row('held connections with their backend entry', `${backendFlows}/${HELD}`);
    row('held connections still answering', `${alive}/${HELD}`);
  } finally {
    for (const connection of held) await connection.close();
    await runHostCommand(['sysctl', '-qw', `kernel.bpf_stats_enabled=${statsBefore.trim()}`]).catch(
      () => undefined,
    );
    await lab.cleanup();
  }
}

await main();

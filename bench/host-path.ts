/**
 * Host fast path benchmark (docs/benchmarks.md): npm run bench:host
 *
 * In network namespaces (tests' HostPathLab: two hosts, a client pod on host 1, a server
 * pod on host 2, a switch namespace between them), the same Service traffic goes either
 *   - iptables: the kernel path through a kube-proxy-style ruleset on host 1 (KUBE-SERVICES
 *     with one rule per Service port, KUBE-SVC chains with `statistic --mode random`,
 *     KUBE-SEP chains with DNAT) of 1, 1,000 and 10,000 Services, the measured Service
 *     last in KUBE-SERVICES (the longest walk); or
 *   - eBPF: the Talaria fast path (`talaria agent` on both hosts, every Service offloaded),
 *     the same ruleset still loaded on host 1 and bypassed.
 * For each, it measures new connections per second (wrk, one request per connection, to a
 * tiny HTTP responder), request/response latency (sockperf TCP ping-pong over one
 * connection to the VIP) and the machine's system+softirq CPU during the wrk run.
 *
 * What stands in for the switch: bpf/tests/switch_standin.c, a TC program on the switch
 * namespace's ports (eBPF path: load balancing, cookie stamping and checking, address
 * rewrite and routing; iptables path: plain routing). Both paths cross the same two veth
 * hops through it. Its run time is measured with kernel.bpf_stats_enabled and reported in
 * its own column, and subtracted from the host CPU figure; the veth hops are the wire and
 * counted as neither.
 *
 * The hosts' own programs (talaria_from_pod, talaria_to_pod, talaria_from_uplink on both
 * hosts) are timed the same way: their run time over their runs during the wrk run is the
 * "host prog ns/pkt" column, the eBPF cost of one packet on one host.
 *
 * Every run is bounded: fixed durations (BENCH_SECONDS, default 5), BENCH_ROUNDS rounds
 * (default 2) per Service count with the paths alternating, timeouts on every tool; the
 * table gives the median of each figure. The machine is shared: CPU figures include other
 * tenants' system time, measured before each run and subtracted (idle baseline).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runHostCommand } from '../src/agent/host-command.ts';
import { firstLine } from '../test/support/echo-traffic.ts';
import { HostPathLab, type LabPod } from '../test/support/host-path-lab.ts';
import { tiers } from '../test/support/tiers.ts';

/** BENCH_SERVICES: the Service counts to measure, comma-separated (default 1,1000,10000). */
const SERVICE_COUNTS = (process.env.BENCH_SERVICES ?? '1,1000,10000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Rounds per Service count, the two paths alternating in order; the table shows medians. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const LATENCY_SECONDS = Math.max(2, Math.round(SECONDS / 2));
const WRK_CONNECTIONS = 32;
const MEASURED_VIP = '10.96.0.1';
const HTTP_PORT = 80;
const SOCKPERF_PORT = 11111;
const TAG_KEY = 0x7a1a7a1an;

/** A tiny HTTP/1.1 responder: one response per connection, two processes on one socket. */
const RESPONDER_C = String.raw`
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
  static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 4096)) { perror("listen"); return 1; }
  printf("ready\n");
  fflush(stdout);
  if (fork() == 0) prctl(PR_SET_PDEATHSIG, SIGKILL); /* the worker ends with the parent */
  for (;;) {
    char buf[2048];
    int c = accept(fd, NULL, NULL);
    if (c < 0) continue;
    if (read(c, buf, sizeof(buf)) > 0) write(c, reply, sizeof(reply) - 1);
    close(c);
  }
}
`;

interface Row {
  services: number;
  path: 'iptables' | 'eBPF';
  connPerSec: number;
  latencyP50: number;
  latencyP99: number;
  hostCpuPercent: number;
  hostCpuUsPerConn: number;
  switchUsPerConn: number;
  hostProgNsPerPacket: number;
  restoreSeconds: number;
}

function serviceVip(i: number): string {
  // 10.96.0.1 is the measured Service; the others count up from 10.96.0.2.
  return `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

/** kube-proxy's nat table for `count` Services; the measured one (2 ports) is the last. */
function kubeProxyRules(count: number, server: LabPod): string {
  const chains: string[] = [
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    ':KUBE-POSTROUTING - [0:0]',
  ];
  const rules: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE',
  ];
  const service = (name: string, vip: string, port: number, endpoints: string[]) => {
    const svc = `KUBE-SVC-${name}`;
    chains.push(`:${svc} - [0:0]`);
    rules.push(
      `-A KUBE-SERVICES -d ${vip}/32 -p tcp -m comment --comment "bench/${name} cluster IP" -m tcp --dport ${port} -j ${svc}`,
      `-A ${svc} ! -s 10.200.0.0/16 -d ${vip}/32 -p tcp -m tcp --dport ${port} -j KUBE-MARK-MASQ`,
    );
    endpoints.forEach((endpoint, i) => {
      const sep = `KUBE-SEP-${name}-${i}`;
      chains.push(`:${sep} - [0:0]`);
      const left = endpoints.length - i;
      rules.push(
        left > 1
          ? `-A ${svc} -m statistic --mode random --probability ${(1 / left).toFixed(11)} -j ${sep}`
          : `-A ${svc} -j ${sep}`,
        `-A ${sep} -s ${endpoint.split(':')[0]}/32 -j KUBE-MARK-MASQ`,
        `-A ${sep} -p tcp -m tcp -j DNAT --to-destination ${endpoint}`,
      );
    });
  };
  for (let i = 1; i < count; i++) {
    service(`S${i}`, serviceVip(i), 80, [
      `10.200.2.${200 + (i % 50)}:8080`,
      `10.200.2.${250 - (i % 50)}:8080`,
    ]);
  }
  service('MEASURED-HTTP', MEASURED_VIP, HTTP_PORT, [`${server.ip}:8080`]);
  service('MEASURED-RR', MEASURED_VIP, SOCKPERF_PORT, [`${server.ip}:${SOCKPERF_PORT}`]);
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ...chains,
    ...rules,
    'COMMIT',
    '',
  ].join('\n');
}

function frontendsOf(count: number) {
  const frontends = [
    { ip: MEASURED_VIP, protocol: 'TCP' as const, port: HTTP_PORT },
    { ip: MEASURED_VIP, protocol: 'TCP' as const, port: SOCKPERF_PORT },
  ];
  for (let i = 1; i < count; i++) frontends.push({ ip: serviceVip(i), protocol: 'TCP', port: 80 });
  return frontends;
}

/** Jiffies of the whole machine: system+irq+softirq, and all. */
async function cpuJiffies(): Promise<{ kernel: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .split(/\s+/)
    .slice(1)
    .map(Number) as number[];
  return {
    kernel: system! + irq! + softirq!,
    total: user! + nice! + system! + idle! + iowait! + irq! + softirq! + steal!,
  };
}

/** Total run time (ns) and runs of a pinned program (kernel.bpf_stats_enabled must be 1). */
async function programRuns(pin: string): Promise<{ ns: number; runs: number }> {
  const { stdout } = await runHostCommand(['bpftool', '-j', 'prog', 'show', 'pinned', pin]);
  const info = JSON.parse(stdout) as { run_time_ns?: number; run_cnt?: number };
  return { ns: info.run_time_ns ?? 0, runs: info.run_cnt ?? 0 };
}

async function programRunNs(pin: string): Promise<number> {
  return (await programRuns(pin)).ns;
}

/** The programs of every host's current generation, summed. */
async function hostProgramRuns(lab: HostPathLab): Promise<{ ns: number; runs: number }> {
  const total = { ns: 0, runs: 0 };
  for (const host of lab.hosts) {
    const progs = join(host.datapath.root, 'progs');
    for (const generation of await readdir(progs)) {
      for (const object of await readdir(join(progs, generation))) {
        for (const program of await readdir(join(progs, generation, object))) {
          const runs = await programRuns(join(progs, generation, object, program));
          total.ns += runs.ns;
          total.runs += runs.runs;
        }
      }
    }
  }
  return total;
}

function parseWrk(out: string): number {
  const match = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!match) throw new Error(`wrk: no Requests/sec in its output:\n${out}`);
  return Number(match[1]);
}

function parseSockperf(out: string): { p50: number; p99: number } {
  const percentile = (p: string) => {
    const match = new RegExp(`percentile ${p} =\\s+([\\d.]+)`).exec(out);
    if (!match) throw new Error(`sockperf: no percentile ${p} in its output:\n${out}`);
    return Number(match[1]);
  };
  return { p50: percentile('50.000'), p99: percentile('99.000') };
}

let loadAverageAtStart = '';

async function main(): Promise<void> {
  loadAverageAtStart = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  if (!tiers.kernel.available) {
    console.log(`bench:host needs the kernel tier: ${tiers.kernel.reason}`);
    return;
  }
  const scratch = await mkdtemp(join(tmpdir(), 'talaria-bench-host-'));
  const responder = join(scratch, 'responder');
  await writeFile(`${responder}.c`, RESPONDER_C);
  await promisify(execFile)(process.env.CC || 'cc', ['-O2', '-o', responder, `${responder}.c`]);

  const { stdout: statsBefore } = await runHostCommand([
    'sysctl',
    '-n',
    'kernel.bpf_stats_enabled',
  ]);
  const lab = await HostPathLab.create('bench', { hosts: 2, tagKey: TAG_KEY });
  const rows: Row[] = [];
  try {
    await runHostCommand(['sysctl', '-qw', 'kernel.bpf_stats_enabled=1']);
    const [h1, h2] = [lab.host(1), lab.host(2)];
    for (const host of [h1, h2]) await lab.writeFrontends(host, []);
    const client = await lab.addPod(h1, 'client');
    const server = await lab.addPod(h2, 'server');
    await lab.setSwitchFrontends([
      {
        vip: MEASURED_VIP,
        port: HTTP_PORT,
        protocol: 'TCP',
        serviceId: 1,
        backends: [{ addr: server.ip, port: 8080 }],
      },
      {
        vip: MEASURED_VIP,
        port: SOCKPERF_PORT,
        protocol: 'TCP',
        serviceId: 2,
        backends: [{ addr: server.ip, port: SOCKPERF_PORT }],
      },
    ]);
    const http = lab.lab.spawn(server.netns, [responder, '8080']);
    if ((await firstLine(http, 'HTTP responder', 10_000)) !== 'ready')
      throw new Error('HTTP responder did not start');
    lab.lab.spawn(server.netns, [
      'sockperf',
      'server',
      '--tcp',
      '-i',
      '0.0.0.0',
      '-p',
      String(SOCKPERF_PORT),
    ]);
    const agents = await Promise.all([h1, h2].map((host) => lab.startAgent(host)));
    const switchPin = lab.standin.programPin;

    const measure = async (
      services: number,
      path: Row['path'],
      restoreSeconds: number,
    ): Promise<Row> => {
      // Warm up (ARP-free lab, but caches and the first connection's miss).
      await lab.lab.exec(
        client.netns,
        ['wrk', '-t1', '-c4', '-d1s', '-H', 'Connection: close', `http://${MEASURED_VIP}/`],
        { timeoutMs: 15_000 },
      );
      const idle0 = await cpuJiffies();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const idle1 = await cpuJiffies();
      const idleKernelShare =
        (idle1.kernel - idle0.kernel) / Math.max(1, idle1.total - idle0.total);

      const cpu0 = await cpuJiffies();
      const switch0 = await programRunNs(switchPin);
      const host0 = await hostProgramRuns(lab);
      const { stdout } = await lab.lab.exec(
        client.netns,
        [
          'wrk',
          '-t1',
          `-c${WRK_CONNECTIONS}`,
          `-d${SECONDS}s`,
          '-H',
          'Connection: close',
          `http://${MEASURED_VIP}/`,
        ],
        { timeoutMs: (SECONDS + 30) * 1_000 },
      );
      const switch1 = await programRunNs(switchPin);
      const host1 = await hostProgramRuns(lab);
      const cpu1 = await cpuJiffies();
      const connPerSec = parseWrk(stdout);
      const connections = connPerSec * SECONDS;
      const totalJiffies = Math.max(1, cpu1.total - cpu0.total);
      const kernelJiffies = Math.max(0, cpu1.kernel - cpu0.kernel - idleKernelShare * totalJiffies);
      const jiffyUs = 1e6 / 100; // USER_HZ
      const switchUs = (switch1 - switch0) / 1_000;
      const hostKernelUs = Math.max(0, kernelJiffies * jiffyUs - switchUs);

      const rr = await lab.lab.exec(
        client.netns,
        [
          'sockperf',
          'ping-pong',
          '--tcp',
          '-i',
          MEASURED_VIP,
          '-p',
          String(SOCKPERF_PORT),
          '-t',
          String(LATENCY_SECONDS),
        ],
        { timeoutMs: (LATENCY_SECONDS + 30) * 1_000 },
      );
      const latency = parseSockperf(rr.stdout + rr.stderr);
      return {
        services,
        path,
        connPerSec,
        latencyP50: latency.p50,
        latencyP99: latency.p99,
        hostCpuPercent: (100 * hostKernelUs) / (jiffyUs * totalJiffies),
        hostCpuUsPerConn: hostKernelUs / Math.max(1, connections),
        switchUsPerConn: switchUs / Math.max(1, connections),
        hostProgNsPerPacket: (host1.ns - host0.ns) / Math.max(1, host1.runs - host0.runs),
        restoreSeconds,
      };
    };

    let written = JSON.stringify([]);
    const switchMode = async (path: Row['path'], count: number) => {
      const frontends = path === 'eBPF' ? frontendsOf(count) : [];
      if (JSON.stringify(frontends) === written) return;
      written = JSON.stringify(frontends);
      for (const [i, host] of [h1, h2].entries()) {
        const agent = agents[i]!;
        const from = agent.events.length;
        await lab.writeFrontends(host, frontends);
        await agent.waitFor(
          (e) => e.event === 'vips-synced' && e.total === frontends.length,
          120_000,
          from,
        );
      }
    };

    for (const count of SERVICE_COUNTS) {
      const started = process.hrtime.bigint();
      await lab.lab.exec(h1.netns, ['iptables-restore'], {
        input: kubeProxyRules(count, server),
        timeoutMs: 300_000,
      });
      const restoreSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const runs: Record<Row['path'], Row[]> = { iptables: [], eBPF: [] };
      for (let round = 0; round < ROUNDS; round++) {
        const order =
          round % 2 === 0 ? (['iptables', 'eBPF'] as const) : (['eBPF', 'iptables'] as const);
        for (const path of order) {
          await switchMode(path, count);
          const row = await measure(count, path, restoreSeconds);
          runs[path].push(row);
          console.error(
            `round ${round + 1}, ${count} services, ${path}: ${Math.round(row.connPerSec)} conn/s`,
          );
        }
      }
      rows.push(medianRow(runs.iptables), medianRow(runs.eBPF));
    }
  } finally {
    await runHostCommand(['sysctl', '-qw', `kernel.bpf_stats_enabled=${statsBefore.trim()}`]).catch(
      () => undefined,
    );
    await lab.cleanup();
    await rm(scratch, { recursive: true, force: true });
  }
  printTable(rows);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Each figure's median over the rounds of one Service count and path. */
function medianRow(runs: readonly Row[]): Row {
  const first = runs[0]!;
  const of = (field: keyof Row) => median(runs.map((r) => r[field] as number));
  return {
    services: first.services,
    path: first.path,
    connPerSec: of('connPerSec'),
    latencyP50: of('latencyP50'),
    latencyP99: of('latencyP99'),
    hostCpuPercent: of('hostCpuPercent'),
    hostCpuUsPerConn: of('hostCpuUsPerConn'),
    switchUsPerConn: of('switchUsPerConn'),
    hostProgNsPerPacket: of('hostProgNsPerPacket'),
    restoreSeconds: first.restoreSeconds,
  };
}

function printTable(rows: readonly Row[]): void {
  const header = [
    'services',
    'path',
    'conn/s',
    'RR p50 us',
    'RR p99 us',
    'host sys+si %',
    'host CPU us/conn',
    'switch us/conn',
    'host prog ns/pkt',
    'iptables-restore s',
  ];
  const cells = rows.map((r) => [
    String(r.services),
    r.path,
    Math.round(r.connPerSec).toLocaleString('en-US'),
    r.latencyP50.toFixed(1),
    r.latencyP99.toFixed(1),
    r.hostCpuPercent.toFixed(1),
    r.hostCpuUsPerConn.toFixed(1),
    r.switchUsPerConn.toFixed(2),
    r.hostProgNsPerPacket.toFixed(0),
    r.restoreSeconds.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padStart(widths[i]!)).join(' | ')} |`;
  console.log(
    `Host fast path: medians of ${ROUNDS} rounds; ${SECONDS} s wrk runs (${WRK_CONNECTIONS} connections, ` +
      `one request each), ${LATENCY_SECONDS} s sockperf TCP ping-pong (one-way = RTT/2); ` +
      `load average at start ${loadAverageAtStart}`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) console.log(line(c));
  console.log(
    'switch: bpf/tests/switch_standin.c (TC, its own namespace), its program time in "switch us/conn", not in host CPU.',
  );
}

await main();

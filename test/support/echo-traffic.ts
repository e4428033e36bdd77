import type { ChildProcess } from 'node:child_process';
import { z } from 'zod';
import { stopChild, type NetnsLab } from './netns.ts';

/**
 * Real TCP and UDP traffic between pods (namespaces): an echo server and echo clients,
 * small Node scripts run with `node -e` inside the namespaces. Each client reports one
 * JSON line: how many messages it sent and got back, and why it stopped.
 */

const ECHO_SERVER = `
const net = require('net'), dgram = require('dgram');
const [tcpPort, udpPort] = process.argv.slice(1).map(Number);
let pending = 2;
const ready = () => { if (--pending === 0) console.log('ready'); };
net.createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(tcpPort, '0.0.0.0', ready);
const udp = dgram.createSocket('udp4');
udp.on('message', (m, r) => udp.send(m, r.port, r.address));
udp.bind(udpPort, '0.0.0.0', ready);
`;

const TCP_CLIENT = `
const net = require('net');
const [host, port, count, intervalMs, localPort] = process.argv.slice(1);
const total = Number(count);
let sent = 0, got = 0, buffered = '', done = false;
const finish = (reason) => {
  if (done) return;
  done = true;
  console.log(JSON.stringify({ sent, got, reason }));
  process.exit(0);
};
const socket = net.connect({ host, port: Number(port), localPort: Number(localPort) || undefined });
socket.setNoDelay(true);
setTimeout(() => finish('timeout'), total * Number(intervalMs) + 10000);
socket.on('connect', () => {
  const timer = setInterval(() => {
    if (sent === total) return clearInterval(timer);
    socket.write('ping ' + sent++ + '\\n');
  }, Number(intervalMs));
});
socket.on('data', (chunk) => {
  buffered += chunk;
  const lines = buffered.split('\\n');
  buffered = lines.pop();
  got += lines.length;
  if (got === total) { socket.end(); finish('done'); }
});
socket.on('error', (e) => finish('error: ' + e.code));
socket.on('close', () => finish('closed'));
`;

const UDP_CLIENT = `
const dgram = require('dgram');
const [host, port, count, intervalMs, localPort] = process.argv.slice(1);
const total = Number(count);
let sent = 0, got = 0;
const socket = dgram.createSocket('udp4');
const finish = (reason) => { console.log(JSON.stringify({ sent, got, reason })); process.exit(0); };
socket.on('message', () => { if (++got === total) finish('done'); });
socket.bind(Number(localPort) || 0, () => {
  const timer = setInterval(() => {
    if (sent === total) { clearInterval(timer); setTimeout(() => finish('timeout'), 3000); return; }
    socket.send('ping ' + sent++, Number(port), host);
  }, Number(intervalMs));
});
`;

const clientReportSchema = z.object({ sent: z.number(), got: z.number(), reason: z.string() });
export type EchoReport = z.infer<typeof clientReportSchema>;

/** The first line a process prints, or a rejection naming `what` if it exits or times out first. */
export function firstLine(child: ChildProcess, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`${what}: no output after ${timeoutMs} ms ${err}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, newline));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited ${code} before reporting: ${err.trim()}`));
    });
  });
}

/** Starts a TCP and UDP echo server in a namespace; resolves once both listen. */
export async function startEchoServer(
  lab: NetnsLab,
  netns: string,
  ports: { tcp: number; udp: number },
): Promise<ChildProcess> {
  const child = lab.spawn(netns, ['node', '-e', ECHO_SERVER, String(ports.tcp), String(ports.udp)]);
  const line = await firstLine(child, `echo server in ${netns}`, 10_000);
  if (line !== 'ready') throw new Error(`echo server in ${netns}: ${line}`);
  return child;
}

export interface EchoClientOptions {
  readonly protocol: 'TCP' | 'UDP';
  readonly host: string;
  readonly port: number;
  readonly count: number;
  readonly intervalMs: number;
  /** Fixed source port, to know the flow's 5-tuple; default: the kernel's choice. */
  readonly localPort?: number;
}

/**
 * Starts an echo client: TCP sends `count` lines on one connection, UDP `count` datagrams
 * from one socket, one per interval. `report` resolves with what came back.
 */
export function startEchoClient(
  lab: NetnsLab,
  netns: string,
  options: EchoClientOptions,
): { child: ChildProcess; report: Promise<EchoReport> } {
  const script = options.protocol === 'TCP' ? TCP_CLIENT : UDP_CLIENT;
  const child = lab.spawn(netns, [
    'node',
    '-e',
    script,
    options.host,
    String(options.port),
    String(options.count),
    String(options.intervalMs),
    String(options.localPort ?? 0),
  ]);
  const bound = options.count * options.intervalMs + 20_000;
  const report = firstLine(child, `${options.protocol} client in ${netns}`, bound).then((line) =>
    clientReportSchema.parse(JSON.parse(line)),
  );
  return { child, report };
}

/** Runs an echo client to the end. */
export function echo(
  lab: NetnsLab,
  netns: string,
  options: EchoClientOptions,
): Promise<EchoReport> {
  return startEchoClient(lab, netns, options).report;
}

const HELD_CLIENT = `
const net = require('net'), readline = require('readline');
const [host, port, localPort] = process.argv.slice(1);
const socket = net.connect({ host, port: Number(port), localPort: Number(localPort) });
socket.setNoDelay(true);
let buffered = '';
socket.on('connect', () => console.log('connected'));
socket.on('data', (chunk) => {
  buffered += chunk;
  const lines = buffered.split('\\n');
  buffered = lines.pop();
  for (const line of lines) console.log('echo ' + line);
});
socket.on('error', (e) => { console.log('closed ' + e.code); process.exit(0); });
socket.on('close', () => { console.log('closed'); process.exit(0); });
readline.createInterface({ input: process.stdin }).on('line', (line) => socket.write(line + '\\n'));
`;

/**
 * A TCP connection held open by a client in `netns`, to be left idle and used again later:
 * `roundTrip(text)` sends one line and resolves with its echo, or rejects when the connection
 * closes or nothing comes back within `timeoutMs`.
 */
export class HeldConnection {
  private readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly child: ChildProcess) {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      this.lines.push(...lines);
      for (const wake of this.waiters) wake();
    });
    child.once('exit', () => {
      this.lines.push('closed (client exited)');
      for (const wake of this.waiters) wake();
    });
  }

  static async open(
    lab: NetnsLab,
    netns: string,
    options: { host: string; port: number; localPort: number },
  ): Promise<HeldConnection> {
    const child = lab.spawn(
      netns,
      ['node', '-e', HELD_CLIENT, options.host, String(options.port), String(options.localPort)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const held = new HeldConnection(child);
    const first = await held.next(10_000);
    if (first !== 'connected') throw new Error(`held connection in ${netns}: ${first}`);
    return held;
  }

  private next(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.shift();
        if (line === undefined) return;
        cleanup();
        resolve(line);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`held connection: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  async roundTrip(text: string, timeoutMs = 10_000): Promise<string> {
    this.child.stdin?.write(`${text}\n`);
    const line = await this.next(timeoutMs);
    if (!line.startsWith('echo ')) throw new Error(`held connection: ${line}`);
    return line.slice('echo '.length);
  }

  async close(): Promise<void> {
    await stopChild(this.child, 2_000);
  }
}

import type { ChildProcess } from 'node:child_process';
import { z } from 'zod';
import type { NetnsLab } from './netns.ts';

/**
 * Many long-lived TCP connections from one process in a namespace, checked in rounds: on
 * each round every connection still open sends one line and waits for its echo; the round
 * reports which came back and which broke (reset, closed, or no echo within the bound).
 * Rounds are driven over stdin, so a test checks the connections right after each change
 * it makes, without sleeping.
 */

const POOL = `
const net = require('net');
const [host, port, count, firstPort, echoBoundMs] = process.argv.slice(1).map((v, i) => i === 0 ? v : Number(v));
const conns = [];
const broken = new Map();
let opened = 0;
for (let i = 0; i < count; i++) {
  const localPort = firstPort + i;
  const c = { localPort, socket: undefined, buffered: '', waiting: undefined };
  const fail = (reason) => {
    if (!broken.has(localPort)) broken.set(localPort, reason);
    if (c.waiting) { const w = c.waiting; c.waiting = undefined; w(false); }
  };
  c.socket = net.connect({ host, port, localPort }, () => { if (++opened === count) report({ ready: true }); });
  c.socket.setNoDelay(true);
  c.socket.on('data', (chunk) => {
    c.buffered += chunk;
    if (c.buffered.includes('\\n') && c.waiting) { c.buffered = ''; const w = c.waiting; c.waiting = undefined; w(true); }
  });
  c.socket.on('error', (e) => fail('error ' + e.code));
  c.socket.on('close', () => fail('closed'));
  conns.push(c);
}
function report(fields) {
  console.log(JSON.stringify({ ...fields, broken: [...broken].map(([port, reason]) => ({ port, reason })) }));
}
setTimeout(() => { if (opened < count) report({ ready: false }); }, 20000);
let input = '';
process.stdin.on('data', async (chunk) => {
  input += chunk;
  let newline;
  while ((newline = input.indexOf('\\n')) >= 0) {
    const line = input.slice(0, newline);
    input = input.slice(newline + 1);
    if (line === 'end') { for (const c of conns) c.socket.destroy(); process.exit(0); }
    const round = Number(line.split(' ')[1]);
    const results = await Promise.all(conns.filter((c) => !broken.has(c.localPort)).map((c) => new Promise((resolve) => {
      const timer = setTimeout(() => { c.waiting = undefined; broken.set(c.localPort, 'no echo'); resolve(false); }, echoBoundMs);
      c.waiting = (ok) => { clearTimeout(timer); resolve(ok); };
      c.socket.write('round ' + round + '\\n');
    })));
    report({ round, echoed: results.filter(Boolean).length });
  }
});
`;

const reportSchema = z.object({
  ready: z.boolean().optional(),
  round: z.number().optional(),
  echoed: z.number().optional(),
  broken: z.array(z.object({ port: z.number(), reason: z.string() })),
});
export type PoolReport = z.infer<typeof reportSchema>;

export class ConnectionPool {
  private lines: string[] = [];
  private waiter: ((line: string) => void) | undefined;
  private rounds = 0;

  private constructor(
    private readonly child: ChildProcess,
    /** The client ports of the connections, in order. */
    readonly ports: readonly number[],
  ) {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      let newline;
      while ((newline = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, newline);
        out = out.slice(newline + 1);
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          w(line);
        } else this.lines.push(line);
      }
    });
  }

  /** Opens `count` connections from client ports firstPort.. to host:port; resolves when all are up. */
  static async open(
    lab: NetnsLab,
    netns: string,
    options: { host: string; port: number; count: number; firstPort: number },
  ): Promise<ConnectionPool> {
    const child = lab.spawn(
      netns,
      [
        'node',
        '-e',
        POOL,
        options.host,
        String(options.port),
        String(options.count),
        String(options.firstPort),
        '5000',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const ports = Array.from({ length: options.count }, (_, i) => options.firstPort + i);
    const pool = new ConnectionPool(child, ports);
    const first = await pool.next(30_000);
    if (first.ready !== true || first.broken.length > 0)
      throw new Error(`connection pool did not open: ${JSON.stringify(first)}`);
    return pool;
  }

  /** One round: every connection still open sends a line; resolves with what broke so far. */
  async round(): Promise<PoolReport> {
    const round = ++this.rounds;
    this.child.stdin!.write(`round ${round}\n`);
    for (;;) {
      const report = await this.next(60_000);
      if (report.round === round) return report;
    }
  }

  close(): void {
    this.child.stdin!.end('end\n');
  }

  private next(timeoutMs: number): Promise<PoolReport> {
    const parse = (line: string) => reportSchema.parse(JSON.parse(line));
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(parse(queued));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`connection pool: no report after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (line) => {
        clearTimeout(timer);
        try {
          resolve(parse(line));
        } catch (error) {
          reject(error as Error);
        }
      };
    });
  }
}

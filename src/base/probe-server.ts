import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A named readiness check; the answer says only which checks failed, never why. */
export type Check = () => boolean;

export interface ProbeServerOptions {
  /** host:port; port 0 picks a free one. */
  readonly listen: string;
  /** Liveness: the process works (its event loop answers) and has not given up. */
  readonly live: Check;
  /** Readiness checks by name (caches synced, switches reachable, ...). */
  readonly ready: Readonly<Record<string, Check>>;
  /** The /metrics body (Prometheus text format), read when scraped. */
  readonly metrics: () => string | Promise<string>;
}

/**
 * The operations endpoints, started before anything else (so that a slow start is
 * visible): /healthz (liveness), /readyz (readiness; `?verbose` lists each check as
 * ok/failed) and /metrics.
 */
export class ProbeServer {
  private constructor(private readonly server: Server) {}

  static async start(options: ProbeServerOptions): Promise<ProbeServer> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://probe');
      const text = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
        res.writeHead(code, { 'Content-Type': type });
        res.end(body);
      };
      if (req.method !== 'GET') return text(405, 'method not allowed\n');
      switch (url.pathname) {
        case '/healthz':
          return options.live() ? text(200, 'ok\n') : text(500, 'unhealthy\n');
        case '/readyz': {
          const results = Object.entries(options.ready).map(
            ([name, check]) => [name, check()] as const,
          );
          const ready = results.every(([, ok]) => ok);
          const body = url.searchParams.has('verbose')
            ? results
                .map(([name, ok]) => `[${ok ? '+' : '-'}]${name} ${ok ? 'ok' : 'failed'}`)
                .join('\n') + '\n'
            : ready
              ? 'ok\n'
              : 'not ready\n';
          return text(ready ? 200 : 503, body);
        }
        case '/metrics':
          void Promise.resolve()
            .then(options.metrics)
            .then(
              (body) => text(200, body, 'text/plain; version=0.0.4; charset=utf-8'),
              // The cause goes to the owner's log, never into a public answer.
              () => text(500, 'metrics unavailable\n'),
            );
          return;
        default:
          return text(404, 'not found\n');
      }
    });
    const separator = options.listen.lastIndexOf(':');
    const host = options.listen.slice(0, separator).replace(/^\[|\]$/g, '');
    const port = Number(options.listen.slice(separator + 1));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    return new ProbeServer(server);
  }

  get address(): string {
    const address = this.server.address() as AddressInfo;
    return address.family === 'IPv6'
      ? `[${address.address}]:${address.port}`
      : `${address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

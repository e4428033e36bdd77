import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll } from 'vitest';
import { startBmv2Container } from '../support/bmv2-container.ts';
import { Bmv2Switch } from '../support/bmv2-switch.ts';
import { defineReconcileSuite } from '../support/reconcile-suite.ts';
import { BMV2_IMAGE, describeTier } from '../support/tiers.ts';

// The reconciler's scenarios (test/support/reconcile-suite.ts) against a real
// simple_switch_grpc. A switch restart is a new BMv2 process; a relay on a fixed
// 127.0.0.1 port stands for the switch's address across restarts, as a switch's
// management address does.

/** A TCP relay whose upstream can be replaced; with none, connections are refused at once. */
class Relay {
  upstream: string | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {
    server.on('connection', (client) => {
      if (this.upstream === undefined) {
        client.resetAndDestroy();
        return;
      }
      const [host, port] = [
        this.upstream.slice(0, this.upstream.lastIndexOf(':')),
        Number(this.upstream.slice(this.upstream.lastIndexOf(':') + 1)),
      ];
      const upstream = connect({ host, port });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  static async listen(address = '127.0.0.1:0'): Promise<Relay> {
    const server = createServer();
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return new Relay(server);
  }

  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Points new connections at `upstream` (undefined: refuse) and resets the open ones. */
  switchTo(upstream: string | undefined): void {
    this.upstream = upstream;
    for (const socket of [...this.sockets]) socket.resetAndDestroy();
  }

  async close(): Promise<void> {
    this.switchTo(undefined);
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const relays = new Map<string, Relay>();

afterAll(async () => {
  await Promise.all([...relays.values()].map((relay) => relay.close()));
});

describeTier('bmv2', 'reconciler on simple_switch_grpc', () => {
  defineReconcileSuite(
    'reconciler against simple_switch_grpc',
    {
      timeoutMs: 60_000,
      // PI answers a full table with its generic "Error when adding match entry to target".
      tableFullCode: 'UNKNOWN',
      noSecondSwitch: 'test/support/bmv2-switch.ts runs one simple_switch_grpc per test process',
      async start(address) {
        let relay = address === undefined ? undefined : relays.get(address);
        if (relay === undefined) {
          relay = await Relay.listen(address);
          relays.set(relay.address, relay);
        }
        const bmv2 = await Bmv2Switch.start({ ports: [] });
        relay.switchTo(bmv2.grpcAddress);
        const current = relay;
        return {
          address: relay.address,
          async stop() {
            current.switchTo(undefined);
            await bmv2.stop();
          },
        };
      },
    },
    Bmv2Switch.unavailableReason(),
  );
});

// The same scenarios against BMv2 in a container (testcontainers); one container per
// switch, so two switches run at once here.
describeTier('bmv2Container', `reconciler on a BMv2 container (${BMV2_IMAGE})`, () => {
  defineReconcileSuite(
    'reconciler against simple_switch_grpc in a container',
    {
      timeoutMs: 60_000,
      tableFullCode: 'UNKNOWN',
      async start(address) {
        let relay = address === undefined ? undefined : relays.get(address);
        if (relay === undefined) {
          relay = await Relay.listen(address);
          relays.set(relay.address, relay);
        }
        const bmv2 = await startBmv2Container();
        relay.switchTo(bmv2.grpcAddress);
        const current = relay;
        return {
          address: relay.address,
          async stop() {
            current.switchTo(undefined);
            await bmv2.stop();
          },
        };
      },
    },
    undefined,
  );
});

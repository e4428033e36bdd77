import { createServer, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseControllerConfig } from '../../src/controller/config.ts';
import { Controller } from '../../src/controller/controller.ts';
import { sampleCluster, sampleFabricConfig } from '../../src/controller/demo/sample-cluster.ts';
import { createLogger } from '../../src/base/logger.ts';
import { ApiClient } from '../../src/k8s/api-client.ts';
import { TestApiServer } from '../../src/k8s/testing/api-server.ts';
import { eventually, targetFor, type ApiTarget } from '../support/k8s-api-target.ts';

/** A local port with nothing listening: the switch is down for the whole test. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100, coalesceMs: 10 };

describe('controller assembly', () => {
  let server: TestApiServer;
  let config: ReturnType<typeof parseControllerConfig>;
  const controllers: Controller[] = [];
  const targets: ApiTarget[] = [];

  const start = async (identity: string, client = new ApiClient(server.kubeConfig())) => {
    const controller = await Controller.start({
      client,
      config,
      identity,
      logger: createLogger(identity, { level: 'error', trace: '' }),
      timing,
      httpListen: '127.0.0.1:0',
    });
    controllers.push(controller);
    return controller;
  };
  const probe = async (controller: Controller, path: string) => {
    const response = await fetch(`http://${controller.probeAddress}${path}`);
    return { status: response.status, body: await response.text() };
  };

  beforeEach(async () => {
    server = await TestApiServer.start();
    for (const object of sampleCluster()) server.apply(object);
    config = parseControllerConfig(
      JSON.stringify({
        ...sampleFabricConfig(await deadAddress()),
        leaderElection: { namespace: 'default' },
      }),
      'test',
    );
  });

  afterEach(async () => {
    for (const c of controllers.splice(0)) await c.stop();
    for (const t of targets.splice(0)) await t.stop();
    await server.stop();
  });

  it('computes the desired state before campaigning, and only the leader gets writers', async () => {
    const a = await start('replica-a');
    expect(a.pipeline.current()!.frontends.size).toBe(7);
    await eventually(() => expect(a.leadership).toEqual({ electionId: 1n, leaseTransitions: 0 }));
    const b = await start('replica-b');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.reconciler).toBeDefined();
    // Status and metrics name the switch as configured.
    expect(a.reconciler!.status().switches.map((s) => s.name)).toEqual(['tor1']);
    expect(b.reconciler).toBeUndefined();
    expect(b.pipeline.current()!.frontends.size).toBe(7);
  });

  it('serves /healthz, /readyz (with each check) and /metrics', async () => {
    const a = await start('replica-a');
    await eventually(() => expect(a.leadership).toBeDefined());
    const b = await start('replica-b');
    expect(await probe(a, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    // The leader's switch is down: not ready, and the verbose answer says which check.
    expect(await probe(a, '/readyz')).toEqual({ status: 503, body: 'not ready\n' });
    expect((await probe(a, '/readyz?verbose')).body).toBe(
      '[+]informers-synced ok\n[+]desired-state ok\n[-]switches-primary failed\n',
    );
    expect(await probe(b, '/readyz')).toEqual({ status: 200, body: 'ok\n' });
    const metrics = (await probe(a, '/metrics')).body;
    expect(metrics).toContain('talaria_leader 1');
    expect(metrics).toContain('talaria_model_frontends 7');
    expect(metrics).toMatch(/talaria_k8s_lists_total\{resource="services"\} 1/);
    expect(metrics).toContain('# TYPE talaria_reconcile_total counter');
    await eventually(async () =>
      expect((await probe(a, '/metrics')).body).toContain(
        'talaria_switch_primary{switch="tor1"} 0',
      ),
    );
    expect((await probe(b, '/metrics')).body).toContain('talaria_leader 0');
  });

  it('hands the switches over with a higher election id when the leader stops', async () => {
    const a = await start('replica-a');
    await eventually(() => expect(a.leadership).toBeDefined());
    const b = await start('replica-b');
    await a.stop();
    await eventually(() => expect(b.leadership).toEqual({ electionId: 2n, leaseTransitions: 1 }));
    expect(b.reconciler).toBeDefined();
  });

  it('closes its writers and reports the loss when it cannot renew the lease', async () => {
    const cutOff = await targetFor('a', server.kubeConfig(), undefined, async () => {});
    targets.push(cutOff);
    const a = await start('replica-a', new ApiClient(cutOff.proxiedKubeConfig(), 300));
    await eventually(() => expect(a.reconciler).toBeDefined());
    const lost = a.whenLeadershipLost();
    await cutOff.proxy.stop();
    expect(await lost).toMatch(/could not renew the lease/);
    expect(a.reconciler).toBeUndefined();
    expect(a.leadership).toBeUndefined();
  });

  it('records a NotOffloaded Event on a Service the switch cannot serve', async () => {
    const a = await start('replica-a');
    await eventually(() => expect(a.reconciler).toBeDefined());
    await eventually(() =>
      expect(
        server
          .list('Event')
          .map((e) => `${(e.regarding as { name: string }).name} ${e.reason}: ${e.note}`),
      ).toEqual(['api NotOffloaded: port 3868/SCTP: SCTP is not offloaded']),
    );
  });
});

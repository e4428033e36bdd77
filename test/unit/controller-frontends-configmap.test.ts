import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFrontendsFile } from '../../src/agent/frontends-file.ts';
import {
  FRONTENDS_CONFIGMAP,
  FRONTENDS_FILE_KEY,
  FrontendsConfigMap,
  offloadedFrontendsFile,
} from '../../src/controller/frontends-configmap.ts';
import type { Controller } from '../../src/controller/controller.ts';
import { sampleCluster } from '../../src/controller/demo/sample-cluster.ts';
import { createLogger } from '../../src/base/logger.ts';
import { ApiClient } from '../../src/k8s/api-client.ts';
import { TestApiServer } from '../../src/k8s/testing/api-server.ts';
import type { DesiredState, Frontend } from '../../src/model/desired-state.ts';
import { loadPipeline } from '../../src/softswitch/index.ts';
import { startSwitch } from '../../src/softswitch/p4runtime/software-switch.ts';
import { talariaPipeline } from '../support/conformance/pipelines.ts';
import { eventually } from '../support/eventually.ts';
import { startSampleController } from '../support/sample-controller.ts';

const frontend = (name: string, ip: string, port: number, family: 4 | 6 = 4): Frontend => ({
  key: `${ip}|TCP|${port}`,
  ip,
  family,
  protocol: 'TCP',
  port,
  kind: 'ClusterIP',
  service: { namespace: 'default', name, portName: 'http' },
  backends: [{ ip: '10.244.0.5', family, port: 8080, state: 'active', nodeName: 'node-0' }],
});

function stateOf(...frontends: Frontend[]): DesiredState {
  return {
    frontends: new Map(frontends.map((f) => [f.key, f])),
    routes: [],
    notOffloaded: [],
  };
}

describe('frontends ConfigMap for the host agents', () => {
  let server: TestApiServer;
  let publisher: FrontendsConfigMap;

  beforeEach(async () => {
    server = await TestApiServer.start();
    publisher = new FrontendsConfigMap(
      new ApiClient(server.kubeConfig()),
      'talaria-system',
      createLogger('test', { level: 'error', trace: '' }),
    );
  });

  afterEach(async () => {
    await server.stop();
  });

  const stored = () =>
    server.list('ConfigMap').find((c) => c.metadata.name === FRONTENDS_CONFIGMAP) as
      { metadata: { namespace: string }; data: Record<string, string> } | undefined;
  const writes = () =>
    server.requests.filter(
      (r) => r.resource === 'configmaps' && (r.method === 'POST' || r.method === 'PUT'),
    ).length;

  it('lists only the frontends of Service ports offloaded on every switch, in the agent format', () => {
    const state = stateOf(
      frontend('web', '10.96.0.20', 80),
      frontend('api', '10.96.0.10', 443),
      frontend('v6', 'fd00::10', 80, 6),
    );
    const text = offloadedFrontendsFile(state, [
      { service: { namespace: 'default', name: 'v6', portName: 'http' }, reason: 'IPv6' },
    ]);
    expect(JSON.parse(text)).toEqual({
      frontends: [
        { ip: '10.96.0.10', protocol: 'TCP', port: 443, family: 4 },
        { ip: '10.96.0.20', protocol: 'TCP', port: 80, family: 4 },
      ],
    });
    expect(parseFrontendsFile(text, 'test').map((e) => e.addr)).toEqual([
      '10.96.0.10',
      '10.96.0.20',
    ]);
  });

  it('creates the ConfigMap, then writes only when the text changes', async () => {
    const first = offloadedFrontendsFile(stateOf(frontend('web', '10.96.0.20', 80)), []);
    await publisher.publish(first);
    expect(stored()?.metadata.namespace).toBe('talaria-system');
    expect(stored()?.data[FRONTENDS_FILE_KEY]).toBe(first);
    expect(writes()).toBe(1);

    await publisher.publish(first);
    expect(writes()).toBe(1);

    const second = offloadedFrontendsFile(
      stateOf(frontend('web', '10.96.0.20', 80), frontend('api', '10.96.0.10', 443)),
      [],
    );
    await publisher.publish(second);
    expect(stored()?.data[FRONTENDS_FILE_KEY]).toBe(second);
    expect(writes()).toBe(2);
  });

  it('updates a ConfigMap it did not create, keeping its other keys, and retries a 409', async () => {
    server.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: FRONTENDS_CONFIGMAP, namespace: 'talaria-system' },
      data: { [FRONTENDS_FILE_KEY]: '{"frontends":[]}', note: 'kept' },
    });
    server.failNextRequests(1, 409, { method: 'PUT', resource: 'configmaps' });
    const text = offloadedFrontendsFile(stateOf(frontend('web', '10.96.0.20', 80)), []);
    await publisher.publish(text);
    expect(stored()?.data).toEqual({ [FRONTENDS_FILE_KEY]: text, note: 'kept' });
    expect(writes()).toBe(2);
  });

  it('writes nothing once closed (leadership lost)', async () => {
    publisher.close();
    await publisher.publish(offloadedFrontendsFile(stateOf(frontend('web', '10.96.0.20', 80)), []));
    expect(stored()).toBeUndefined();
  });
});

const files = talariaPipeline();
(files ? describe : describe.skip)(
  files
    ? 'the leader publishes the frontends ConfigMap'
    : 'frontends ConfigMap [skipped: p4/build not built]',
  () => {
    it('once the embedded switch has applied the desired state', async () => {
      const server = await TestApiServer.start();
      const device = await startSwitch({
        deviceId: 1n,
        grpcAddress: '127.0.0.1:0',
        ports: [],
        loadPipeline,
      });
      let controller: Controller | undefined;
      try {
        for (const object of sampleCluster()) server.apply(object);
        controller = await startSampleController(server, device.address, files!);
        const find = () =>
          server
            .list('ConfigMap')
            .find(
              (c) =>
                c.metadata.name === FRONTENDS_CONFIGMAP &&
                c.metadata.namespace === 'talaria-system',
            ) as { data: Record<string, string> } | undefined;
        await eventually(() => expect(find()).toBeDefined());
        const published = parseFrontendsFile(find()!.data[FRONTENDS_FILE_KEY]!, 'ConfigMap');
        const status = controller.reconciler!.status();
        expect(published.length).toBeGreaterThan(0);
        expect(published.length).toBeLessThanOrEqual(controller.pipeline.current()!.frontends.size);
        expect(find()!.data[FRONTENDS_FILE_KEY]).toBe(
          offloadedFrontendsFile(controller.pipeline.current()!, status.notOffloaded),
        );
      } finally {
        await controller?.stop();
        await device.stop();
        await server.stop();
      }
    });
  },
);

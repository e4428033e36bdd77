import { describe, expect, it } from 'vitest';
import { parseFrontendsFile } from '../../src/agent/frontends-file.ts';
import type { Controller } from '../../src/controller/controller.ts';
import { sampleCluster } from '../../src/controller/demo/sample-cluster.ts';
import {
  FRONTENDS_CONFIGMAP,
  FRONTENDS_FILE_KEY,
} from '../../src/controller/frontends-configmap.ts';
import { TestApiServer } from '../../src/k8s/testing/api-server.ts';
import { networkPolicyObject } from '../../src/k8s/testing/object-builders.ts';
import { loadPipeline } from '../../src/softswitch/index.ts';
import { startSwitch } from '../../src/softswitch/p4runtime/software-switch.ts';
import { talariaPipeline } from '../support/conformance/pipelines.ts';
import { eventually } from '../support/eventually.ts';
import { startSampleController } from '../support/sample-controller.ts';

/**
 * The controller, the test API server and the embedded switch: an ingress NetworkPolicy
 * that selects kube-dns's pods takes kube-dns off the frontends the agents get, with a
 * Warning Event on the Service and a metric, and deleting the policy brings it back.
 */

const DNS_VIP = '10.96.0.53';
const files = talariaPipeline();
(files ? describe : describe.skip)(
  files
    ? 'the controller and NetworkPolicies'
    : 'the controller and NetworkPolicies [skipped: p4/build not built]',
  () => {
    it('keeps a Service whose backends an ingress policy selects off the fast path, and says why', async () => {
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
        server.apply(
          networkPolicyObject({
            name: 'dns-from-pods-only',
            namespace: 'kube-system',
            podSelector: { matchLabels: { app: 'kube-dns' } },
          }),
        );
        controller = await startSampleController(server, device.address, files!);
        const published = () => {
          const map = server
            .list('ConfigMap')
            .find(
              (c) =>
                c.metadata.name === FRONTENDS_CONFIGMAP &&
                c.metadata.namespace === 'talaria-system',
            ) as { data: Record<string, string> } | undefined;
          return map && parseFrontendsFile(map.data[FRONTENDS_FILE_KEY]!, 'ConfigMap');
        };
        await eventually(() => expect(published()?.length).toBeGreaterThan(0));
        expect(published()!.map((f) => f.addr)).not.toContain(DNS_VIP);
        expect(published()!.map((f) => f.addr)).toContain('10.96.0.10');

        await eventually(() =>
          expect(
            server
              .list('Event')
              .filter(
                (e) =>
                  (e as { regarding?: { name?: string } }).regarding?.name === 'kube-dns' &&
                  (e as { reason?: string }).reason === 'NotOffloaded',
              )
              .map((e) => (e as { note?: string }).note),
          ).toContain(
            "backends selected by ingress NetworkPolicy kube-system/dns-from-pods-only: kept on the hosts' path, where the policy is enforced",
          ),
        );
        expect(controller.metrics.render()).toMatch(/^talaria_model_network_policy_guarded 2$/m);

        server.remove('NetworkPolicy', 'kube-system', 'dns-from-pods-only');
        await eventually(() => expect(published()!.map((f) => f.addr)).toContain(DNS_VIP));
        expect(controller.metrics.render()).toMatch(/^talaria_model_network_policy_guarded 0$/m);
      } finally {
        await controller?.stop();
        await device.stop();
        await server.stop();
      }
    });
  },
);

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/k8s/api-client.ts';
import { ClusterCache, type ClusterChange } from '../../src/k8s/cluster-cache.ts';
import { ClusterWatcher } from '../../src/k8s/cluster-watcher.ts';
import { endpointSliceSchema } from '../../src/k8s/objects/endpoint-slice.ts';
import {
  networkPolicySchema,
  selects,
  type NetworkPolicy,
} from '../../src/k8s/objects/network-policy.ts';
import { serviceSchema, type Service } from '../../src/k8s/objects/service.ts';
import { TestApiServer } from '../../src/k8s/testing/api-server.ts';
import {
  endpointSliceObject,
  networkPolicyObject,
  serviceObject,
  type NetworkPolicySpec,
  type ServiceSpec,
} from '../../src/k8s/testing/object-builders.ts';
import { computeDesiredState } from '../../src/model/compute-desired-state.ts';
import { podSchema, type Pod } from '../../src/k8s/objects/pod.ts';
import { parseFrontendsDocument } from '../../src/agent/frontends-file.ts';
import { offloadedFrontendsFile } from '../../src/controller/frontends-configmap.ts';
import { couldSelect, excludedClients } from '../../src/model/network-policy-guard.ts';
import { describeFirstIssue } from '../../src/validation/zod-issue.ts';

const svc = (spec: ServiceSpec): Service => serviceSchema.parse(serviceObject(spec));
const policy = (spec: NetworkPolicySpec): NetworkPolicy =>
  networkPolicySchema.parse(networkPolicyObject(spec));

const WEB_SPEC: ServiceSpec = {
  name: 'web',
  namespace: 'shop',
  clusterIPs: ['10.96.0.10'],
  ports: [
    { name: 'http', port: 80 },
    { name: 'https', port: 443 },
  ],
  selector: { app: 'web', tier: 'front' },
};
const web = svc(WEB_SPEC);
const webSlice = endpointSliceSchema.parse(
  endpointSliceObject({
    namespace: 'shop',
    name: 'web-1',
    service: 'web',
    ports: [
      { name: 'http', port: 8080 },
      { name: 'https', port: 8443 },
    ],
    endpoints: [{ ip: '10.244.1.5' }],
  }),
);

function stateWith(policies: NetworkPolicy[], enforcedOnFastPath = false, services = [web]) {
  return computeDesiredState(
    { services, endpointSlices: [webSlice], nodes: [], networkPolicies: policies },
    { nodes: new Map(), networkPolicyEnforcedOnFastPath: enforcedOnFastPath },
  );
}

describe('NetworkPolicy objects', () => {
  it('defaults policyTypes as the API does: Ingress, and Egress when there are egress rules', () => {
    expect(policy({ name: 'a' }).spec.policyTypes).toEqual(['Ingress']);
    expect(policy({ name: 'b', egress: [{}] }).spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy({ name: 'c', policyTypes: ['Egress'] }).spec.policyTypes).toEqual(['Egress']);
  });

  it('refuses a selector requirement the API would refuse, naming where', () => {
    const parsed = networkPolicySchema.safeParse(
      networkPolicyObject({
        name: 'bad',
        podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] },
      }),
    );
    expect(parsed.success).toBe(false);
    expect(describeFirstIssue(parsed.error!)).toBe(
      'spec.podSelector.matchExpressions.0: In and NotIn need values; Exists and DoesNotExist take none',
    );
  });

  it('evaluates label selectors', () => {
    const selector = policy({
      name: 'p',
      podSelector: {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['front', 'edge'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
    }).spec.podSelector;
    expect(selects(selector, { app: 'web', tier: 'edge' })).toBe(true);
    expect(selects(selector, { app: 'web', tier: 'back' })).toBe(false);
    expect(selects(selector, { app: 'web', tier: 'front', canary: 'yes' })).toBe(false);
  });
});

describe('could a policy select a pod that a Service selects', () => {
  const sel = (podSelector: NetworkPolicySpec['podSelector']) =>
    policy({ name: 'p', podSelector }).spec.podSelector;
  const service = { app: 'web', tier: 'front' };

  it.each([
    ['the empty selector (every pod of the namespace)', {}, true],
    ['the same labels', { matchLabels: { app: 'web' } }, true],
    ['a label the Service does not fix', { matchLabels: { version: 'v2' } }, true],
    ['a different value of a label the Service fixes', { matchLabels: { app: 'db' } }, false],
    [
      'In with the Service value',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
      true,
    ],
    [
      'In without it',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] },
      false,
    ],
    [
      'NotIn the Service value',
      { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] },
      false,
    ],
    [
      'DoesNotExist of a fixed label',
      { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] },
      false,
    ],
    [
      'Exists of a label it does not fix',
      { matchExpressions: [{ key: 'x', operator: 'Exists' }] },
      true,
    ],
  ] as const)('%s: %s', (_what, podSelector, expected) => {
    expect(couldSelect(sel(podSelector), service)).toBe(expected);
  });
});

describe('Services behind ingress NetworkPolicies stay on the hosts path', () => {
  it('a Service with no policy is offloaded', () => {
    expect([...stateWith([]).frontends.keys()].sort()).toEqual([
      '10.96.0.10|TCP|443',
      '10.96.0.10|TCP|80',
    ]);
  });

  it('an ingress policy that may select its backends takes every frontend off, with the reason', () => {
    const state = stateWith([policy({ name: 'allow-lb', namespace: 'shop' })]);
    expect(state.frontends.size).toBe(0);
    expect(state.notOffloaded).toEqual(
      ['http', 'https'].map((portName) => ({
        service: { namespace: 'shop', name: 'web', portName },
        reason:
          "backends selected by ingress NetworkPolicy shop/allow-lb: kept on the hosts' path, where the policy is enforced",
      })),
    );
  });

  it('egress-only policies, policies of other namespaces and disjoint selectors leave it offloaded', () => {
    const state = stateWith([
      policy({ name: 'egress', namespace: 'shop', policyTypes: ['Egress'] }),
      policy({ name: 'elsewhere', namespace: 'other' }),
      policy({ name: 'db-only', namespace: 'shop', podSelector: { matchLabels: { app: 'db' } } }),
    ]);
    expect(state.frontends.size).toBe(2);
    expect(state.notOffloaded).toEqual([]);
  });

  it('a Service without selector is kept on the hosts path by any ingress policy of its namespace', () => {
    const manual = svc({
      name: 'web',
      namespace: 'shop',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80 }],
      selector: null,
    });
    const db = policy({
      name: 'db-only',
      namespace: 'shop',
      podSelector: { matchLabels: { app: 'db' } },
    });
    expect(stateWith([db], false, [manual]).frontends.size).toBe(0);
  });

  it('is offloaded when the configuration says policies are enforced on the fast path', () => {
    const state = stateWith([policy({ name: 'allow-lb', namespace: 'shop' })], true);
    expect(state.frontends.size).toBe(2);
    expect(state.notOffloaded).toEqual([]);
  });
});

describe('client pods that egress policies select are excluded from the fast path', () => {
  const pod = (
    name: string,
    ip: string,
    labels: Record<string, string>,
    hostNetwork = false,
  ): Pod =>
    podSchema.parse({
      metadata: { name, namespace: 'shop', labels },
      spec: { hostNetwork },
      status: { podIP: ip, podIPs: [{ ip }, { ip: 'fd00::1' }] },
    });
  const pods = [
    pod('batch-1', '10.244.1.9', { app: 'batch' }),
    pod('web-1', '10.244.1.5', { app: 'web' }),
    pod('node-agent', '192.168.0.11', { app: 'batch' }, true),
  ];
  const egress = policy({
    name: 'batch-egress',
    namespace: 'shop',
    podSelector: { matchLabels: { app: 'batch' } },
    policyTypes: ['Egress'],
  });
  const policiesOf = (list: NetworkPolicy[]) => (ns: string) =>
    list.filter((p) => p.metadata.namespace === ns);

  it('lists the IPv4 addresses of the pods an egress policy selects (never hostNetwork ones)', () => {
    expect(excludedClients(pods, policiesOf([egress]), false)).toEqual(['10.244.1.9']);
  });

  it('ingress-only policies and policies of other namespaces exclude nobody; nor does fast-path enforcement', () => {
    const ingressOnly = policy({ name: 'in', namespace: 'shop' });
    const elsewhere = policy({ name: 'e', namespace: 'other', policyTypes: ['Egress'] });
    expect(excludedClients(pods, policiesOf([ingressOnly, elsewhere]), false)).toEqual([]);
    expect(excludedClients(pods, policiesOf([egress]), true)).toEqual([]);
  });

  it('reach the agents in the frontends file', () => {
    const state = computeDesiredState(
      { services: [web], endpointSlices: [webSlice], nodes: [], networkPolicies: [egress], pods },
      { nodes: new Map() },
    );
    expect(state.excludedClients).toEqual(['10.244.1.9']);
    const file = offloadedFrontendsFile(state, []);
    const document = parseFrontendsDocument(file, 'ConfigMap');
    expect(document.excludedClients).toEqual(['10.244.1.9']);
    expect(document.vips).toHaveLength(2); // the Service itself stays offloaded
    expect(() =>
      parseFrontendsDocument('{"frontends":[],"excludedClients":["fd00::1"]}', 'f.json'),
    ).toThrow('f.json: excludedClients.0: not an IPv4 address');
  });
});

describe('NetworkPolicies in the cluster cache and from the API', () => {
  it('a policy change marks every Service of its namespace changed', () => {
    const cache = new ClusterCache();
    cache.upsertService(web);
    cache.upsertService(
      svc({ name: 'api', namespace: 'other', clusterIPs: ['10.96.0.11'], ports: [{ port: 80 }] }),
    );
    const changes: ClusterChange[] = [];
    cache.onChange((change) => changes.push(change));
    const p = policy({ name: 'deny', namespace: 'shop' });
    cache.upsertNetworkPolicy(p);
    cache.upsertNetworkPolicy(p); // same content: no change
    cache.deleteNetworkPolicy('shop/deny');
    expect(changes).toEqual([
      { kind: 'clients' },
      { kind: 'service', key: 'shop/web' },
      { kind: 'clients' },
      { kind: 'service', key: 'shop/web' },
    ]);
    expect(cache.networkPolicies('shop')).toEqual([]);
  });

  describe('through the test API server', () => {
    let server: TestApiServer;
    let watcher: ClusterWatcher;
    beforeAll(async () => {
      server = await TestApiServer.start();
      server.apply(networkPolicyObject({ name: 'deny', namespace: 'shop' }));
      server.apply(serviceObject(WEB_SPEC));
      watcher = new ClusterWatcher(new ApiClient(server.kubeConfig()));
      watcher.start();
      await watcher.whenSynced();
    });
    afterAll(async () => {
      await watcher?.stop();
      await server?.stop();
    });

    it('the informer lists and watches networking.k8s.io/v1 NetworkPolicies', async () => {
      expect(watcher.cache.networkPolicies('shop').map((p) => p.metadata.name)).toEqual(['deny']);
      // A new policy reaches the cache and marks the Services of its namespace changed.
      const seen = new Promise<ClusterChange>((resolve) =>
        watcher.cache.onChange((change) => {
          if (change.kind === 'service') resolve(change);
        }),
      );
      server.apply(networkPolicyObject({ name: 'allow', namespace: 'shop', egress: [{}] }));
      expect(await seen).toEqual({ kind: 'service', key: 'shop/web' });
      expect(
        watcher.cache.networkPolicies('shop').map((p) => [p.metadata.name, p.spec.policyTypes]),
      ).toEqual([
        ['deny', ['Ingress']],
        ['allow', ['Ingress', 'Egress']],
      ]);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { endpointSliceSchema, type EndpointSlice } from '../../src/k8s/objects/endpoint-slice.ts';
import { nodeSchema, type Node } from '../../src/k8s/objects/node.ts';
import { serviceSchema, type Service } from '../../src/k8s/objects/service.ts';
import {
  endpointSliceObject,
  nodeObject,
  serviceObject,
  type EndpointSliceSpec,
  type NodeSpec,
  type ServiceSpec,
} from '../../src/k8s/testing/object-builders.ts';
import { computeDesiredState } from '../../src/model/compute-desired-state.ts';
import type { Frontend } from '../../src/model/desired-state.ts';
import { drainKey } from '../../src/model/model-config.ts';
import { serviceModel } from '../../src/model/service-frontends.ts';

const svc = (spec: ServiceSpec): Service => serviceSchema.parse(serviceObject(spec));
const slice = (spec: EndpointSliceSpec): EndpointSlice =>
  endpointSliceSchema.parse(endpointSliceObject(spec));
const node = (spec: NodeSpec): Node => nodeSchema.parse(nodeObject(spec));

const nodes = [
  node({ name: 'node-a', internalIPs: ['192.168.0.11'], podCIDRs: ['10.244.1.0/24'] }),
  node({
    name: 'node-b',
    internalIPs: ['192.168.0.12'],
    externalIPs: ['203.0.113.12'],
    podCIDRs: ['10.244.2.0/24'],
  }),
];

const webSlice = slice({
  name: 'web-abc',
  service: 'web',
  ports: [{ name: 'http', port: 8080 }],
  endpoints: [
    { ip: '10.244.2.7', node: 'node-b' },
    { ip: '10.244.1.5', node: 'node-a' },
  ],
});

/** Frontends by key, backends as "ip:port state" strings: what a reader checks at a glance. */
function summary(frontends: readonly Frontend[]): Record<string, string[]> {
  return Object.fromEntries(
    frontends.map((f) => [
      `${f.kind} ${f.key}`,
      f.backends.map((b) => `${b.ip}:${b.port} ${b.state}${b.nodeName ? ` @${b.nodeName}` : ''}`),
    ]),
  );
}

describe('serviceModel', () => {
  it('gives a ClusterIP port the ready endpoints of its slices, at the target port, sorted', () => {
    const web = svc({
      name: 'web',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    });
    const model = serviceModel(web, [webSlice], nodes, new Set());
    expect(summary(model.frontends)).toEqual({
      'ClusterIP 10.96.0.10|TCP|80': [
        '10.244.1.5:8080 active @node-a',
        '10.244.2.7:8080 active @node-b',
      ],
    });
    expect(model.frontends[0]!.service).toEqual({
      namespace: 'default',
      name: 'web',
      portName: 'http',
    });
    expect(model.notOffloaded).toEqual([]);
  });

  it('serves every port, TCP and UDP, and reports SCTP as not offloaded', () => {
    const dns = svc({
      name: 'dns',
      clusterIPs: ['10.96.0.53'],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'sig', port: 3868, protocol: 'SCTP' },
      ],
    });
    const dnsSlice = slice({
      name: 'dns-1',
      service: 'dns',
      ports: [
        { name: 'dns', port: 5353, protocol: 'UDP' },
        { name: 'dns-tcp', port: 5354, protocol: 'TCP' },
        { name: 'sig', port: 3868, protocol: 'SCTP' },
      ],
      endpoints: [{ ip: '10.244.1.9' }],
    });
    const model = serviceModel(dns, [dnsSlice], nodes, new Set());
    expect(summary(model.frontends)).toEqual({
      'ClusterIP 10.96.0.53|UDP|53': ['10.244.1.9:5353 active'],
      'ClusterIP 10.96.0.53|TCP|53': ['10.244.1.9:5354 active'],
    });
    expect(model.notOffloaded).toEqual([
      {
        service: { namespace: 'default', name: 'dns', portName: 'sig' },
        reason: 'port 3868/SCTP: SCTP is not offloaded',
      },
    ]);
  });

  it('puts a NodePort on every InternalIP and ExternalIP of every node', () => {
    const web = svc({
      name: 'web',
      type: 'NodePort',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
    });
    const keys = serviceModel(web, [webSlice], nodes, new Set()).frontends.map(
      (f) => `${f.kind} ${f.key}`,
    );
    expect(keys).toEqual([
      'ClusterIP 10.96.0.10|TCP|80',
      'NodePort 192.168.0.11|TCP|30080',
      'NodePort 192.168.0.12|TCP|30080',
      'NodePort 203.0.113.12|TCP|30080',
    ]);
  });

  it('with externalTrafficPolicy Local sends a NodePort only to endpoints on that node', () => {
    const web = svc({
      name: 'web',
      type: 'LoadBalancer',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      loadBalancerIngress: ['198.51.100.1'],
      externalTrafficPolicy: 'Local',
    });
    const onlyA = slice({
      ...endpointSpecOf(webSlice),
      endpoints: [{ ip: '10.244.1.5', node: 'node-a' }],
    });
    expect(summary(serviceModel(web, [onlyA], nodes, new Set()).frontends)).toEqual({
      'ClusterIP 10.96.0.10|TCP|80': ['10.244.1.5:8080 active @node-a'],
      'LoadBalancer 198.51.100.1|TCP|80': ['10.244.1.5:8080 active @node-a'],
      'NodePort 192.168.0.11|TCP|30080': ['10.244.1.5:8080 active @node-a'],
      'NodePort 192.168.0.12|TCP|30080': [],
      'NodePort 203.0.113.12|TCP|30080': [],
    });
  });

  it('serves LoadBalancer ingress IPs and externalIPs, an address listed twice once', () => {
    const web = svc({
      name: 'web',
      type: 'LoadBalancer',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80 }],
      loadBalancerIngress: ['198.51.100.1'],
      externalIPs: ['198.51.100.1', '198.51.100.2'],
    });
    const kinds = serviceModel(web, [webSlice], nodes, new Set()).frontends.map(
      (f) => `${f.kind} ${f.ip}`,
    );
    expect(kinds).toEqual([
      'ClusterIP 10.96.0.10',
      'LoadBalancer 198.51.100.1',
      'ExternalIP 198.51.100.2',
    ]);
  });

  it('carries sessionAffinity ClientIP with its timeout (default 3 hours)', () => {
    const sticky = svc({
      name: 'web',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80 }],
      sessionAffinityTimeout: 600,
    });
    expect(
      serviceModel(sticky, [webSlice], nodes, new Set()).frontends[0]!.clientIpAffinity,
    ).toEqual({ timeoutSeconds: 600 });
    const raw = serviceObject({
      name: 'web',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80 }],
    });
    (raw.spec as Record<string, unknown>).sessionAffinity = 'ClientIP';
    const defaulted = serviceSchema.parse(raw);
    expect(
      serviceModel(defaulted, [webSlice], nodes, new Set()).frontends[0]!.clientIpAffinity,
    ).toEqual({ timeoutSeconds: 10_800 });
    const plain = svc({
      name: 'web',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80 }],
    });
    expect(
      serviceModel(plain, [webSlice], nodes, new Set()).frontends[0]!.clientIpAffinity,
    ).toBeUndefined();
  });

  it('leaves ClusterIPs with internalTrafficPolicy Local to the host, and says why', () => {
    const local = svc({
      name: 'web',
      type: 'NodePort',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
      internalTrafficPolicy: 'Local',
    });
    const model = serviceModel(local, [webSlice], nodes, new Set());
    expect(model.frontends.map((f) => f.kind)).toEqual(['NodePort', 'NodePort', 'NodePort']);
    expect(model.notOffloaded.map((n) => n.reason)).toEqual([
      "ClusterIP 10.96.0.10 port 80/TCP: internalTrafficPolicy Local needs the client's node, left to the host",
    ]);
  });

  describe('endpoint conditions', () => {
    const web = svc({
      name: 'web',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80 }],
    });
    const mixed = slice({
      name: 'web-1',
      service: 'web',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [
        { ip: '10.244.1.1' },
        { ip: '10.244.1.2', ready: false },
        { ip: '10.244.1.3', terminating: true, serving: true },
        { ip: '10.244.1.4', terminating: true, serving: false },
      ],
    });

    it('ready: active; not ready: left out; terminating: keeps its connections', () => {
      expect(summary(serviceModel(web, [mixed], nodes, new Set()).frontends)).toEqual({
        'ClusterIP 10.96.0.10|TCP|80': [
          '10.244.1.1:8080 active',
          '10.244.1.3:8080 terminating',
          '10.244.1.4:8080 terminating',
        ],
      });
    });

    it('a terminating endpoint leaves once its drain time is over', () => {
      const drained = new Set([drainKey('default/web', '10.244.1.3')]);
      expect(summary(serviceModel(web, [mixed], nodes, drained).frontends)).toEqual({
        'ClusterIP 10.96.0.10|TCP|80': ['10.244.1.1:8080 active', '10.244.1.4:8080 terminating'],
      });
    });

    it('with no ready endpoint, terminating ones that still serve take new connections', () => {
      const rolling = slice({
        ...endpointSpecOf(mixed),
        endpoints: [
          { ip: '10.244.1.2', ready: false },
          { ip: '10.244.1.3', terminating: true, serving: true },
          { ip: '10.244.1.4', terminating: true, serving: false },
        ],
      });
      expect(summary(serviceModel(web, [rolling], nodes, new Set()).frontends)).toEqual({
        'ClusterIP 10.96.0.10|TCP|80': ['10.244.1.3:8080 active', '10.244.1.4:8080 terminating'],
      });
    });

    it('publishNotReadyAddresses makes every endpoint that is not terminating active', () => {
      const publish = svc({
        name: 'web',
        clusterIPs: ['10.96.0.10'],
        ports: [{ name: 'http', port: 80 }],
        publishNotReadyAddresses: true,
      });
      expect(summary(serviceModel(publish, [mixed], nodes, new Set()).frontends)).toEqual({
        'ClusterIP 10.96.0.10|TCP|80': [
          '10.244.1.1:8080 active',
          '10.244.1.2:8080 active',
          '10.244.1.3:8080 terminating',
          '10.244.1.4:8080 terminating',
        ],
      });
    });
  });

  it('merges several slices, an address listed in two of them once with its best condition', () => {
    const web = svc({
      name: 'web',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80 }],
    });
    const first = slice({
      name: 'web-1',
      service: 'web',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [{ ip: '10.244.1.1', ready: false }, { ip: '10.244.1.2' }],
    });
    const second = slice({
      name: 'web-2',
      service: 'web',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [{ ip: '10.244.1.1' }, { ip: '10.244.1.3' }],
    });
    expect(summary(serviceModel(web, [second, first], nodes, new Set()).frontends)).toEqual({
      'ClusterIP 10.96.0.10|TCP|80': [
        '10.244.1.1:8080 active',
        '10.244.1.2:8080 active',
        '10.244.1.3:8080 active',
      ],
    });
  });

  it('serves a Service without selector from its hand-made slices', () => {
    const external = svc({
      name: 'db',
      clusterIPs: ['10.96.0.20'],
      ports: [{ port: 5432 }],
      selector: null,
    });
    const handMade = slice({
      name: 'db-manual',
      service: 'db',
      ports: [{ port: 5432 }],
      endpoints: [{ ip: '192.168.50.4' }],
    });
    const state = computeDesiredState(
      { services: [external], endpointSlices: [handMade], nodes },
      { nodes: new Map() },
    );
    expect(summary([...state.frontends.values()])).toEqual({
      'ClusterIP 10.96.0.20|TCP|5432': ['192.168.50.4:5432 active'],
    });
  });

  it('ignores headless and ExternalName Services', () => {
    const headless = svc({
      name: 'web',
      clusterIPs: ['None'],
      ports: [{ name: 'http', port: 80 }],
    });
    expect(serviceModel(headless, [webSlice], nodes, new Set())).toEqual({
      frontends: [],
      notOffloaded: [],
    });
    const raw = serviceObject({ name: 'ext', clusterIPs: [], ports: [] });
    (raw.spec as Record<string, unknown>).type = 'ExternalName';
    expect(serviceModel(serviceSchema.parse(raw), [], nodes, new Set())).toEqual({
      frontends: [],
      notOffloaded: [],
    });
  });

  it('represents both families of a dual-stack Service, each with its own slices', () => {
    const dual = svc({
      name: 'web',
      clusterIPs: ['10.96.0.10', 'fd00:10:96::a'],
      ports: [{ name: 'http', port: 80 }],
    });
    const v6 = slice({
      name: 'web-v6',
      service: 'web',
      addressType: 'IPv6',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [{ ip: 'FD00:10:244:1::0005' }],
    });
    const model = serviceModel(dual, [webSlice, v6], nodes, new Set());
    expect(summary(model.frontends)).toEqual({
      'ClusterIP 10.96.0.10|TCP|80': [
        '10.244.1.5:8080 active @node-a',
        '10.244.2.7:8080 active @node-b',
      ],
      'ClusterIP fd00:10:96::a|TCP|80': ['fd00:10:244:1::5:8080 active'],
    });
    expect(model.frontends.map((f) => f.family)).toEqual([4, 6]);
  });
});

describe('computeDesiredState', () => {
  it('gives a frontend two Services ask for to the first by namespace/name and reports the other', () => {
    const a = svc({
      namespace: 'team-a',
      name: 'web',
      clusterIPs: ['10.96.0.10'],
      ports: [{ port: 80 }],
      externalIPs: ['198.51.100.7'],
    });
    const b = svc({
      namespace: 'team-b',
      name: 'web',
      clusterIPs: ['10.96.0.11'],
      ports: [{ port: 80 }],
      externalIPs: ['198.51.100.7'],
    });
    for (const services of [
      [a, b],
      [b, a],
    ]) {
      const state = computeDesiredState(
        { services, endpointSlices: [], nodes: [] },
        { nodes: new Map() },
      );
      expect(state.frontends.get('198.51.100.7|TCP|80')!.service.namespace).toBe('team-a');
      expect(state.notOffloaded).toEqual([
        {
          service: { namespace: 'team-b', name: 'web', portName: '' },
          reason: 'ExternalIP 198.51.100.7 port 80/TCP is already served for team-a/web',
        },
      ]);
    }
  });

  it("routes each attached node's pod CIDRs and addresses to its switch port", () => {
    const attach = new Map([
      [
        'node-a',
        {
          switchName: 'tor1',
          port: 1,
          hostMac: '02:00:00:00:01:01',
          switchMac: '02:00:00:00:00:01',
        },
      ],
    ]);
    const state = computeDesiredState(
      { services: [], endpointSlices: [], nodes: [...nodes].reverse() },
      { nodes: attach },
    );
    expect(state.routes).toEqual([
      {
        prefix: '10.244.1.0/24',
        family: 4,
        nodeName: 'node-a',
        switchName: 'tor1',
        port: 1,
        hostMac: '02:00:00:00:01:01',
        switchMac: '02:00:00:00:00:01',
      },
      {
        prefix: '192.168.0.11/32',
        family: 4,
        nodeName: 'node-a',
        switchName: 'tor1',
        port: 1,
        hostMac: '02:00:00:00:01:01',
        switchMac: '02:00:00:00:00:01',
      },
    ]);
  });
});

/** The builder spec of a parsed slice, to derive variants of it. */
function endpointSpecOf(parsed: EndpointSlice): EndpointSliceSpec {
  return {
    name: parsed.metadata.name,
    service: parsed.metadata.labels['kubernetes.io/service-name']!,
    ports: parsed.ports.map((p) => ({ name: p.name, port: p.port!, protocol: p.protocol })),
    endpoints: [],
  };
}

import {
  endpointSliceObject,
  nodeObject,
  serviceObject,
  type ApiObject,
  type EndpointSpec,
} from '../../k8s/testing/object-builders.ts';

/**
 * The demo's cluster: two nodes behind one switch, and a few Services that show what the
 * model does with each kind of thing (a web shop: web front end, an API with client
 * affinity, DNS over UDP and TCP, a database outside the cluster reached through a Service
 * without selector, and an SCTP port the switch does not serve).
 */

export const SAMPLE_NODES = [
  {
    name: 'node-a',
    ip: '192.168.10.11',
    podCidr: '10.244.1.0/24',
    port: 1,
    mac: '0a:00:00:00:00:0a',
  },
  {
    name: 'node-b',
    ip: '192.168.10.12',
    podCidr: '10.244.2.0/24',
    port: 2,
    mac: '0a:00:00:00:00:0b',
  },
] as const;

export const SWITCH_MAC = '02:00:00:00:00:01';

/** The web Service's pods at the start; the demo scales this set up and down. */
export const WEB_PODS: EndpointSpec[] = [
  { ip: '10.244.1.11', node: 'node-a' },
  { ip: '10.244.2.12', node: 'node-b' },
];

export function webSlice(pods: EndpointSpec[]): ApiObject {
  return endpointSliceObject({
    namespace: 'shop',
    name: 'web-7d9f',
    service: 'web',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: pods,
  });
}

export function sampleCluster(): ApiObject[] {
  return [
    ...SAMPLE_NODES.map((n) =>
      nodeObject({ name: n.name, internalIPs: [n.ip], podCIDRs: [n.podCidr] }),
    ),
    serviceObject({
      namespace: 'shop',
      name: 'web',
      type: 'NodePort',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }],
    }),
    webSlice(WEB_PODS),
    serviceObject({
      namespace: 'shop',
      name: 'api',
      clusterIPs: ['10.96.0.20'],
      ports: [
        { name: 'grpc', port: 9000 },
        { name: 'signal', port: 3868, protocol: 'SCTP' },
      ],
      sessionAffinityTimeout: 600,
    }),
    endpointSliceObject({
      namespace: 'shop',
      name: 'api-x2kq',
      service: 'api',
      ports: [
        { name: 'grpc', port: 9000 },
        { name: 'signal', port: 3868, protocol: 'SCTP' },
      ],
      endpoints: [
        { ip: '10.244.1.21', node: 'node-a' },
        { ip: '10.244.2.22', node: 'node-b' },
      ],
    }),
    serviceObject({
      namespace: 'kube-system',
      name: 'kube-dns',
      clusterIPs: ['10.96.0.53'],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
    }),
    endpointSliceObject({
      namespace: 'kube-system',
      name: 'kube-dns-5h7c',
      service: 'kube-dns',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
      endpoints: [{ ip: '10.244.2.53', node: 'node-b' }],
    }),
    serviceObject({
      namespace: 'shop',
      name: 'orders-db',
      clusterIPs: ['10.96.0.30'],
      ports: [{ name: 'postgres', port: 5432 }],
      selector: null,
    }),
    endpointSliceObject({
      namespace: 'shop',
      name: 'orders-db-manual',
      service: 'orders-db',
      ports: [{ name: 'postgres', port: 5432 }],
      endpoints: [{ ip: '192.168.50.4' }],
    }),
  ];
}

/** The fabric configuration of the sample cluster, for a switch at `address`. */
export function sampleFabricConfig(address: string, deviceId = 1) {
  return {
    // The demo's switch runs in the same process, on loopback.
    switches: [{ name: 'tor1', address, deviceId, mac: SWITCH_MAC, insecure: true }],
    nodes: Object.fromEntries(
      SAMPLE_NODES.map((n) => [n.name, { switch: 'tor1', port: n.port, mac: n.mac }]),
    ),
  };
}

import { SERVICE_NAME_LABEL } from '../objects/endpoint-slice.ts';

/**
 * Builders of API objects in the JSON shape the API server serves them, for the test API
 * server, the demo's sample cluster, tests and benchmarks. They fill only what Talaria
 * reads plus what the API always sets; anything can be overridden afterwards.
 */

export type ApiObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    [k: string]: unknown;
  };
  [field: string]: unknown;
};

export interface ServicePortSpec {
  name?: string;
  port: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceSpec {
  namespace?: string;
  name: string;
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** One address, or two for a dual-stack Service; 'None' for headless. */
  clusterIPs: string[];
  ports: ServicePortSpec[];
  selector?: Record<string, string> | null;
  externalIPs?: string[];
  loadBalancerIngress?: string[];
  sessionAffinityTimeout?: number;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy?: 'Cluster' | 'Local';
  publishNotReadyAddresses?: boolean;
}

export function serviceObject(spec: ServiceSpec): ApiObject {
  const families = spec.clusterIPs
    .filter((ip) => ip !== 'None')
    .map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4'));
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: spec.name, namespace: spec.namespace ?? 'default' },
    spec: {
      type: spec.type ?? 'ClusterIP',
      clusterIP: spec.clusterIPs[0] ?? '',
      clusterIPs: spec.clusterIPs,
      ipFamilies: families,
      ports: spec.ports.map((p) => ({
        name: p.name ?? '',
        port: p.port,
        protocol: p.protocol ?? 'TCP',
        targetPort: p.targetPort ?? p.port,
        ...(p.nodePort === undefined ? {} : { nodePort: p.nodePort }),
      })),
      ...(spec.selector === null ? {} : { selector: spec.selector ?? { app: spec.name } }),
      ...(spec.externalIPs ? { externalIPs: spec.externalIPs } : {}),
      sessionAffinity: spec.sessionAffinityTimeout === undefined ? 'None' : 'ClientIP',
      ...(spec.sessionAffinityTimeout === undefined
        ? {}
        : { sessionAffinityConfig: { clientIP: { timeoutSeconds: spec.sessionAffinityTimeout } } }),
      internalTrafficPolicy: spec.internalTrafficPolicy ?? 'Cluster',
      ...(spec.type === 'NodePort' || spec.type === 'LoadBalancer'
        ? { externalTrafficPolicy: spec.externalTrafficPolicy ?? 'Cluster' }
        : {}),
      ...(spec.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
    },
    status: {
      loadBalancer: spec.loadBalancerIngress
        ? { ingress: spec.loadBalancerIngress.map((ip) => ({ ip })) }
        : {},
    },
  };
}

export interface EndpointSpec {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface EndpointSliceSpec {
  namespace?: string;
  name: string;
  /** The Service it belongs to (the kubernetes.io/service-name label); none: unlabelled. */
  service?: string;
  addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  ports: { name?: string; port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
  endpoints: EndpointSpec[];
}

export function endpointSliceObject(spec: EndpointSliceSpec): ApiObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: spec.name,
      namespace: spec.namespace ?? 'default',
      labels: spec.service === undefined ? {} : { [SERVICE_NAME_LABEL]: spec.service },
    },
    addressType: spec.addressType ?? (spec.endpoints[0]?.ip.includes(':') ? 'IPv6' : 'IPv4'),
    ports: spec.ports.map((p) => ({
      name: p.name ?? '',
      port: p.port,
      protocol: p.protocol ?? 'TCP',
    })),
    endpoints: spec.endpoints.map((e) => {
      const terminating = e.terminating ?? false;
      const ready = e.ready ?? !terminating;
      return {
        addresses: [e.ip],
        conditions: { ready, serving: e.serving ?? ready, terminating },
        ...(e.node === undefined ? {} : { nodeName: e.node }),
      };
    }),
  };
}

export interface NodeSpec {
  name: string;
  internalIPs: string[];
  externalIPs?: string[];
  podCIDRs: string[];
}

export function nodeObject(spec: NodeSpec): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: spec.name },
    spec: { podCIDR: spec.podCIDRs[0], podCIDRs: spec.podCIDRs },
    status: {
      addresses: [
        ...spec.internalIPs.map((address) => ({ type: 'InternalIP', address })),
        ...(spec.externalIPs ?? []).map((address) => ({ type: 'ExternalIP', address })),
        { type: 'Hostname', address: spec.name },
      ],
    },
  };
}

export interface NetworkPolicySpec {
  readonly name: string;
  readonly namespace?: string;
  readonly podSelector?: {
    readonly matchLabels?: Record<string, string>;
    readonly matchExpressions?: readonly {
      readonly key: string;
      readonly operator: string;
      readonly values?: readonly string[];
    }[];
  };
  readonly policyTypes?: readonly ('Ingress' | 'Egress')[];
  readonly ingress?: readonly unknown[];
  readonly egress?: readonly unknown[];
}

export function networkPolicyObject(spec: NetworkPolicySpec): ApiObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: spec.name, namespace: spec.namespace ?? 'default' },
    spec: {
      podSelector: spec.podSelector ?? {},
      ...(spec.policyTypes ? { policyTypes: spec.policyTypes } : {}),
      ...(spec.ingress ? { ingress: spec.ingress } : {}),
      ...(spec.egress ? { egress: spec.egress } : {}),
    },
  };
}

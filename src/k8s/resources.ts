import type { z } from 'zod';
import { endpointSliceSchema, type EndpointSlice } from './objects/endpoint-slice.ts';
import { networkPolicySchema, type NetworkPolicy } from './objects/network-policy.ts';
import { nodeSchema, type Node } from './objects/node.ts';
import { podSchema, type Pod } from './objects/pod.ts';
import { serviceSchema, type Service } from './objects/service.ts';

/** A resource Talaria watches: where to list and watch it, and how to validate it. */
export interface WatchedResource<T> {
  readonly kind: 'Service' | 'EndpointSlice' | 'Node' | 'NetworkPolicy' | 'Pod';
  /** Short name for logs and metric labels. */
  readonly name: string;
  /** List and watch path (all namespaces). */
  readonly path: string;
  readonly schema: z.ZodType<T, unknown>;
}

export const SERVICES: WatchedResource<Service> = {
  kind: 'Service',
  name: 'services',
  path: '/api/v1/services',
  schema: serviceSchema,
};

export const ENDPOINT_SLICES: WatchedResource<EndpointSlice> = {
  kind: 'EndpointSlice',
  name: 'endpointslices',
  path: '/apis/discovery.k8s.io/v1/endpointslices',
  schema: endpointSliceSchema,
};

export const NETWORK_POLICIES: WatchedResource<NetworkPolicy> = {
  kind: 'NetworkPolicy',
  name: 'networkpolicies',
  path: '/apis/networking.k8s.io/v1/networkpolicies',
  schema: networkPolicySchema,
};

/** Pods: only for NetworkPolicy egress (the client pods a policy restricts). */
export const PODS: WatchedResource<Pod> = {
  kind: 'Pod',
  name: 'pods',
  path: '/api/v1/pods',
  schema: podSchema,
};

export const NODES: WatchedResource<Node> = {
  kind: 'Node',
  name: 'nodes',
  path: '/api/v1/nodes',
  schema: nodeSchema,
};

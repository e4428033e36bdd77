/**
 * The desired load-balancing state: what src/model computes from the cluster and what
 * src/reconcile makes every switch hold. Plain data, no switch ids: service ids and
 * backend slots are allocated by the reconciler, which keeps them stable.
 */

import type { IpFamily } from '../base/ip-family.ts';

export type L4Protocol = 'TCP' | 'UDP';

/** Why a frontend is in the desired state: the Service field it comes from. */
export type FrontendKind = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalIP';

/** The Service port a frontend belongs to, for status, events and metrics. */
export interface ServicePortRef {
  readonly namespace: string;
  readonly name: string;
  /** The Service port's name ('' when unnamed). */
  readonly portName: string;
}

/**
 * One backend of a frontend. A `terminating` backend takes no new connections but keeps
 * its slot so the connections that already carry its cookie stay on it.
 */
export interface Backend {
  readonly ip: string;
  readonly port: number;
  readonly family: IpFamily;
  readonly nodeName?: string;
  readonly state: 'active' | 'terminating';
}

/** A (VIP, protocol, port) the switch load-balances, with its backends. */
export interface Frontend {
  /** Stable identity: `${ip}|${protocol}|${port}` (see frontendKey). */
  readonly key: string;
  readonly ip: string;
  readonly family: IpFamily;
  readonly protocol: L4Protocol;
  readonly port: number;
  readonly kind: FrontendKind;
  readonly service: ServicePortRef;
  /** sessionAffinity: ClientIP. The switch hashes the client address only. */
  readonly clientIpAffinity?: { readonly timeoutSeconds: number };
  readonly backends: readonly Backend[];
}

/** A route from the switch to a host: the node's addresses and pod CIDRs sit behind `port`. */
export interface HostRoute {
  /** CIDR, e.g. '10.244.1.0/24' or '192.168.0.11/32'. */
  readonly prefix: string;
  readonly family: IpFamily;
  readonly nodeName: string;
  /**
   * The fabric configuration's name of the switch the node is attached to: `port` is a
   * port of that switch. Absent in states built by hand for a single switch.
   */
  readonly switchName?: string;
  /** Switch port the node sits behind, and the MACs to use towards it. */
  readonly port: number;
  /**
   * What sits behind the port runs no agent (a router or clients outside the cluster):
   * packets leave without the Talaria header. Absent: a node with the agent.
   */
  readonly external?: boolean;
  readonly hostMac: string;
  readonly switchMac: string;
}

/** Something in the cluster the switch does not serve, and why. */
export interface NotOffloaded {
  readonly service: ServicePortRef;
  readonly reason: string;
}

export interface DesiredState {
  readonly frontends: ReadonlyMap<string, Frontend>;
  readonly routes: readonly HostRoute[];
  readonly notOffloaded: readonly NotOffloaded[];
  /**
   * IPv4 addresses of client pods that egress NetworkPolicies select: their Service
   * traffic keeps the kernel's path (src/model/network-policy-guard.ts). Absent: none.
   */
  readonly excludedClients?: readonly string[];
}

export function frontendKey(ip: string, protocol: L4Protocol, port: number): string {
  return `${ip}|${protocol}|${port}`;
}

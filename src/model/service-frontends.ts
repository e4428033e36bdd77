import type { EndpointSlice } from '../k8s/objects/endpoint-slice.ts';
import { ipFamily, type IpFamily } from '../base/ip-family.ts';
import { objectKey } from '../k8s/objects/meta.ts';
import { nodeIpAddresses, type Node } from '../k8s/objects/node.ts';
import type { Service } from '../k8s/objects/service.ts';
import { backendsOf, portCandidates, type Candidate } from './backend-selection.ts';
import {
  frontendKey,
  type Frontend,
  type FrontendKind,
  type NotOffloaded,
  type ServicePortRef,
} from './desired-state.ts';
import { DEFAULT_AFFINITY_TIMEOUT_SECONDS, type DrainedEndpoints } from './model-config.ts';

/** The frontends one Service asks for, and what of it the switch does not serve. */
export interface ServiceModel {
  readonly frontends: readonly Frontend[];
  readonly notOffloaded: readonly NotOffloaded[];
}

export const EMPTY_SERVICE_MODEL: ServiceModel = { frontends: [], notOffloaded: [] };

/**
 * The frontends of one Service, a pure function of the Service, its EndpointSlices
 * (any order), the cluster's Nodes (sorted by name) and the drained endpoints:
 * - every port of every ClusterIP (one per family of a dual-stack Service);
 * - NodePort on every node IP address (type NodePort and LoadBalancer);
 * - LoadBalancer ingress IPs and externalIPs;
 * - headless and ExternalName Services have none; SCTP ports and ClusterIPs with
 *   internalTrafficPolicy Local (which needs the client's node) are reported instead.
 * externalTrafficPolicy Local restricts a NodePort frontend to the endpoints on its own
 * node. LoadBalancer and external IPs keep every endpoint: the switch is the load
 * balancer, sends the packet straight to the backend and keeps the client's address.
 */
export function serviceModel(
  service: Service,
  slices: readonly EndpointSlice[],
  nodes: readonly Node[],
  drained: DrainedEndpoints,
): ServiceModel {
  const { spec } = service;
  if (spec.type === 'ExternalName' || isHeadless(service)) return EMPTY_SERVICE_MODEL;
  const serviceKey = objectKey(service.metadata);
  const frontends: Frontend[] = [];
  const notOffloaded: NotOffloaded[] = [];
  const clientIpAffinity =
    spec.sessionAffinity === 'ClientIP'
      ? {
          timeoutSeconds:
            spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ??
            DEFAULT_AFFINITY_TIMEOUT_SECONDS,
        }
      : undefined;

  for (const port of spec.ports) {
    const ref: ServicePortRef = {
      namespace: service.metadata.namespace,
      name: service.metadata.name,
      portName: port.name,
    };
    if (port.protocol === 'SCTP') {
      notOffloaded.push({ service: ref, reason: `port ${port.port}/SCTP: SCTP is not offloaded` });
      continue;
    }
    const protocol = port.protocol;
    const candidatesByFamily = new Map<IpFamily, Candidate[]>();
    const candidates = (family: IpFamily): Candidate[] => {
      let list = candidatesByFamily.get(family);
      if (list === undefined) {
        list = portCandidates(port, slices, {
          serviceKey,
          family,
          publishNotReadyAddresses: spec.publishNotReadyAddresses,
          drained,
        });
        candidatesByFamily.set(family, list);
      }
      return list;
    };
    const seen = new Set<string>();
    const add = (
      ip: string,
      frontendPort: number,
      kind: FrontendKind,
      only?: (c: Candidate) => boolean,
    ) => {
      const family = ipFamily(ip)!;
      const key = frontendKey(ip, protocol, frontendPort);
      // One address can be listed twice (an external IP equal to an ingress IP): first wins.
      if (seen.has(key)) return;
      seen.add(key);
      const selected = only ? candidates(family).filter(only) : candidates(family);
      const frontend: Frontend = {
        key,
        ip,
        family,
        protocol,
        port: frontendPort,
        kind,
        service: ref,
        backends: backendsOf(selected, family),
      };
      frontends.push(clientIpAffinity ? { ...frontend, clientIpAffinity } : frontend);
    };

    for (const ip of clusterIps(service)) {
      if (spec.internalTrafficPolicy === 'Local') {
        notOffloaded.push({
          service: ref,
          reason: `ClusterIP ${ip} port ${port.port}/${protocol}: internalTrafficPolicy Local needs the client's node, left to the host`,
        });
        continue;
      }
      add(ip, port.port, 'ClusterIP');
    }
    if (spec.type === 'LoadBalancer') {
      for (const ingress of service.status.loadBalancer?.ingress ?? []) {
        if (ingress.ip) add(ingress.ip, port.port, 'LoadBalancer');
      }
    }
    for (const ip of spec.externalIPs) add(ip, port.port, 'ExternalIP');
    if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && port.nodePort) {
      const local = spec.externalTrafficPolicy === 'Local';
      for (const node of nodes) {
        const onThisNode = local ? (c: Candidate) => c.nodeName === node.metadata.name : undefined;
        for (const ip of nodeIpAddresses(node)) add(ip, port.nodePort, 'NodePort', onThisNode);
      }
    }
  }
  return { frontends, notOffloaded };
}

export function isHeadless(service: Service): boolean {
  return service.spec.clusterIP === 'None' || service.spec.clusterIPs[0] === 'None';
}

/** The Service's allocated cluster IPs: clusterIPs (dual-stack), or the single clusterIP. */
function clusterIps(service: Service): string[] {
  const { clusterIP, clusterIPs } = service.spec;
  const ips = clusterIPs.length > 0 ? clusterIPs : [clusterIP];
  return ips.filter((ip) => ip !== '' && ip !== 'None');
}

/** Whether the Service's frontends depend on the cluster's Nodes (NodePorts). */
export function usesNodes(service: Service): boolean {
  const { type, ports } = service.spec;
  return (type === 'NodePort' || type === 'LoadBalancer') && ports.some((p) => p.nodePort);
}

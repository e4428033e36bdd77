/**
 * What the model needs to know about the fabric besides the cluster: where each node is
 * attached. Built from the controller's fabric configuration (src/controller/config.ts).
 */
export interface NodeAttachment {
  /** The fabric configuration's name of the switch the node sits behind. */
  readonly switchName: string;
  /** Switch port the node's uplink is connected to. */
  readonly port: number;
  readonly hostMac: string;
  /** The MAC address the switch uses as source towards the node. */
  readonly switchMac: string;
}

export interface ModelConfig {
  /** Node name -> attachment. Nodes not listed get no routes. */
  readonly nodes: ReadonlyMap<string, NodeAttachment>;
  /**
   * true: NetworkPolicies are enforced on the fast path too (by the fabric), so Services
   * that ingress policies select are offloaded. Default false: they keep the hosts' path
   * (network-policy-guard.ts).
   */
  readonly networkPolicyEnforcedOnFastPath?: boolean;
}

/** Terminating endpoints whose drain time is over, as `drainKey(serviceKey, ip)`. */
export type DrainedEndpoints = ReadonlySet<string>;

export function drainKey(serviceKey: string, ip: string): string {
  return `${serviceKey}|${ip}`;
}

/** The Service default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;

import { ipFamily } from '../base/ip-family.ts';
import { nodeIpAddresses, nodePodCidrs, type Node } from '../k8s/objects/node.ts';
import type { HostRoute } from './desired-state.ts';
import type { ModelConfig } from './model-config.ts';

/**
 * The switch's routes to the hosts: each node's pod CIDRs and its own addresses (as /32 or
 * /128) sit behind the port the fabric configuration gives for that node. Nodes the
 * configuration does not list get no route (see unattachedNodes); nodes the cluster no
 * longer has get none either. Sorted by node name, then prefix.
 */
export function hostRoutes(nodes: readonly Node[], config: ModelConfig): HostRoute[] {
  const routes: HostRoute[] = [];
  for (const node of [...nodes].sort(byName)) {
    const attachment = config.nodes.get(node.metadata.name);
    if (attachment === undefined) continue;
    const prefixes = [
      ...nodePodCidrs(node),
      ...nodeIpAddresses(node).map((ip) => `${ip}/${ipFamily(ip) === 4 ? 32 : 128}`),
    ];
    for (const prefix of [...new Set(prefixes)].sort()) {
      routes.push({
        prefix,
        family: ipFamily(prefix.slice(0, prefix.indexOf('/')))!,
        nodeName: node.metadata.name,
        switchName: attachment.switchName,
        port: attachment.port,
        hostMac: attachment.hostMac,
        switchMac: attachment.switchMac,
      });
    }
  }
  return routes;
}

/** Names of the cluster's nodes that the fabric configuration does not place. */
export function unattachedNodes(nodes: readonly Node[], config: ModelConfig): string[] {
  return nodes
    .map((node) => node.metadata.name)
    .filter((name) => !config.nodes.has(name))
    .sort();
}

export function byName(a: Node, b: Node): number {
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

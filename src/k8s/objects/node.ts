import { z } from 'zod';
import { canonicalIp, ipPrefix } from './ip.ts';
import { clusterMeta, nullishTo } from './meta.ts';

/** v1 Node, as far as Talaria reads it: its addresses and pod CIDRs. */

/** Address types whose value is an IP address; the others (Hostname, DNS) are names. */
const IP_ADDRESS_TYPES = new Set(['InternalIP', 'ExternalIP']);

const nodeAddress = z
  .object({ type: z.string().min(1), address: z.string().min(1) })
  .transform((entry, ctx) => {
    if (!IP_ADDRESS_TYPES.has(entry.type)) return entry;
    const address = canonicalIp(entry.address);
    if (address === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${entry.type} is not an IP address: '${entry.address}'`,
      });
      return z.NEVER;
    }
    return { type: entry.type, address };
  });

export const nodeSchema = z.object({
  metadata: clusterMeta,
  spec: nullishTo(
    z.object({
      podCIDR: ipPrefix.nullish(),
      podCIDRs: nullishTo(z.array(ipPrefix).max(2), []),
    }),
    { podCIDRs: [] },
  ),
  status: nullishTo(z.object({ addresses: nullishTo(z.array(nodeAddress).max(64), []) }), {
    addresses: [],
  }),
});

export type Node = z.output<typeof nodeSchema>;

/** The node's IP addresses (InternalIP and ExternalIP), without duplicates. */
export function nodeIpAddresses(node: Node): string[] {
  const ips = node.status.addresses
    .filter((entry) => IP_ADDRESS_TYPES.has(entry.type))
    .map((entry) => entry.address);
  return [...new Set(ips)];
}

/** The node's pod CIDRs: podCIDRs, or the older single podCIDR. */
export function nodePodCidrs(node: Node): string[] {
  if (node.spec.podCIDRs.length > 0) return node.spec.podCIDRs;
  return node.spec.podCIDR ? [node.spec.podCIDR] : [];
}

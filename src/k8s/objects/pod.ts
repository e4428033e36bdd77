import { z } from 'zod';
import { ipAddress } from './ip.ts';
import { namespacedMeta, nullishTo } from './meta.ts';

/**
 * v1 Pod, as far as Talaria reads it: its labels (for NetworkPolicy pod selectors), whether
 * it uses the node's network, and its addresses.
 */
export const podSchema = z.object({
  metadata: namespacedMeta,
  spec: nullishTo(z.object({ hostNetwork: nullishTo(z.boolean(), false) }), {
    hostNetwork: false,
  }),
  status: nullishTo(
    z.object({
      podIP: ipAddress.nullish(),
      podIPs: nullishTo(z.array(z.object({ ip: ipAddress })).max(2), []),
    }),
    { podIPs: [] },
  ),
});

export type Pod = z.output<typeof podSchema>;

/** The pod's own addresses (none for a hostNetwork pod: those are the node's). */
export function podAddresses(pod: Pod): string[] {
  if (pod.spec.hostNetwork) return [];
  const { podIP, podIPs } = pod.status;
  const all = podIPs.map((p) => p.ip);
  if (podIP && !all.includes(podIP)) all.push(podIP);
  return all;
}

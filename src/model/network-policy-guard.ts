import { objectKey } from '../k8s/objects/meta.ts';
import { selects, type LabelSelector, type NetworkPolicy } from '../k8s/objects/network-policy.ts';
import { podAddresses, type Pod } from '../k8s/objects/pod.ts';
import type { Service } from '../k8s/objects/service.ts';
import type { NotOffloaded } from './desired-state.ts';
import type { ServiceModel } from './service-frontends.ts';

/**
 * NetworkPolicy and the fast path (docs/security.md). Offloaded Service traffic goes
 * between the pod's veth and the switch and never meets the hosts' netfilter, where
 * iptables-based CNIs enforce NetworkPolicy. So, unless the configuration says policies are
 * enforced on the fast path as well, a Service whose backends an ingress policy may select
 * is not offloaded: its traffic keeps the kernel's path, and the policy keeps applying.
 *
 * Which pods back a Service is the Service's selector's business: a policy "may select" a
 * backend when some pod could match both the Service's selector and the policy's pod
 * selector. The test leans to "may": a Service without a selector (hand-made
 * EndpointSlices) counts as selected by every ingress policy of its namespace.
 *
 * Egress is about clients: a pod that an egress policy selects must not reach Services past
 * its own host's netfilter, so its address is published to the agents, whose programs then
 * leave its Service traffic to the kernel's path (excludedClients()).
 */

/** How the reasons of Service ports kept on the hosts' path by a policy begin. */
export const NETWORK_POLICY_REASON = 'backends selected by ingress NetworkPolicy';

/** Whether some pod with every label of `required` (and any others) could match `selector`. */
export function couldSelect(
  selector: LabelSelector,
  required: Readonly<Record<string, string>>,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (key in required && required[key] !== value) return false;
  }
  return selector.matchExpressions.every((r) => {
    if (!(r.key in required)) return true; // the pod may carry the label or not
    const value = required[r.key]!;
    switch (r.operator) {
      case 'In':
        return r.values.includes(value);
      case 'NotIn':
        return !r.values.includes(value);
      case 'Exists':
        return true;
      case 'DoesNotExist':
        return false;
    }
  });
}

/** The ingress policies of the Service's namespace that may select its backends, sorted. */
export function ingressPoliciesOf(
  service: Service,
  policies: readonly NetworkPolicy[],
): NetworkPolicy[] {
  const selector = service.spec.selector;
  return policies
    .filter(
      (p) =>
        p.metadata.namespace === service.metadata.namespace &&
        p.spec.policyTypes.includes('Ingress') &&
        (selector === null || selector === undefined || couldSelect(p.spec.podSelector, selector)),
    )
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

/**
 * The Service's model once ingress policies are taken into account: unchanged when no
 * policy may select its backends (or policies are enforced on the fast path); otherwise
 * no frontend, and every port reported with the policies that keep it on the hosts' path.
 */
export function guardedServiceModel(
  service: Service,
  model: ServiceModel,
  policies: readonly NetworkPolicy[],
  enforcedOnFastPath: boolean,
): ServiceModel {
  if (enforcedOnFastPath || model.frontends.length === 0) return model;
  const selecting = ingressPoliciesOf(service, policies);
  if (selecting.length === 0) return model;
  const names = selecting.map((p) => objectKey(p.metadata)).join(', ');
  const notOffloaded: NotOffloaded[] = [...model.notOffloaded];
  const reported = new Set<string>();
  for (const frontend of model.frontends) {
    if (reported.has(frontend.service.portName)) continue;
    reported.add(frontend.service.portName);
    notOffloaded.push({
      service: frontend.service,
      reason: `${NETWORK_POLICY_REASON} ${names}: kept on the hosts' path, where the policy is enforced`,
    });
  }
  return { frontends: [], notOffloaded };
}

/**
 * The IPv4 addresses of the pods an egress policy of their namespace selects, sorted: the
 * clients the agents keep on the kernel's path. None when policies are enforced on the
 * fast path. hostNetwork pods have no address of their own and never use the fast path.
 */
export function excludedClients(
  pods: Iterable<Pod>,
  policiesOf: (namespace: string) => readonly NetworkPolicy[],
  enforcedOnFastPath: boolean,
): string[] {
  if (enforcedOnFastPath) return [];
  const excluded = new Set<string>();
  for (const pod of pods) {
    const egress = policiesOf(pod.metadata.namespace).filter((p) =>
      p.spec.policyTypes.includes('Egress'),
    );
    if (!egress.some((p) => selects(p.spec.podSelector, pod.metadata.labels))) continue;
    for (const ip of podAddresses(pod)) if (!ip.includes(':')) excluded.add(ip);
  }
  return [...excluded].sort();
}

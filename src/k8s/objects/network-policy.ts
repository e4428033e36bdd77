import { z } from 'zod';
import { namespacedMeta, nullishTo } from './meta.ts';

/**
 * networking.k8s.io/v1 NetworkPolicy, as far as Talaria reads it: which pods it selects and
 * in which direction it restricts them. The rules themselves are never read: Talaria does
 * not enforce policies, it keeps the traffic they govern on the hosts' path, where the
 * cluster's CNI enforces them (docs/security.md).
 */

const labelValues = nullishTo(z.array(z.string()).max(1_000), []);

const selectorRequirement = z
  .object({
    key: z.string().min(1),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
    values: labelValues,
  })
  .refine(
    (r) =>
      r.operator === 'In' || r.operator === 'NotIn' ? r.values.length > 0 : r.values.length === 0,
    { message: 'In and NotIn need values; Exists and DoesNotExist take none' },
  );

/** metav1.LabelSelector: the empty selector selects every pod of the namespace. */
export const labelSelectorSchema = z.object({
  matchLabels: nullishTo(z.record(z.string(), z.string()), {}),
  matchExpressions: nullishTo(z.array(selectorRequirement).max(100), []),
});

export type LabelSelector = z.output<typeof labelSelectorSchema>;

export const networkPolicySchema = z
  .object({
    metadata: namespacedMeta,
    spec: z.object({
      podSelector: nullishTo(labelSelectorSchema, { matchLabels: {}, matchExpressions: [] }),
      policyTypes: z
        .array(z.enum(['Ingress', 'Egress']))
        .max(2)
        .nullish(),
      ingress: nullishTo(z.array(z.unknown()).max(1_000), []),
      egress: nullishTo(z.array(z.unknown()).max(1_000), []),
    }),
  })
  .transform(({ metadata, spec }) => ({
    metadata,
    spec: {
      podSelector: spec.podSelector,
      // The API's default: Ingress always, Egress when the policy has egress rules.
      policyTypes:
        spec.policyTypes ??
        (spec.egress.length > 0 ? (['Ingress', 'Egress'] as const) : (['Ingress'] as const)),
    },
  }));

export type NetworkPolicy = z.output<typeof networkPolicySchema>;

/** Whether `selector` selects a pod with `labels`. */
export function selects(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  return selector.matchExpressions.every((r) => {
    const value = labels[r.key];
    switch (r.operator) {
      case 'In':
        return value !== undefined && r.values.includes(value);
      case 'NotIn':
        return value === undefined || !r.values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
    }
  });
}

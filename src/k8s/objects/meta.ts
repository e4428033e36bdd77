import { z } from 'zod';

/** The ObjectMeta fields Talaria reads. Unknown fields are dropped by every schema here. */
const objectName = z.string().min(1).max(253);

/** JSON `null` and a missing field mean the same thing in the API: both become `fallback`. */
export function nullishTo<T extends z.ZodType>(schema: T, fallback: z.output<T>) {
  return schema.nullish().transform((value) => value ?? fallback);
}

const labels = nullishTo(z.record(z.string(), z.string()), {});

export const namespacedMeta = z.object({
  name: objectName,
  namespace: z.string().min(1).max(63),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  labels,
});

export const clusterMeta = z.object({
  name: objectName,
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  labels,
});

/** "namespace/name" (or "name" for cluster-scoped objects): the key of caches and queues. */
export function objectKey(meta: { readonly name: string; readonly namespace?: string }): string {
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

/** What is left of an object that failed validation: enough to name it in a report. */
export const objectIdentity = z.object({
  metadata: z.object({
    name: z.string().min(1),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).nullish(),
  }),
});

/** A port number 1..65535. */
export const portNumber = z.int().min(1).max(65535);

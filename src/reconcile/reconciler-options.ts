import { z } from 'zod';
import type { BackoffOptions } from '../base/backoff.ts';
import { DEFAULT_BATCH_SIZE } from '../p4rt/client.ts';
import { clientOptionsSchema, electionIdSchema } from '../p4rt/client-options.ts';
import type { Pipeline } from '../p4rt/pipeline.ts';
import { DEFAULT_BUCKET_SIZING } from './bucket-sizing.ts';
import { MAX_BUCKETS_PER_SERVICE, SLOT_LIMIT } from './p4-names.ts';
import { describeFirstIssue } from '../validation/zod-issue.ts';

/** One switch: how to reach it (P4Runtime client options) and the name it is reported by. */
const powerOfTwo = z
  .number()
  .int()
  .min(1)
  .max(MAX_BUCKETS_PER_SERVICE)
  .refine((n) => (n & (n - 1)) === 0, 'must be a power of two');

/** Bucket table sizes per Service (src/reconcile/bucket-sizing.ts). */
export const bucketSizingSchema = z
  .object({
    minBuckets: powerOfTwo.default(DEFAULT_BUCKET_SIZING.minBuckets),
    bucketsPerBackend: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(DEFAULT_BUCKET_SIZING.bucketsPerBackend),
    maxBuckets: powerOfTwo.default(DEFAULT_BUCKET_SIZING.maxBuckets),
  })
  .strict()
  .refine((s) => s.minBuckets <= s.maxBuckets, {
    message: 'minBuckets must not exceed maxBuckets',
    path: ['minBuckets'],
  });

const switchSchema = clientOptionsSchema.omit({ electionId: true, backoff: true }).extend({
  /** Name in status, logs and metric labels; default `address/deviceId`. */
  name: z.string().min(1).optional(),
  /** Overrides the reconciler-wide election id for this switch. */
  electionId: electionIdSchema.optional(),
  /**
   * The ports whose hosts run the agent (table agent_ports): the only ports the switch
   * accepts a Talaria header on. Default none: every header is dropped.
   */
  agentPorts: z
    .array(z.int().min(0).max(511))
    .refine((ports) => new Set(ports).size === ports.length, 'ports listed twice')
    .default([]),
});

export const reconcilerOptionsSchema = z
  .object({
    switches: z.array(switchSchema).min(1, 'at least one switch'),
    /** Election id on every switch; the k8s side raises it when it becomes leader. */
    electionId: electionIdSchema.default(1n),
    /**
     * The pipeline to install, pushed only where the device's cookie differs. Without
     * it, the reconciler uses whatever pipeline the switch already runs.
     */
    pipeline: z.custom<Pipeline>((v) => typeof v === 'object' && v !== null).optional(),
    /** Selector programming: members and groups, or one-shot action sets in the entry. */
    selectorMode: z.enum(['groups', 'one-shot']).default('groups'),
    /**
     * How a packet without a cookie gets its backend: the Service's bucket table where the
     * switch has room for one (flows move only as backends come and go), else the action
     * selectors; 'selector' uses the selectors only (a target without table space).
     */
    backendChoice: z.enum(['buckets', 'selector']).default('buckets'),
    buckets: bucketSizingSchema.default(DEFAULT_BUCKET_SIZING),
    /** How long a removed backend keeps its slot (and backends entry) for its connections. */
    drainMs: z.number().int().nonnegative().default(120_000),
    /** Slots per Service, at most 2^16 (the cookie's slot field). */
    maxSlotsPerService: z.number().int().min(1).max(SLOT_LIMIT).default(SLOT_LIMIT),
    /** Updates per Write RPC (see WriteOptions.batchSize for why not more by default). */
    batchSize: z.number().int().min(1).max(100_000).default(DEFAULT_BATCH_SIZE),
    /** Write RPCs in flight at once within one phase. */
    writeConcurrency: z.number().int().min(1).max(64).default(4),
    /** How long a frontend the switch refused stays off the switch before it is tried again. */
    refusedRetryMs: z.number().int().min(100).default(60_000),
    /**
     * The 64-bit secret key of the cookie tag (table tag_key). Unset: adopted from the
     * first switch that has one, else drawn at random. Set and different from the
     * switches' current key: rotated to (docs/wire-format.md, "Key epochs").
     */
    tagKey: z
      .bigint()
      .min(1n)
      .max((1n << 64n) - 1n)
      .optional(),
    backoff: z.custom<BackoffOptions>((v) => typeof v === 'object' && v !== null).optional(),
  })
  .strict();

export type ReconcilerOptions = z.input<typeof reconcilerOptionsSchema>;
export type ResolvedReconcilerOptions = z.output<typeof reconcilerOptionsSchema>;
export type SwitchOptions = z.output<typeof switchSchema>;

export class ReconcilerOptionsError extends Error {
  override readonly name = 'ReconcilerOptionsError';
}

export function parseReconcilerOptions(options: ReconcilerOptions): ResolvedReconcilerOptions {
  const parsed = reconcilerOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ReconcilerOptionsError(`reconciler: ${describeFirstIssue(parsed.error, 'options')}`);
  }
  return parsed.data;
}

import { z } from 'zod';
import type { BackoffOptions } from '../base/backoff.ts';
import { describeFirstIssue } from '../validation/zod-issue.ts';

/**
 * What a P4RuntimeClient needs to reach and claim one device, validated once at
 * construction (errors name the option).
 */

const UINT64_LIMIT = 1n << 64n;
const UINT128_LIMIT = 1n << 128n;

const bigintLike = z.union([
  z.bigint(),
  z.number().int().nonnegative(),
  z.string().regex(/^\d+$/, 'must be a decimal integer'),
]);

/** uint64 device id (0 is invalid since P4Runtime 1.5). */
export const deviceIdSchema = bigintLike
  .transform((v) => BigInt(v))
  .refine((v) => v >= 1n && v < UINT64_LIMIT, 'must be in 1..2^64-1');

/** uint128 election id. */
export const electionIdSchema = bigintLike
  .transform((v) => BigInt(v))
  .refine((v) => v < UINT128_LIMIT, 'must fit in 128 bits');

const pem = z.union([z.instanceof(Buffer), z.string().min(1)]).transform((v) => Buffer.from(v));

export const clientOptionsSchema = z
  .object({
    /** host:port of the P4Runtime server, e.g. '127.0.0.1:9559'. */
    address: z.string().regex(/^\S+:\d{1,5}$/, 'must be host:port'),
    /** The device on that server. */
    deviceId: deviceIdSchema,
    /** Our election id (uint128); the highest one of the (device, role) is primary. */
    electionId: electionIdSchema,
    /** The role to claim; '' is the default role (full access). */
    role: z.string().default(''),
    /** TLS: root CAs to verify the server; with privateKey and certChain, mutual TLS. */
    tls: z
      .object({
        rootCerts: pem.optional(),
        privateKey: pem.optional(),
        certChain: pem.optional(),
        /** Name to verify the server certificate against instead of the address's host. */
        serverNameOverride: z.string().min(1).optional(),
      })
      .strict()
      .refine((tls) => (tls.privateKey === undefined) === (tls.certChain === undefined), {
        message: 'mutual TLS needs both privateKey and certChain',
      })
      .optional(),
    /** Deadline of unary RPCs and reads. */
    rpcTimeoutMs: z.number().int().positive().default(60_000),
    /** Largest gRPC message sent or received (whole-table reads can be large). */
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .default(256 * 1024 * 1024),
    backoff: z.custom<BackoffOptions>((v) => typeof v === 'object' && v !== null).optional(),
  })
  .strict();

export type P4RuntimeClientOptions = z.input<typeof clientOptionsSchema>;
export type ResolvedClientOptions = z.output<typeof clientOptionsSchema>;

export class ClientOptionsError extends Error {
  override readonly name = 'ClientOptionsError';
}

export function parseClientOptions(options: P4RuntimeClientOptions): ResolvedClientOptions {
  const parsed = clientOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ClientOptionsError(
      `P4Runtime client: ${describeFirstIssue(parsed.error, 'options')}`,
    );
  }
  return parsed.data;
}

import { readdirSync, readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { DROP_COUNTER_NAMES } from './drop-reasons.ts';
import { describeIssue } from '../validation/zod-issue.ts';

/**
 * Packet test vectors (test/vectors/*.json, format described in test/vectors/README.md):
 * the switch state, then packets in and what must come out, or the drop counter that
 * must count them. Every consumer (codec tests, BMv2, the embedded target, eBPF tests)
 * loads them through this schema.
 */

export const VECTOR_FORMAT = 'talaria-packet-vectors/1';

const uint = (bits: number) =>
  z
    .number()
    .int()
    .min(0)
    .max(2 ** bits - 1);

const ipv4Address = z.string().refine(isIPv4, { message: 'not an IPv4 address' });

const ipv4Prefix = z.string().refine(
  (prefix) => {
    const [address, length, ...rest] = prefix.split('/');
    return (
      rest.length === 0 &&
      address !== undefined &&
      isIPv4(address) &&
      length !== undefined &&
      /^\d{1,2}$/.test(length) &&
      Number(length) <= 32
    );
  },
  { message: 'not an IPv4 prefix a.b.c.d/n' },
);

const macAddress = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'not a lower-case MAC address');

const hexBytes = z.string().regex(/^([0-9a-f]{2})+$/, 'not lower-case hex bytes');

const switchPort = uint(9);

const l4Protocol = z.enum(['TCP', 'UDP']);

export const PATHS = [
  'new-connection',
  'bucket-table',
  'affinity',
  'cookie',
  'reply',
  'forward-external',
  'l3-forward',
  'fragment',
  'ttl',
  'ipv4-checksum',
  'ipv4-options',
  'truncated',
  'length',
  'bad-version',
  'next-type',
  'forged-tag',
  'key-epoch',
  'not-agent-port',
  'reply-source',
  'syn-with-cookie',
  'service-mismatch',
  'unknown-slot',
  'no-backend',
  'no-route',
  'unknown-service',
  'not-ipv4',
] as const;

/** A 64-bit tag key: 16 lower-case hex digits (JSON numbers cannot hold 64 bits). */
const tagKey = z
  .string()
  .regex(/^[0-9a-f]{16}$/, 'not 16 lower-case hex digits')
  .transform((hex) => BigInt(`0x${hex}`));

export const switchStateSchema = z
  .object({
    /** Default action of tag_key: set_tag_keys(epoch, current, previous). */
    tagKeys: z.object({ epoch: uint(16), current: tagKey, previous: tagKey }).strict(),
    /** agent_ports: the ports whose hosts run the agent (accept_talaria). */
    agentPorts: z.array(switchPort),
    /** frontends: (vipAddr, protocol, vipPort) -> set_service(serviceId). */
    frontends: z.array(
      z
        .object({
          vipAddr: ipv4Address,
          protocol: l4Protocol,
          vipPort: uint(16),
          serviceId: uint(32).min(1),
        })
        .strict(),
    ),
    /**
     * backend_select or affinity_select: serviceId -> a group of pick_slot(slot) members,
     * created in this order on a fresh switch.
     */
    selectors: z.array(
      z
        .object({
          table: z.enum(['backend_select', 'affinity_select']),
          serviceId: uint(32).min(1),
          slots: z.array(uint(16)).min(1),
        })
        .strict(),
    ),
    /**
     * Bucket tables: bucket_services serviceId -> use_flow_buckets / use_client_buckets
     * (mask = slots.length - 1, a power of two), and bucket_select (serviceId, i) ->
     * pick_bucket_slot(slots[i], newSlots[i]) for every i (newSlots: default slots).
     */
    buckets: z
      .array(
        z
          .object({
            serviceId: uint(32).min(1),
            hash: z.enum(['flow', 'client']),
            slots: z
              .array(uint(16))
              .min(1)
              .max(65_536)
              .refine((s) => (s.length & (s.length - 1)) === 0, 'length must be a power of two'),
            newSlots: z.array(uint(16)).optional(),
          })
          .strict()
          .refine((t) => t.newSlots === undefined || t.newSlots.length === t.slots.length, {
            message: 'newSlots must have one slot per bucket',
            path: ['newSlots'],
          }),
      )
      .default([]),
    /** backends: (serviceId, slot) -> set_backend(addr, port). */
    backends: z.array(
      z
        .object({ serviceId: uint(32).min(1), slot: uint(16), addr: ipv4Address, port: uint(16) })
        .strict(),
    ),
    /** reply_frontends: serviceId -> set_reply_source(vipAddr, vipPort, protocol). */
    replyFrontends: z.array(
      z
        .object({
          serviceId: uint(32).min(1),
          vipAddr: ipv4Address,
          vipPort: uint(16),
          protocol: l4Protocol,
        })
        .strict(),
    ),
    /** l3_forward: prefix -> forward_to_host / forward_to_external(port, switchMac, hostMac). */
    routes: z.array(
      z
        .object({
          prefix: ipv4Prefix,
          kind: z.enum(['host', 'external']),
          port: switchPort,
          switchMac: macAddress,
          hostMac: macAddress,
        })
        .strict(),
    ),
  })
  .strict();

const frameSchema = z.object({ port: switchPort, packet: hexBytes }).strict();

export const vectorSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'not a kebab-case name'),
    path: z.enum(PATHS),
    description: z.string().min(1),
    input: frameSchema,
    expect: z.discriminatedUnion('kind', [
      frameSchema.extend({ kind: z.literal('forward') }).strict(),
      z.object({ kind: z.literal('drop'), reason: z.enum(DROP_COUNTER_NAMES) }).strict(),
    ]),
  })
  .strict();

export const vectorFileSchema = z
  .object({
    format: z.literal(VECTOR_FORMAT),
    description: z.string(),
    generatedBy: z.string(),
    switch: switchStateSchema,
    vectors: z.array(vectorSchema).min(1),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.vectors.forEach((vector, index) => {
      if (seen.has(vector.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['vectors', index, 'name'],
          message: `duplicate vector name '${vector.name}'`,
        });
      }
      seen.add(vector.name);
    });
  });

export type SwitchState = z.output<typeof switchStateSchema>;
/** The state as the vector file writes it (tag keys as hex). */
export type SwitchStateInput = z.input<typeof switchStateSchema>;
export type PacketVector = z.infer<typeof vectorSchema>;
export type VectorPath = (typeof PATHS)[number];
export type VectorFile = z.output<typeof vectorFileSchema>;
export type VectorFileInput = z.input<typeof vectorFileSchema>;

/** The committed vectors' directory. */
export const VECTORS_DIR = new URL('../../test/vectors/', import.meta.url).pathname;

/** Parses a vector file's text; errors name the file and the JSON path of each problem. */
export function parseVectorFile(text: string, source: string): VectorFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not JSON: ${(error as Error).message}`);
  }
  const result = vectorFileSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(issue));
    throw new Error(`${source}: not a Talaria vector file:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

/** Every vector file in `dir` (default: the committed ones), by file name. */
export function loadVectorFiles(dir = VECTORS_DIR): Map<string, VectorFile> {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
  return new Map(
    files.map((name) => [name, parseVectorFile(readFileSync(join(dir, name), 'utf8'), name)]),
  );
}

/** A 64-bit tag key as the vector format writes it: 16 lower-case hex digits. */
export function tagKeyHex(key: bigint): string {
  return key.toString(16).padStart(16, '0');
}

export function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

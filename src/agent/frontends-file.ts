import { isIP } from 'node:net';
import { z } from 'zod';
import type { Frontend } from '../model/desired-state.ts';
import type { VipEntry } from './datapath-maps.ts';
import { describeFirstIssue } from '../validation/zod-issue.ts';

/**
 * Which Service frontends the switch serves, for the VIP map. The agent reads them from a
 * JSON file (`--frontends`): `{ "frontends": [Frontend, ...] }`, the frontends of the
 * model's DesiredState (src/model/desired-state.ts) as the controller publishes them, each
 * optionally with `"offloaded": false` while the switch does not hold it. Only frontends in
 * the file take the fast path; everything else goes the kernel's way (kube-proxy), which is
 * the fallback (docs/host-path.md). `excludedClients` (optional) lists the IPv4 addresses of
 * client pods that egress NetworkPolicies select: their Service traffic keeps the kernel's
 * path too (docs/security.md).
 */

const frontendSchema = z
  .object({
    ip: z.string().refine((ip) => isIP(ip) !== 0, 'not an IP address'),
    protocol: z.enum(['TCP', 'UDP']),
    port: z.number().int().min(1).max(65_535),
    family: z.union([z.literal(4), z.literal(6)]).optional(),
    offloaded: z.boolean().default(true),
  })
  .passthrough();

export const frontendsFileSchema = z
  .object({
    frontends: z.array(frontendSchema),
    excludedClients: z
      .array(z.string().refine((ip) => isIP(ip) === 4, 'not an IPv4 address'))
      .default([]),
  })
  .passthrough();

/** What a frontends file says: the VIP map's entries and the excluded client pods. */
export interface FrontendsDocument {
  readonly vips: VipEntry[];
  readonly excludedClients: readonly string[];
}

type FileFrontend = Pick<Frontend, 'ip' | 'protocol' | 'port'> & { readonly offloaded?: boolean };

/** VIP map entries of IPv4 frontends (the data path is IPv4 first; IPv6 ones are skipped). */
export function vipEntriesFromFrontends(frontends: Iterable<FileFrontend>): VipEntry[] {
  const entries = new Map<string, VipEntry>();
  for (const frontend of frontends) {
    if (isIP(frontend.ip) !== 4) continue;
    const entry: VipEntry = {
      addr: frontend.ip,
      port: frontend.port,
      protocol: frontend.protocol,
      offloaded: frontend.offloaded ?? true,
    };
    entries.set(`${entry.addr}|${entry.protocol}|${entry.port}`, entry);
  }
  return [...entries.values()];
}

/** The VIP map entries of a frontends file (parseFrontendsDocument().vips). */
export function parseFrontendsFile(text: string, source: string): VipEntry[] {
  return parseFrontendsDocument(text, source).vips;
}

/** Validates the text of a frontends file; errors name the file and the field. */
export function parseFrontendsDocument(text: string, source: string): FrontendsDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not JSON: ${(error as Error).message}`);
  }
  const parsed = frontendsFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${source}: ${describeFirstIssue(parsed.error)}`);
  }
  return {
    vips: vipEntriesFromFrontends(parsed.data.frontends),
    excludedClients: parsed.data.excludedClients,
  };
}

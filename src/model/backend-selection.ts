import type { EndpointSlice } from '../k8s/objects/endpoint-slice.ts';
import type { ServicePort } from '../k8s/objects/service.ts';
import type { IpFamily } from '../base/ip-family.ts';
import type { Backend } from './desired-state.ts';
import { drainKey, type DrainedEndpoints } from './model-config.ts';

/**
 * Which endpoints of a Service port take which traffic, from EndpointSlice conditions
 * (the rules of kube-proxy, KEP-1669 included):
 * - ready (default true) and not terminating: active;
 * - terminating: keeps the connections it has (state 'terminating') until it leaves the
 *   slice or its drain time is over; takes new connections only when no endpoint is
 *   active and it is still serving (kube-proxy's terminating fallback);
 * - not ready and not terminating: no traffic, unless the Service sets
 *   publishNotReadyAddresses, which makes every non-terminating endpoint active.
 */

/** One endpoint address with its resolved target port and conditions. */
export interface Candidate {
  readonly ip: string;
  readonly port: number;
  readonly nodeName: string | undefined;
  readonly condition: 'active' | 'terminating-serving' | 'terminating';
}

export interface CandidateOptions {
  readonly serviceKey: string;
  readonly family: IpFamily;
  readonly publishNotReadyAddresses: boolean;
  readonly drained: DrainedEndpoints;
}

const CONDITION_RANK: Record<Candidate['condition'], number> = {
  active: 0,
  'terminating-serving': 1,
  terminating: 2,
};

/**
 * The candidates of one Service port and address family across all the Service's slices.
 * An address listed in several slices counts once, with its best condition.
 */
export function portCandidates(
  port: ServicePort,
  slices: readonly EndpointSlice[],
  options: CandidateOptions,
): Candidate[] {
  const addressType = options.family === 4 ? 'IPv4' : 'IPv6';
  const byAddress = new Map<string, Candidate>();
  for (const slice of slices) {
    if (slice.addressType !== addressType) continue;
    // The slice names its ports after the Service's ports; the number is the target port.
    const slicePort = slice.ports.find((p) => p.name === port.name && p.protocol === port.protocol);
    if (slicePort?.port == null) continue;
    for (const endpoint of slice.endpoints) {
      // All addresses of an endpoint are one pod; kube-proxy uses the first.
      const ip = endpoint.addresses[0]!;
      const condition = endpointCondition(endpoint.conditions, options);
      if (condition === undefined) continue;
      if (condition !== 'active' && options.drained.has(drainKey(options.serviceKey, ip))) continue;
      const candidate: Candidate = {
        ip,
        port: slicePort.port,
        nodeName: endpoint.nodeName ?? undefined,
        condition,
      };
      const key = `${ip}|${candidate.port}`;
      const seen = byAddress.get(key);
      if (seen === undefined || better(candidate, seen)) byAddress.set(key, candidate);
    }
  }
  return [...byAddress.values()];
}

function endpointCondition(
  conditions: EndpointSlice['endpoints'][number]['conditions'],
  options: CandidateOptions,
): Candidate['condition'] | undefined {
  const ready = conditions.ready ?? true;
  const serving = conditions.serving ?? ready;
  if (conditions.terminating ?? false) return serving ? 'terminating-serving' : 'terminating';
  if (ready || options.publishNotReadyAddresses) return 'active';
  return undefined;
}

/** Order-independent choice between two listings of one address: best condition, then node. */
function better(a: Candidate, b: Candidate): boolean {
  const rank = CONDITION_RANK[a.condition] - CONDITION_RANK[b.condition];
  if (rank !== 0) return rank < 0;
  return (a.nodeName ?? '') < (b.nodeName ?? '');
}

/** The backends of a frontend from its candidates, sorted by address and port. */
export function backendsOf(candidates: readonly Candidate[], family: IpFamily): Backend[] {
  const anyActive = candidates.some((c) => c.condition === 'active');
  const backends = candidates.map((c): Backend => {
    const active =
      c.condition === 'active' || (!anyActive && c.condition === 'terminating-serving');
    const backend: Backend = {
      ip: c.ip,
      port: c.port,
      family,
      state: active ? 'active' : 'terminating',
    };
    return c.nodeName === undefined ? backend : { ...backend, nodeName: c.nodeName };
  });
  return backends.sort(compareBackends);
}

function compareBackends(a: Backend, b: Backend): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  return a.port - b.port;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterCache } from '../../src/k8s/cluster-cache.ts';
import { endpointSliceSchema, type EndpointSlice } from '../../src/k8s/objects/endpoint-slice.ts';
import { objectKey } from '../../src/k8s/objects/meta.ts';
import { nodeSchema, type Node } from '../../src/k8s/objects/node.ts';
import { serviceSchema, type Service } from '../../src/k8s/objects/service.ts';
import {
  endpointSliceObject,
  nodeObject,
  serviceObject,
} from '../../src/k8s/testing/object-builders.ts';
import { DesiredStatePipeline } from '../../src/controller/desired-state-pipeline.ts';
import { computeDesiredState } from '../../src/model/compute-desired-state.ts';
import type { DesiredState } from '../../src/model/desired-state.ts';
import type { ModelConfig } from '../../src/model/model-config.ts';

// Small pools, so that random objects collide: shared external IPs, endpoints listed in
// two slices, slices moving between Services, nodes coming and going.
const SERVICE_KEYS = ['a/s1', 'a/s2', 'b/s1'] as const;
const SLICE_KEYS = ['a/x1', 'a/x2', 'a/x3', 'b/x1'] as const;
const NODE_NAMES = ['n1', 'n2', 'n3'] as const;
const SHARED_IPS = ['198.51.100.1', '198.51.100.2'];

const serviceArb = (key: string) =>
  fc
    .record({
      type: fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer') as fc.Arbitrary<
        'ClusterIP' | 'NodePort' | 'LoadBalancer'
      >,
      clusterIPs: fc.constantFrom<string[]>(
        ['10.96.0.1'],
        ['10.96.0.2', 'fd00::2'],
        ['None'],
        ['10.96.0.3'],
      ),
      ports: fc.subarray(
        [
          { name: 'http', port: 80, nodePort: 30080 },
          { name: 'dns', port: 53, protocol: 'UDP' as const, nodePort: 30053 },
          { name: 'sig', port: 3868, protocol: 'SCTP' as const },
        ],
        { minLength: 1 },
      ),
      externalIPs: fc.subarray(SHARED_IPS),
      loadBalancerIngress: fc.subarray(SHARED_IPS),
      affinity: fc.option(fc.integer({ min: 1, max: 86_400 })),
      externalTrafficPolicy: fc.constantFrom('Cluster', 'Local') as fc.Arbitrary<
        'Cluster' | 'Local'
      >,
      internalTrafficPolicy: fc.constantFrom('Cluster', 'Cluster', 'Local') as fc.Arbitrary<
        'Cluster' | 'Local'
      >,
      publishNotReadyAddresses: fc.boolean(),
    })
    .map((r): Service => {
      const [namespace, name] = key.split('/') as [string, string];
      return serviceSchema.parse(
        serviceObject({
          namespace,
          name,
          type: r.type,
          clusterIPs: r.clusterIPs,
          ports: r.ports.map((p) => (r.type === 'ClusterIP' ? { ...p, nodePort: undefined } : p)),
          externalIPs: r.externalIPs,
          loadBalancerIngress: r.type === 'LoadBalancer' ? r.loadBalancerIngress : undefined,
          sessionAffinityTimeout: r.affinity ?? undefined,
          externalTrafficPolicy: r.externalTrafficPolicy,
          internalTrafficPolicy: r.internalTrafficPolicy,
          publishNotReadyAddresses: r.publishNotReadyAddresses,
        }),
      );
    });

const endpointArb = (family: 4 | 6) =>
  fc.record({
    ip:
      family === 4
        ? fc.constantFrom('10.244.0.1', '10.244.0.2', '10.244.0.3')
        : fc.constantFrom('fd00::a', 'fd00::b'),
    node: fc.option(fc.constantFrom(...NODE_NAMES), { nil: undefined }),
    ready: fc.boolean(),
    serving: fc.boolean(),
    terminating: fc.boolean(),
  });

const sliceArb = (key: string) =>
  fc.constantFrom<4 | 6>(4, 4, 6).chain((family) =>
    fc
      .record({
        service: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
        ports: fc.subarray(
          [
            { name: 'http', port: 8080 },
            { name: 'dns', port: 5353, protocol: 'UDP' as const },
            { name: 'sig', port: 3868, protocol: 'SCTP' as const },
          ],
          { minLength: 1 },
        ),
        endpoints: fc.array(endpointArb(family), { maxLength: 4 }),
      })
      .map((r): EndpointSlice => {
        const [namespace, name] = key.split('/') as [string, string];
        return endpointSliceSchema.parse(
          endpointSliceObject({
            namespace,
            name,
            addressType: family === 4 ? 'IPv4' : 'IPv6',
            ...r,
          }),
        );
      }),
  );

const nodeArb = (name: string) =>
  fc
    .record({
      internalIPs: fc.subarray(['192.168.0.1', '192.168.0.2', 'fd00:1::1'], { minLength: 1 }),
      podCIDRs: fc.constantFrom<string[]>(
        ['10.244.1.0/24'],
        ['10.244.2.0/24', 'fd00:244:2::/64'],
        [],
      ),
    })
    .map((r): Node => nodeSchema.parse(nodeObject({ name, ...r })));

type Op =
  | { kind: 'service'; key: string; object: Service | undefined }
  | { kind: 'slice'; key: string; object: EndpointSlice | undefined }
  | { kind: 'node'; key: string; object: Node | undefined };

/** A random history of one object: some versions and deletions, then its final state. */
function historyArb<T>(kind: Op['kind'], key: string, versions: fc.Arbitrary<T>) {
  const step = fc.option(versions, { freq: 3 });
  return fc
    .record({ steps: fc.array(step, { maxLength: 3 }), final: fc.option(versions) })
    .map(({ steps, final }) =>
      [...steps, final].map((object) => ({ kind, key, object: object ?? undefined }) as Op),
    );
}

/** Every object's history, interleaved in a random order that keeps each history's order. */
const scenarioArb = fc
  .tuple(
    fc.tuple(...SERVICE_KEYS.map((k) => historyArb('service', k, serviceArb(k)))),
    fc.tuple(...SLICE_KEYS.map((k) => historyArb('slice', k, sliceArb(k)))),
    fc.tuple(...NODE_NAMES.map((n) => historyArb('node', n, nodeArb(n)))),
  )
  .chain(([services, slices, nodes]) => {
    const histories = [...services, ...slices, ...nodes];
    const total = histories.reduce((sum, h) => sum + h.length, 0);
    return fc
      .tuple(
        fc.array(fc.nat(), { minLength: total, maxLength: total }),
        fc.nat({ max: total }),
        fc.array(fc.nat({ max: total })),
      )
      .map(([picks, syncedAfter, flushes]) => {
        const queues = histories.map((h) => [...h]);
        const events: Op[] = [];
        for (const pick of picks) {
          const open = queues.filter((q) => q.length > 0);
          events.push(open[pick % open.length]!.shift()!);
        }
        const final = histories.map((h) => h[h.length - 1]!);
        return { events, final, syncedAfter, flushes: new Set(flushes) };
      });
  });

const config: ModelConfig = {
  nodes: new Map([
    [
      'n1',
      { switchName: 'tor1', port: 1, hostMac: '02:00:00:00:00:11', switchMac: '02:00:00:00:00:01' },
    ],
    [
      'n2',
      { switchName: 'tor1', port: 2, hostMac: '02:00:00:00:00:12', switchMac: '02:00:00:00:00:01' },
    ],
  ]),
};

function apply(cache: ClusterCache, op: Op): void {
  if (op.kind === 'service') {
    if (op.object) cache.upsertService(op.object);
    else cache.deleteService(op.key);
  } else if (op.kind === 'slice') {
    if (op.object) cache.upsertEndpointSlice(op.object);
    else cache.deleteEndpointSlice(op.key);
  } else if (op.object) cache.upsertNode(op.object);
  else cache.deleteNode(op.key);
}

/** A desired state as plain sorted data, for comparison. */
function normalized(state: DesiredState) {
  return {
    frontends: [...state.frontends.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    routes: state.routes,
    notOffloaded: state.notOffloaded,
  };
}

function finalSnapshot(final: readonly Op[]) {
  const present = <K extends Op['kind']>(kind: K) =>
    final.filter((op) => op.kind === kind && op.object !== undefined).map((op) => op.object!);
  return {
    services: present('service') as Service[],
    endpointSlices: present('slice') as EndpointSlice[],
    nodes: present('node') as Node[],
  };
}

describe('model properties', () => {
  it('the same cluster state reached by any order of events gives the same desired state', () => {
    fc.assert(
      fc.property(scenarioArb, ({ events, final, syncedAfter, flushes }) => {
        const cache = new ClusterCache();
        const pipeline = new DesiredStatePipeline(cache, {
          model: config,
          drainMs: Infinity,
          coalesceMs: 60_000,
        });
        events.forEach((op, index) => {
          apply(cache, op);
          if (index + 1 === syncedAfter) pipeline.start();
          else if (index + 1 > syncedAfter && flushes.has(index)) pipeline.flush();
        });
        const incremental =
          syncedAfter > events.length || syncedAfter === 0 ? pipeline.start() : pipeline.flush();
        pipeline.stop();
        const expected = computeDesiredState(finalSnapshot(final), config);
        expect(normalized(incremental)).toEqual(normalized(expected));
      }),
      { numRuns: 300 },
    );
  });

  it('computeDesiredState does not depend on the order of its inputs', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), ({ final }, seed) => {
        const snapshot = finalSnapshot(final);
        const shuffle = <T>(items: T[]) =>
          items
            .map((item, i) => ({ item, rank: (i * 7919 + seed) % (items.length + 13) }))
            .sort((a, b) => a.rank - b.rank)
            .map((x) => x.item)
            .reverse();
        const reordered = {
          services: shuffle(snapshot.services),
          endpointSlices: shuffle(snapshot.endpointSlices),
          nodes: shuffle(snapshot.nodes),
        };
        expect(normalized(computeDesiredState(reordered, config))).toEqual(
          normalized(computeDesiredState(snapshot, config)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('every frontend has backends of its own family, and keys are unique per Service port', () => {
    fc.assert(
      fc.property(scenarioArb, ({ final }) => {
        const state = computeDesiredState(finalSnapshot(final), config);
        for (const [key, frontend] of state.frontends) {
          expect(key).toBe(`${frontend.ip}|${frontend.protocol}|${frontend.port}`);
          for (const backend of frontend.backends) expect(backend.family).toBe(frontend.family);
          expect(objectKey(frontend.service)).toMatch(/^[ab]\/s[12]$/);
        }
      }),
      { numRuns: 100 },
    );
  });
});

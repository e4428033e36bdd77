import { afterAll, beforeAll, expect, it } from 'vitest';
import { offloadedFrontendsFile } from '../../src/controller/frontends-configmap.ts';
import { endpointSliceSchema } from '../../src/k8s/objects/endpoint-slice.ts';
import { networkPolicySchema, type NetworkPolicy } from '../../src/k8s/objects/network-policy.ts';
import { podSchema } from '../../src/k8s/objects/pod.ts';
import { serviceSchema } from '../../src/k8s/objects/service.ts';
import {
  endpointSliceObject,
  networkPolicyObject,
  serviceObject,
} from '../../src/k8s/testing/object-builders.ts';
import { computeDesiredState } from '../../src/model/compute-desired-state.ts';
import { echo, startEchoServer } from '../support/echo-traffic.ts';
import { HostPathLab, type LabPod, type RunningAgent } from '../support/host-path-lab.ts';
import { describeTier } from '../support/tiers.ts';

/**
 * A NetworkPolicy enforced the way iptables-based CNIs enforce it (a rule in the backend
 * host's FORWARD chain) and a Service whose backend it selects, in real namespaces with the
 * real agents and TC programs and the switch stand-in. The agents' frontends file is what
 * the controller publishes for the model's desired state (computeDesiredState, then
 * offloadedFrontendsFile), so the guard under test is the model's
 * (src/model/network-policy-guard.ts). kube-proxy's part is a DNAT rule on the client's
 * host; the kernel path between the hosts is a direct link.
 *
 * With the guard the Service stays on the kernel path: the allowed client gets through,
 * the forbidden one meets the rule and is dropped. Without it (the configuration saying
 * policies are enforced on the fast path, when nothing does), the forbidden client's
 * connection goes through the switch straight into the backend pod, past the rule.
 */

const TAG_KEY = 0x5a5a1234n;
const VIP = '10.96.0.30';

describeTier('kernel', 'NetworkPolicy keeps a Service on the kernel path', () => {
  let lab: HostPathLab;
  let allowed: LabPod;
  let forbidden: LabPod;
  let backend: LabPod;
  const agents: RunningAgent[] = [];

  beforeAll(async () => {
    lab = await HostPathLab.create('netpol', { hosts: 2, tagKey: TAG_KEY, kernelPath: 'fabric' });
    const [h1, h2] = [lab.host(1), lab.host(2)];
    // No frontends file yet: each test publishes the controller's and waits for the agents.
    allowed = await lab.addPod(h1, 'ok1');
    forbidden = await lab.addPod(h1, 'no1');
    backend = await lab.addPod(h2, 'web1');
    await lab.setSwitchFrontends([
      {
        vip: VIP,
        port: 80,
        protocol: 'TCP',
        serviceId: 4,
        backends: [{ addr: backend.ip, port: 8080 }],
      },
    ]);
    // kube-proxy on the client's host; the CNI's enforcement of the policy on the backend's.
    await lab.lab.sh(
      h1.netns,
      `iptables -t nat -A PREROUTING -d ${VIP}/32 -p tcp --dport 80 -j DNAT --to-destination ${backend.ip}:8080`,
    );
    await lab.lab.sh(
      h2.netns,
      `iptables -A FORWARD -s ${forbidden.ip}/32 -d ${backend.ip}/32 -p tcp --dport 8080 -j DROP`,
    );
    await startEchoServer(lab.lab, backend.netns, { tcp: 8080, udp: 5353 });
    for (const host of [h1, h2]) agents.push(await lab.startAgent(host));
  });

  afterAll(async () => {
    await lab?.cleanup();
  });

  const ingressPolicy = () =>
    networkPolicySchema.parse(
      networkPolicyObject({
        name: 'web-from-ok1-only',
        namespace: 'shop',
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'ok1' } } }] }],
      }),
    );
  const egressPolicy = () =>
    networkPolicySchema.parse(
      networkPolicyObject({
        name: 'no1-to-nothing',
        namespace: 'shop',
        podSelector: { matchLabels: { app: 'no1' } },
        policyTypes: ['Egress'],
      }),
    );
  /** The client pods as the API shows them, labelled by name. */
  const clientPods = () =>
    [allowed, forbidden].map((pod) =>
      podSchema.parse({
        metadata: { name: pod.name, namespace: 'shop', labels: { app: pod.name } },
        spec: {},
        status: { podIP: pod.ip, podIPs: [{ ip: pod.ip }] },
      }),
    );

  /** What the controller would publish for this cluster. */
  function publishedFrontends(
    enforcedOnFastPath: boolean,
    policies: NetworkPolicy[] = [ingressPolicy()],
  ): string {
    const service = serviceSchema.parse(
      serviceObject({
        name: 'web',
        namespace: 'shop',
        clusterIPs: [VIP],
        ports: [{ name: 'http', port: 80 }],
        selector: { app: 'web' },
      }),
    );
    const slice = endpointSliceSchema.parse(
      endpointSliceObject({
        namespace: 'shop',
        name: 'web-1',
        service: 'web',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ ip: backend.ip }],
      }),
    );
    const state = computeDesiredState(
      {
        services: [service],
        endpointSlices: [slice],
        nodes: [],
        networkPolicies: policies,
        pods: clientPods(),
      },
      { nodes: new Map(), networkPolicyEnforcedOnFastPath: enforcedOnFastPath },
    );
    return offloadedFrontendsFile(state, []);
  }

  async function publish(file: string): Promise<void> {
    const { frontends } = JSON.parse(file) as { frontends: { ip: string; port: number }[] };
    for (const [i, host] of [lab.host(1), lab.host(2)].entries()) {
      const agent = agents[i]!;
      const from = agent.events.length;
      await lab.writeFrontendsText(host, file);
      await agent.waitFor(
        (e) => e.event === 'vips-synced' && e.total === frontends.length,
        30_000,
        from,
      );
    }
  }

  /** Packets the CNI's DROP rule for the forbidden pod on a host has matched. */
  async function policyDrops(hostIndex = 2): Promise<number> {
    const { stdout } = await lab.lab.exec(lab.host(hostIndex).netns, [
      'iptables',
      '-L',
      'FORWARD',
      '-v',
      '-x',
      '-n',
    ]);
    const line = stdout.split('\n').find((l) => l.includes('DROP') && l.includes(forbidden.ip));
    if (!line) throw new Error(`no policy rule in:\n${stdout}`);
    return Number(line.trim().split(/\s+/)[0]);
  }

  const once = (pod: LabPod, localPort: number) =>
    echo(lab.lab, pod.netns, {
      protocol: 'TCP',
      host: VIP,
      port: 80,
      count: 1,
      intervalMs: 10,
      localPort,
    });

  it('with the guard: the Service is not offloaded, the policy applies, the allowed client gets through', async () => {
    const file = publishedFrontends(false);
    expect(JSON.parse(file)).toEqual({ frontends: [] });
    await publish(file);

    expect(await once(allowed, 43001)).toEqual({ sent: 1, got: 1, reason: 'done' });
    const dropsBefore = await policyDrops();
    const denied = await once(forbidden, 43002);
    expect(denied.got).toBe(0);
    expect(await policyDrops()).toBeGreaterThan(dropsBefore);
    // Nothing went the fast path on the clients' host.
    const stats = await lab.host(1).datapath.readStats();
    expect(stats.get('FWD_FIRST_PACKET')).toBeUndefined();
  });

  it('without the guard the fast path would carry the forbidden client past the rule', async () => {
    const file = publishedFrontends(true);
    expect(JSON.parse(file).frontends).toHaveLength(1);
    await publish(file);

    const dropsBefore = await policyDrops();
    expect(await once(forbidden, 43003)).toEqual({ sent: 1, got: 1, reason: 'done' });
    expect(await policyDrops()).toBe(dropsBefore);
    const stats = await lab.host(1).datapath.readStats();
    expect(stats.get('FWD_FIRST_PACKET')?.packets).toBeGreaterThanOrEqual(1n);
  });

  it('an egress policy keeps the pods it selects on the kernel path, the others keep the fast path', async () => {
    const h1 = lab.host(1);
    // The CNI enforces the egress policy on the client's host.
    await lab.lab.sh(
      h1.netns,
      `iptables -A FORWARD -s ${forbidden.ip}/32 -d ${backend.ip}/32 -p tcp --dport 8080 -j DROP`,
    );
    const file = publishedFrontends(false, [egressPolicy()]);
    expect(JSON.parse(file)).toMatchObject({ excludedClients: [forbidden.ip] });
    await publish(file);
    await agents[0]!.waitFor(
      (e) =>
        e.event === 'policy-clients-synced' &&
        JSON.stringify(e.clients) === JSON.stringify([forbidden.ip]),
    );
    expect(await h1.datapath.readPolicyClients()).toEqual([forbidden.ip]);

    const before = await h1.datapath.readStats();
    const dropsBefore = await policyDrops(1);
    expect((await once(forbidden, 43004)).got).toBe(0);
    expect(await policyDrops(1)).toBeGreaterThan(dropsBefore);
    const firstPackets = () =>
      h1.datapath.readStats().then((s) => s.get('FWD_FIRST_PACKET')?.packets ?? 0n);
    const firstBefore = await firstPackets();
    expect(await once(allowed, 43005)).toEqual({ sent: 1, got: 1, reason: 'done' });
    expect(await firstPackets()).toBeGreaterThan(firstBefore);
    const after = await h1.datapath.readStats();
    expect(
      (after.get('PASS_POLICY_CLIENT')?.packets ?? 0n) -
        (before.get('PASS_POLICY_CLIENT')?.packets ?? 0n),
    ).toBeGreaterThan(0n);
  });
});

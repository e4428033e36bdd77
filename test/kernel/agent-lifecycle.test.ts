import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATAPATH_MAPS, type FlowEntry } from '../../src/agent/datapath-maps.ts';
import { parsePacket } from '../../src/wire/packet.ts';
import { startEchoClient, startEchoServer } from '../support/echo-traffic.ts';
import { eventually } from '../support/eventually.ts';
import { HostPathLab, type LabHost, type LabPod } from '../support/host-path-lab.ts';
import { describeTier } from '../support/tiers.ts';
import { WireTap } from '../support/wire-tap.ts';

/**
 * The agent's life cycle on a node: a crash and restart in the middle of a connection
 * (the connection goes on, its cookie still stamped, the pinned maps reused and the
 * programs replaced), a pod removed through CNI DEL, and `--mode detach` taking everything
 * off the node.
 */

const TAG_KEY = 0x0badcafen;
const VIP = '10.96.0.10';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describeTier('kernel', 'agent life cycle: restart, pod removal, detach', () => {
  let lab: HostPathLab;
  let client: LabPod;
  let backend: LabPod;

  async function hookProgramId(
    host: LabHost,
    dev: string,
    hook: 'ingress' | 'egress' = 'ingress',
  ): Promise<number | undefined> {
    const { stdout } = await lab.lab.exec(host.netns, [
      'tc',
      '-j',
      'filter',
      'show',
      'dev',
      dev,
      hook,
    ]);
    const filters = JSON.parse(stdout || '[]') as {
      options?: { handle?: string; prog?: { id: number } };
    }[];
    return filters.find((f) => f.options?.handle === '0x7a1')?.options?.prog?.id;
  }

  beforeAll(async () => {
    lab = await HostPathLab.create('life', { hosts: 2, tagKey: TAG_KEY });
    const [h1, h2] = [lab.host(1), lab.host(2)];
    for (const host of [h1, h2])
      await lab.writeFrontends(host, [{ ip: VIP, protocol: 'TCP', port: 80 }]);
    client = await lab.addPod(h1, 'c1');
    backend = await lab.addPod(h2, 'b1');
    await lab.setSwitchFrontends([
      {
        vip: VIP,
        port: 80,
        protocol: 'TCP',
        serviceId: 9,
        backends: [{ addr: backend.ip, port: 8080 }],
      },
    ]);
    await startEchoServer(lab.lab, backend.netns, { tcp: 8080, udp: 5353 });
    for (const host of [h1, h2]) await lab.startAgent(host);
  });

  afterAll(async () => {
    await lab?.cleanup();
  });

  it('a connection survives both agents crashing and restarting, and keeps its cookie', async () => {
    const [h1, h2] = [lab.host(1), lab.host(2)];
    const programBefore = await hookProgramId(h1, client.hostIfname);
    const tap = await WireTap.open(lab.lab, lab.switchNetns, h1.switchPort);
    const { report } = startEchoClient(lab.lab, client.netns, {
      protocol: 'TCP',
      host: VIP,
      port: 80,
      count: 300,
      intervalMs: 50,
      localPort: 44000,
    });
    try {
      let learned: FlowEntry | undefined;
      await eventually(async () => {
        learned = (await h1.datapath.readFlows('client')).find((f) => f.key.clientPort === 44000);
        expect(learned).toBeDefined();
      });

      for (const host of [h1, h2]) await lab.agents.get(host)!.stop('SIGKILL');
      const restarted = await Promise.all([h1, h2].map((host) => lab.startAgent(host)));
      for (const agent of restarted) {
        const loaded = await agent.waitFor((e) => e.event === 'datapath-loaded');
        expect([...(loaded.reusedMaps as string[])].sort()).toEqual(
          Object.keys(DATAPATH_MAPS).sort(),
        );
      }
      // Frames the tap records from here on crossed the restarted agents' programs.
      const restartedAt = tap.frames.length;

      expect(await report).toEqual({ sent: 300, got: 300, reason: 'done' });
      const after = (await h1.datapath.readFlows('client')).find((f) => f.key.clientPort === 44000);
      expect(after?.cookie).toEqual(learned?.cookie);

      const stampedAfterRestart = tap.frames
        .slice(restartedAt)
        .map((f) => parsePacket(f.bytes))
        .filter((p) => p.tcp?.srcPort === 44000);
      expect(stampedAfterRestart.length).toBeGreaterThan(10);
      for (const packet of stampedAfterRestart) {
        expect(packet.talaria).toMatchObject({ flags: 1, ...learned!.cookie });
      }
    } finally {
      await tap.close();
    }
    // The restart swapped the programs on the hooks.
    expect(await hookProgramId(h1, client.hostIfname)).not.toBe(programBefore);
    expect(await hookProgramId(h1, 'uplink')).toBeDefined();
    expect((await lab.standin.stats()).DROP_BAD_TAG).toBeUndefined();
  });

  it('CNI DEL of a pod detaches its veth and forgets it', async () => {
    const h1 = lab.host(1);
    const agent = lab.agents.get(h1)!;
    const from = agent.events.length;
    const pod = await lab.addPod(h1, 'c2');
    await agent.waitFor((e) => e.event === 'pod-attached' && e.podIp === pod.ip, 30_000, from);
    expect(await hookProgramId(h1, pod.hostIfname)).toBeDefined();
    expect(await hookProgramId(h1, pod.hostIfname, 'egress')).toBeDefined();
    expect((await h1.datapath.readLocalPods()).map((p) => p.addr)).toContain(pod.ip);

    await lab.cni(h1, 'DEL', pod.name, `/run/netns/${pod.netns}`, pod.ip);
    await agent.waitFor(
      (e) => e.event === 'pod-detached' && e.hostIfname === pod.hostIfname,
      30_000,
      from,
    );
    expect(await hookProgramId(h1, pod.hostIfname)).toBeUndefined();
    expect(await hookProgramId(h1, pod.hostIfname, 'egress')).toBeUndefined();
    expect((await h1.datapath.readLocalPods()).map((p) => p.addr)).not.toContain(pod.ip);
  });

  it('stopping the agent leaves the data path; --mode detach removes hooks and pins', async () => {
    const h1 = lab.host(1);
    await lab.agents.get(h1)!.stop('SIGTERM');
    expect(await hookProgramId(h1, 'uplink')).toBeDefined();
    expect(await hookProgramId(h1, client.hostIfname)).toBeDefined();
    expect(await hookProgramId(h1, client.hostIfname, 'egress')).toBeDefined();

    const { stdout } = await lab.lab.exec(h1.netns, [
      'node',
      join(import.meta.dirname, '../../bin/talaria.js'),
      'agent',
      '--mode',
      'detach',
      '--bpffs',
      h1.bpffs,
    ]);
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; interface?: string });
    expect(
      events
        .filter((e) => e.msg === 'detached')
        .map((e) => e.interface)
        .sort(),
    ).toEqual([client.hostIfname, 'uplink'].sort());
    expect(await hookProgramId(h1, 'uplink')).toBeUndefined();
    expect(await hookProgramId(h1, client.hostIfname)).toBeUndefined();
    expect(await hookProgramId(h1, client.hostIfname, 'egress')).toBeUndefined();
    expect(await exists(h1.datapath.root)).toBe(false);
  });
});

import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parsePacket } from '../../src/wire/packet.ts';
import { computeTag } from '../../src/wire/tag.ts';
import { tagKeyHex, type SwitchStateInput } from '../../src/wire/vectors.ts';
import { echo, firstLine, startEchoServer } from '../support/echo-traffic.ts';
import { HostPathLab, type LabPod } from '../support/host-path-lab.ts';
import { describeTier } from '../support/tiers.ts';
import { WireTap } from '../support/wire-tap.ts';

/**
 * End to end with the project's own pipeline in place of the stand-in: the embedded switch
 * (`talaria switch`, the TypeScript interpreter of p4/build/talaria.json) runs in the switch
 * namespace with AF_PACKET ports on swp1 and swp2, programmed over P4Runtime; real TCP and
 * UDP connections cross both hosts' programs and the pipeline, and the cookie the pipeline
 * chose is learned, stamped and checked.
 */

const BIN = fileURLToPath(new URL('../../bin/talaria.js', import.meta.url));
const WRITE_STATE = fileURLToPath(new URL('../support/write-switch-state.ts', import.meta.url));
const TAG_KEY = 0x31415926n;
const VIP = '10.96.0.10';

describeTier('kernel', 'host fast path through the embedded P4 switch', () => {
  let lab: HostPathLab;
  let client: LabPod;
  let backend: LabPod;
  let pipeline: ChildProcess;

  beforeAll(async () => {
    lab = await HostPathLab.create('pipeline', { hosts: 2, tagKey: TAG_KEY, switchStandin: false });
    const [h1, h2] = [lab.host(1), lab.host(2)];
    const frontends = [
      { ip: VIP, protocol: 'TCP' as const, port: 80 },
      { ip: VIP, protocol: 'UDP' as const, port: 53 },
    ];
    for (const host of [h1, h2]) await lab.writeFrontends(host, frontends);
    client = await lab.addPod(h1, 'c1');
    backend = await lab.addPod(h2, 'b1');

    pipeline = lab.lab.spawn(lab.switchNetns, [
      'node',
      BIN,
      'switch',
      '--grpc',
      '127.0.0.1:9559',
      '--port',
      '1@swp1',
      '--port',
      '2@swp2',
    ]);
    expect(await firstLine(pipeline, 'talaria switch', 60_000)).toMatch(/serving P4Runtime/);
    const state: SwitchStateInput = {
      tagKeys: { epoch: 0, current: tagKeyHex(TAG_KEY), previous: tagKeyHex(TAG_KEY) },
      agentPorts: [h1.index, h2.index],
      frontends: [
        { vipAddr: VIP, protocol: 'TCP', vipPort: 80, serviceId: 1001 },
        { vipAddr: VIP, protocol: 'UDP', vipPort: 53, serviceId: 1002 },
      ],
      selectors: [
        { table: 'backend_select', serviceId: 1001, slots: [1] },
        { table: 'backend_select', serviceId: 1002, slots: [2] },
      ],
      buckets: [],
      backends: [
        { serviceId: 1001, slot: 1, addr: backend.ip, port: 8080 },
        { serviceId: 1002, slot: 2, addr: backend.ip, port: 5353 },
      ],
      replyFrontends: [
        { serviceId: 1001, vipAddr: VIP, vipPort: 80, protocol: 'TCP' },
        { serviceId: 1002, vipAddr: VIP, vipPort: 53, protocol: 'UDP' },
      ],
      routes: [h1, h2].map((host) => ({
        prefix: `10.200.${host.index}.0/24`,
        kind: 'host' as const,
        port: host.index,
        switchMac: host.switchMac,
        hostMac: host.uplinkMac,
      })),
    };
    const written = await lab.lab.exec(lab.switchNetns, ['node', '--import', 'tsx', WRITE_STATE], {
      input: JSON.stringify({ address: '127.0.0.1:9559', deviceId: 1, state }),
      timeoutMs: 60_000,
    });
    expect(written.stdout.trim()).toBe('ok');
    await startEchoServer(lab.lab, backend.netns, { tcp: 8080, udp: 5353 });
    for (const host of [h1, h2]) await lab.startAgent(host);
  });

  afterAll(async () => {
    await lab?.cleanup();
  });

  const cookieOf = (
    clientPort: number,
    vipPort: number,
    protocol: number,
    serviceId: number,
    slot: number,
  ) => ({
    serviceId,
    slot,
    keyEpoch: 0,
    tag: computeTag({
      key: TAG_KEY,
      clientAddr: client.ip,
      vipAddr: VIP,
      clientPort,
      vipPort,
      protocol,
      serviceId,
      slot,
    }),
  });

  it('TCP: the pipeline chooses, both hosts learn its cookie, later packets carry it', async () => {
    const [h1, h2] = [lab.host(1), lab.host(2)];
    const tap = await WireTap.open(lab.lab, lab.switchNetns, h1.switchPort);
    try {
      const report = await echo(lab.lab, client.netns, {
        protocol: 'TCP',
        host: VIP,
        port: 80,
        count: 10,
        intervalMs: 50,
        localPort: 47000,
      });
      expect(report).toEqual({ sent: 10, got: 10, reason: 'done' });
    } finally {
      await tap.close();
    }
    const cookie = cookieOf(47000, 80, 6, 1001, 1);
    const learned = (await h1.datapath.readFlows('client')).find((f) => f.key.clientPort === 47000);
    expect(learned?.cookie).toEqual(cookie);
    const remembered = (await h2.datapath.readFlows('backend')).find(
      (f) => f.key.clientPort === 47000,
    );
    expect(remembered?.cookie).toEqual(cookie);

    const sent = tap.frames
      .map((f) => parsePacket(f.bytes))
      .filter((p) => p.tcp?.srcPort === 47000);
    expect(sent[0]?.talaria?.flags).toBe(0);
    expect(sent.length).toBeGreaterThan(10);
    for (const later of sent.slice(1)) expect(later.talaria).toMatchObject({ flags: 1, ...cookie });
  });

  it('UDP: datagrams through the pipeline carry the cookie both ways', async () => {
    const report = await echo(lab.lab, client.netns, {
      protocol: 'UDP',
      host: VIP,
      port: 53,
      count: 5,
      intervalMs: 50,
      localPort: 47001,
    });
    expect(report).toEqual({ sent: 5, got: 5, reason: 'done' });
    const learned = (await lab.host(1).datapath.readFlows('client')).find(
      (f) => f.key.clientPort === 47001,
    );
    expect(learned?.cookie).toEqual(cookieOf(47001, 53, 17, 1002, 2));
    const h2Stats = await lab.host(2).datapath.readStats();
    expect(h2Stats.get('FWD_REPLY')?.packets).toBeGreaterThanOrEqual(5n);
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyMapChanges } from '../../src/agent/bpftool.ts';
import type { Datapath, FlowTable } from '../../src/agent/datapath.ts';
import { encodeFlowKey, encodeFlowValue, type FlowEntry } from '../../src/agent/datapath-maps.ts';
import { computeTag } from '../../src/wire/tag.ts';
import { buildPacket, parsePacket } from '../../src/wire/packet.ts';
import { cookieHeader, ETHERTYPE_TALARIA } from '../../src/wire/talaria-header.ts';
import { startEchoServer, echo } from '../support/echo-traffic.ts';
import { eventually } from '../support/eventually.ts';
import { HostPathLab, type LabPod } from '../support/host-path-lab.ts';
import { describeTier } from '../support/tiers.ts';
import { WireTap } from '../support/wire-tap.ts';

/**
 * Real TCP and UDP connections from a client pod on host 1 to a Service whose backend is a
 * pod on host 2, through both hosts' programs (loaded and fed by `talaria agent`) and the
 * switch stand-in. The wire is captured on both sides of the switch: the host sends a
 * header with flags 0 on the first packet and the cookie on every later one, the switch's
 * replies carry COOKIE|REPLY, and the flow maps hold the cookie the switch chose.
 */

const TAG_KEY = 0x5eed1234n;
const VIP = '10.96.0.10';

describeTier('kernel', 'host fast path: real traffic through the hooks', () => {
  let lab: HostPathLab;
  let client: LabPod;
  let backend: LabPod;

  beforeAll(async () => {
    lab = await HostPathLab.create('traffic', {
      hosts: 2,
      tagKey: TAG_KEY,
      agentArgs: ['--udp-idle-timeout', '2'],
    });
    const [h1, h2] = [lab.host(1), lab.host(2)];
    const frontends = [
      { ip: VIP, protocol: 'TCP' as const, port: 80 },
      { ip: VIP, protocol: 'UDP' as const, port: 53 },
    ];
    for (const host of [h1, h2]) await lab.writeFrontends(host, frontends);
    client = await lab.addPod(h1, 'c1');
    backend = await lab.addPod(h2, 'b1');
    await lab.setSwitchFrontends([
      {
        vip: VIP,
        port: 80,
        protocol: 'TCP',
        serviceId: 1,
        backends: [{ addr: backend.ip, port: 8080 }],
      },
      {
        vip: VIP,
        port: 53,
        protocol: 'UDP',
        serviceId: 2,
        backends: [{ addr: backend.ip, port: 5353 }],
      },
    ]);
    await startEchoServer(lab.lab, backend.netns, { tcp: 8080, udp: 5353 });
    for (const host of [h1, h2]) await lab.startAgent(host);
  });

  afterAll(async () => {
    await lab?.cleanup();
  });

  function expectedCookie(
    clientPort: number,
    vipPort: number,
    protocol: number,
    serviceId: number,
  ) {
    return {
      serviceId,
      slot: 0,
      keyEpoch: 0,
      tag: computeTag({
        key: TAG_KEY,
        clientAddr: client.ip,
        vipAddr: VIP,
        clientPort,
        vipPort,
        protocol,
        serviceId,
        slot: 0,
      }),
    };
  }

  /** Sets the last-seen time of `clientPort`'s flows to 0 (boot): idle since then. */
  async function ageFlows(datapath: Datapath, table: FlowTable, clientPort: number) {
    const flows = (await datapath.readFlows(table)).filter((f) => f.key.clientPort === clientPort);
    expect(flows).not.toEqual([]);
    await applyMapChanges(
      datapath.mapPin(table === 'client' ? 'tl_client_flow' : 'tl_backend_flow'),
      flows.map((f) => ({
        op: 'update' as const,
        key: encodeFlowKey(f.key),
        value: encodeFlowValue(f.cookie, 0n),
      })),
    );
  }

  function flowOf(flows: FlowEntry[], clientPort: number) {
    return flows.find((f) => f.key.clientAddr === client.ip && f.key.clientPort === clientPort);
  }

  it('the agents attached to the uplinks and the pod veths and filled the maps', async () => {
    const [h1, h2] = [lab.host(1), lab.host(2)];
    expect(await h1.datapath.readLocalPods()).toEqual([
      {
        addr: client.ip,
        hostIfindex: expect.any(Number),
        podMac: client.mac,
        hostMac: expect.any(String),
      },
    ]);
    expect(await h2.datapath.readLocalPods()).toHaveLength(1);
    expect(await h1.datapath.readVips()).toHaveLength(2);
    expect(await h1.datapath.readConfig()).toMatchObject({
      enabled: true,
      uplinkMac: h1.uplinkMac,
      switchMac: h1.switchMac,
      udpIdleTimeoutNs: 2_000_000_000n,
    });
  });

  it('TCP: the first packet asks, the switch stamps, both hosts learn, later packets carry the cookie', async () => {
    const [h1, h2] = [lab.host(1), lab.host(2)];
    const toSwitch = await WireTap.open(lab.lab, lab.switchNetns, h1.switchPort);
    const fromSwitch = await WireTap.open(lab.lab, h1.netns, 'uplink');
    try {
      const report = await echo(lab.lab, client.netns, {
        protocol: 'TCP',
        host: VIP,
        port: 80,
        count: 20,
        intervalMs: 20,
        localPort: 41000,
      });
      expect(report).toEqual({ sent: 20, got: 20, reason: 'done' });
    } finally {
      await toSwitch.close();
      await fromSwitch.close();
    }
    const cookie = expectedCookie(41000, 80, 6, 1);

    expect(flowOf(await h1.datapath.readFlows('client'), 41000)?.cookie).toEqual(cookie);
    const remembered = flowOf(await h2.datapath.readFlows('backend'), 41000);
    expect(remembered?.key).toEqual({
      clientAddr: client.ip,
      serverAddr: backend.ip,
      clientPort: 41000,
      serverPort: 8080,
      protocol: 'TCP',
    });
    expect(remembered?.cookie).toEqual(cookie);

    const sent = toSwitch.frames
      .map((f) => parsePacket(f.bytes))
      .filter((p) => p.tcp?.srcPort === 41000);
    expect(sent.length).toBeGreaterThanOrEqual(22); // SYN, ACK, 20 lines, FIN...
    expect(sent.every((p) => p.ethernet.etherType === ETHERTYPE_TALARIA)).toBe(true);
    expect(
      sent.every((p) => p.ethernet.src === h1.uplinkMac && p.ethernet.dst === h1.switchMac),
    ).toBe(true);
    expect(sent[0]?.tcp?.flags).toBe(0x02);
    expect(sent[0]?.talaria).toMatchObject({ version: 1, flags: 0, serviceId: 0, slot: 0, tag: 0 });
    for (const later of sent.slice(1)) {
      expect(later.talaria).toMatchObject({ flags: 0x1, ...cookie });
      expect(later.ipv4?.dst).toBe(VIP);
    }

    const replies = fromSwitch.frames
      .map((f) => parsePacket(f.bytes))
      .filter((p) => p.tcp?.dstPort === 41000);
    expect(replies.length).toBeGreaterThanOrEqual(21);
    for (const reply of replies) {
      expect(reply.talaria).toMatchObject({ flags: 0x3, ...cookie });
      expect(reply.ipv4?.src).toBe(VIP);
    }

    const standin = await lab.standin.stats();
    expect(Object.keys(standin).filter((name) => name.startsWith('DROP_'))).toEqual([]);
    expect(standin.NEW_CONNECTION).toBeGreaterThanOrEqual(1);
    expect(standin.COOKIE).toBeGreaterThanOrEqual(sent.length - 1);
    const h1Stats = await h1.datapath.readStats();
    const h2Stats = await h2.datapath.readStats();
    expect(h1Stats.get('FWD_FIRST_PACKET')?.packets).toBeGreaterThanOrEqual(1n);
    expect(h1Stats.get('FWD_COOKIE')?.packets).toBeGreaterThanOrEqual(BigInt(sent.length - 1));
    expect(h1Stats.get('FWD_TO_POD_CLIENT')?.packets).toBeGreaterThanOrEqual(
      BigInt(replies.length),
    );
    expect(h2Stats.get('FWD_TO_POD_BACKEND')?.packets).toBeGreaterThanOrEqual(
      BigInt(sent.length - 1),
    );
    expect(h2Stats.get('FWD_REPLY')?.packets).toBeGreaterThanOrEqual(BigInt(replies.length));
  });

  it('UDP: datagrams carry the cookie, and an idle UDP flow forgets it after the timeout', async () => {
    const h1 = lab.host(1);
    const first = await echo(lab.lab, client.netns, {
      protocol: 'UDP',
      host: VIP,
      port: 53,
      count: 10,
      intervalMs: 20,
      localPort: 42000,
    });
    expect(first).toEqual({ sent: 10, got: 10, reason: 'done' });
    const cookie = expectedCookie(42000, 53, 17, 2);
    expect(flowOf(await h1.datapath.readFlows('client'), 42000)?.cookie).toEqual(cookie);
    const backendFlow = flowOf(await lab.host(2).datapath.readFlows('backend'), 42000);
    expect(backendFlow?.key.serverPort).toBe(5353);

    // Idle for longer than --udp-idle-timeout 2: the next datagram goes without a cookie.
    // The flow's clock is its last-seen time; setting it to boot time ages it past any
    // timeout without waiting.
    const expiredBefore =
      (await h1.datapath.readStats()).get('EVENT_CLIENT_FLOW_EXPIRED')?.packets ?? 0n;
    await ageFlows(h1.datapath, 'client', 42000);
    await ageFlows(lab.host(2).datapath, 'backend', 42000);
    const toSwitch = await WireTap.open(lab.lab, lab.switchNetns, h1.switchPort);
    try {
      const again = await echo(lab.lab, client.netns, {
        protocol: 'UDP',
        host: VIP,
        port: 53,
        count: 3,
        intervalMs: 50,
        localPort: 42000,
      });
      expect(again).toEqual({ sent: 3, got: 3, reason: 'done' });
    } finally {
      await toSwitch.close();
    }
    const sent = toSwitch.frames
      .map((f) => parsePacket(f.bytes))
      .filter((p) => p.udp?.srcPort === 42000);
    expect(sent.map((p) => p.talaria?.flags)).toEqual([0, 1, 1]);
    const expiredAfter =
      (await h1.datapath.readStats()).get('EVENT_CLIENT_FLOW_EXPIRED')?.packets ?? 0n;
    expect(expiredAfter - expiredBefore).toBe(1n);
  });

  it('traffic that is not for a Service keeps the kernel path', async () => {
    // Pod to pod across hosts: plain IPv4 routed by the kernel, through the switch's plain routing.
    const toSwitch = await WireTap.open(lab.lab, lab.switchNetns, lab.host(1).switchPort);
    try {
      const report = await echo(lab.lab, client.netns, {
        protocol: 'TCP',
        host: backend.ip,
        port: 8080,
        count: 3,
        intervalMs: 20,
        localPort: 43000,
      });
      expect(report).toEqual({ sent: 3, got: 3, reason: 'done' });
    } finally {
      await toSwitch.close();
    }
    const sent = toSwitch.frames
      .map((f) => parsePacket(f.bytes))
      .filter((p) => p.tcp?.srcPort === 43000);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((p) => p.talaria === undefined && p.ipv4?.dst === backend.ip)).toBe(true);
    expect(
      (await lab.host(1).datapath.readStats()).get('PASS_NOT_SERVICE')?.packets,
    ).toBeGreaterThan(0n);
  });

  it('the agent serves its probes and its metrics: map counters, flows, pods, fallbacks', async () => {
    const h1 = lab.host(1);
    // The agent listens in its host's namespace (0.0.0.0:9465 by default): ask from there.
    const get = async (path: string) => {
      const script = `fetch('http://127.0.0.1:9465${path}').then(async (r) => process.stdout.write(r.status + '\\n' + (await r.text())))`;
      const { stdout } = await lab.lab.exec(h1.netns, ['node', '-e', script]);
      const [status, ...body] = stdout.split('\n');
      return { status: Number(status), body: body.join('\n') };
    };
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect(await get('/readyz')).toEqual({ status: 200, body: 'ok\n' });

    const { status, body } = await get('/metrics');
    expect(status).toBe(200);
    const value = (series: string) => {
      const line = body.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    // The same numbers the maps hold, read by the test directly.
    const stats = await h1.datapath.readStats();
    const flows = await h1.datapath.readFlows('client');
    expect(value('talaria_agent_datapath_packets_total{code="FWD_FIRST_PACKET",path="fast"}')).toBe(
      Number(stats.get('FWD_FIRST_PACKET')!.packets),
    );
    // Traffic not for a Service (the test above) fell back to the kernel path.
    expect(
      value('talaria_agent_datapath_packets_total{code="PASS_NOT_SERVICE",path="kernel"}'),
    ).toBeGreaterThan(0);
    expect(value('talaria_agent_flows{table="client"}')).toBe(flows.length);
    expect(flows.length).toBeGreaterThan(0);
    expect(value('talaria_agent_pods{path="fast"}')).toBe(1);
    expect(value('talaria_agent_pods{path="kernel"}')).toBe(0);
    expect(value('talaria_agent_fast_path_enabled')).toBe(1);
    expect(value('talaria_agent_passes_total')).toBeGreaterThan(0);
  });

  /** Drop counters a host's data path added over `action` (passes of unrelated frames left out). */
  async function dropsOver(hostIndex: number, action: () => Promise<void>) {
    const datapath = lab.host(hostIndex).datapath;
    const before = await datapath.readStats();
    await action();
    // The frame crosses the hook after send() returns: wait until a drop is counted.
    const delta: Record<string, bigint> = {};
    await eventually(async () => {
      for (const [name, counter] of await datapath.readStats()) {
        const d = counter.packets - (before.get(name)?.packets ?? 0n);
        if (d > 0n && name.includes('DROP_')) delta[name] = d;
      }
      expect(delta).not.toEqual({});
    });
    return delta;
  }

  it('a pod that sends its own Talaria header (a forged cookie) is dropped on its host', async () => {
    const h1 = lab.host(1);
    const forged = buildPacket({
      ethernet: { dst: await lab.lab.mac(h1.netns, client.hostIfname), src: client.mac },
      talaria: cookieHeader({ serviceId: 1, slot: 7, tag: 0x12345678 }),
      ipv4: { src: client.ip, dst: VIP },
      tcp: { srcPort: 45000, dstPort: 80, flags: 0x10 },
    });
    const onWire = await WireTap.open(lab.lab, lab.switchNetns, h1.switchPort);
    const fromPod = await WireTap.open(lab.lab, client.netns, 'eth0');
    try {
      const counted = await dropsOver(1, async () => fromPod.send(forged));
      expect(counted).toEqual({ HOST_DROP_POD_SENT_TALARIA: 1n });
    } finally {
      await fromPod.close();
      await onWire.close();
    }
    expect(onWire.frames.filter((f) => f.bytes.includes(Buffer.from('12345678', 'hex')))).toEqual(
      [],
    );
  });

  const reply = () => ({
    ethernet: { dst: lab.host(1).uplinkMac, src: lab.host(1).switchMac },
    ipv4: { src: VIP, dst: client.ip },
    tcp: { srcPort: 80, dstPort: 45001, flags: 0x10 },
  });
  const malformed: [string, () => Uint8Array, string][] = [
    [
      'version 2',
      () =>
        buildPacket({
          ...reply(),
          talaria: { ...cookieHeader({ serviceId: 1, slot: 0, tag: 1, reply: true }), version: 2 },
        }),
      'DROP_BAD_VERSION',
    ],
    [
      'REPLY without COOKIE',
      () =>
        buildPacket({
          ...reply(),
          talaria: { ...cookieHeader({ serviceId: 1, slot: 0, tag: 1 }), flags: 0x2 },
        }),
      'HOST_DROP_REPLY_WITHOUT_COOKIE',
    ],
    [
      'a header cut short',
      () =>
        buildPacket({
          ...reply(),
          talaria: cookieHeader({ serviceId: 1, slot: 0, tag: 1, reply: true }),
        }).subarray(0, 24),
      'DROP_PARSE_ERROR',
    ],
  ];
  for (const [what, frame, reason] of malformed) {
    it(`a frame from the wire with ${what} is dropped (${reason}) and never reaches the pod`, async () => {
      const h1 = lab.host(1);
      const wire = await WireTap.open(lab.lab, lab.switchNetns, h1.switchPort);
      const inPod = await WireTap.open(lab.lab, client.netns, 'eth0');
      try {
        const counted = await dropsOver(1, async () => wire.send(frame()));
        expect(counted).toEqual({ [reason]: 1n });
      } finally {
        await wire.close();
        await inPod.close();
      }
      expect(inPod.frames.filter((f) => parsePacket(f.bytes).tcp?.dstPort === 45001)).toEqual([]);
      expect(
        (await lab.host(1).datapath.readFlows('client')).filter((f) => f.key.clientPort === 45001),
      ).toEqual([]);
    });
  }
});

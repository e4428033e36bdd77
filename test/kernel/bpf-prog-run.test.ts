import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { DatapathProgram } from '../../src/agent/bpf-build.ts';
import { applyMapChanges } from '../../src/agent/bpftool.ts';
import {
  encodeLocalPodKey,
  encodePolicyClientValue,
  type Cookie,
  type FlowKey,
} from '../../src/agent/datapath-maps.ts';
import type { FlowTable } from '../../src/agent/datapath.ts';
import { buildPacket, type PacketSpec } from '../../src/wire/packet.ts';
import {
  cookieHeader,
  firstPacketHeader,
  type TalariaHeader,
} from '../../src/wire/talaria-header.ts';
import { ProgRunHarness, TC_ACT } from '../support/prog-run-harness.ts';
import { describeTier } from '../support/tiers.ts';

/**
 * Both programs run on hand-made packets with BPF_PROG_TEST_RUN (bpftool prog run): each
 * case fills the maps, runs one packet and checks the verdict, the bytes that come out,
 * the flow maps and the counter of the verdict. test/kernel/bpf-vectors.test.ts does the
 * same with the shared vectors.
 */

const TC_ACT_OK = TC_ACT.OK;
const TC_ACT_SHOT = TC_ACT.SHOT;
const TC_ACT_REDIRECT = TC_ACT.REDIRECT;

const UPLINK_MAC = '02:00:00:00:00:01';
const SWITCH_MAC = '02:00:00:00:00:fe';
const POD_MAC = '02:00:00:00:01:02';
const HOST_VETH_MAC = '02:00:00:00:01:01';
const CLIENT = '10.200.1.2';
const VIP = '10.96.0.10';
const BACKEND = '10.200.1.3';
const REMOTE_CLIENT = '10.200.2.2';
const OTHER_VETH_POD = '10.200.1.4';
const COOKIE: Cookie = { serviceId: 7, slot: 3, keyEpoch: 5, tag: 0xdeadbeef };

const tcp = (flags: number) => ({
  srcPort: 40000,
  dstPort: 80,
  flags,
  seq: 1,
  ack: flags & 0x10 ? 1 : 0,
});
const SYN = 0x02;
const ACK = 0x10;

/** A frame as the pod sends it: to its gateway, the host side of its veth. */
function fromPod(spec: Omit<PacketSpec, 'ethernet'>, etherType?: number): Uint8Array {
  return buildPacket({ ethernet: { dst: HOST_VETH_MAC, src: POD_MAC, etherType }, ...spec });
}

/** The same IPv4 packet as it must leave the host: switch MACs and a Talaria header. */
function toSwitch(spec: Omit<PacketSpec, 'ethernet'>, talaria: TalariaHeader): Uint8Array {
  return buildPacket({ ethernet: { dst: SWITCH_MAC, src: UPLINK_MAC }, talaria, ...spec });
}

function fromSwitch(spec: Omit<PacketSpec, 'ethernet'>, talaria?: TalariaHeader): Uint8Array {
  return buildPacket({ ethernet: { dst: UPLINK_MAC, src: SWITCH_MAC }, talaria, ...spec });
}

/** The packet delivered into the pod: IPv4 untouched, the pod's MAC, the gateway's as source. */
function toPod(spec: Omit<PacketSpec, 'ethernet'>): Uint8Array {
  return buildPacket({ ethernet: { dst: POD_MAC, src: HOST_VETH_MAC }, ...spec });
}

describeTier('kernel', 'host programs under BPF_PROG_TEST_RUN', () => {
  let harness: ProgRunHarness;
  const run = (program: DatapathProgram, packet: Uint8Array) => harness.run(program, packet);
  const setFlow = (table: FlowTable, key: FlowKey, cookie: Cookie, lastSeenNs = 0n) =>
    harness.setFlow(table, key, cookie, lastSeenNs);
  const flowsOf = async (table: FlowTable) =>
    (await harness.datapath.readFlows(table)).map((f) => ({ key: f.key, cookie: f.cookie }));

  async function configure(enabled = true) {
    await harness.datapath.writeConfig({
      enabled,
      uplinkIfindex: 1,
      uplinkMac: UPLINK_MAC,
      switchMac: SWITCH_MAC,
      tcpIdleTimeoutNs: 0n,
      udpIdleTimeoutNs: 1_000_000_000n,
    });
  }

  beforeAll(async () => {
    harness = await ProgRunHarness.create('progrun');
    await harness.datapath.syncVips([
      { addr: VIP, port: 80, protocol: 'TCP', offloaded: true },
      { addr: VIP, port: 53, protocol: 'UDP', offloaded: true },
      { addr: VIP, port: 81, protocol: 'TCP', offloaded: false },
    ]);
    // BPF_PROG_TEST_RUN runs a packet as received on the loopback device: ifindex 1.
    await harness.datapath.syncLocalPods([
      { addr: CLIENT, hostIfindex: 1, podMac: POD_MAC, hostMac: HOST_VETH_MAC },
      { addr: BACKEND, hostIfindex: 1, podMac: POD_MAC, hostMac: HOST_VETH_MAC },
      { addr: OTHER_VETH_POD, hostIfindex: 4242, podMac: POD_MAC, hostMac: HOST_VETH_MAC },
    ]);
  });

  beforeEach(async () => {
    await configure();
    await harness.clearFlows();
  });

  afterAll(async () => {
    await harness?.remove();
  });

  const clientFlowKey: FlowKey = {
    clientAddr: CLIENT,
    serverAddr: VIP,
    clientPort: 40000,
    serverPort: 80,
    protocol: 'TCP',
  };

  // --- bpf_lxc: pod egress --------------------------------------------------------------

  it('lxc: first packet to a VIP gets a header with flags 0 and goes to the uplink', async () => {
    const ip = { ipv4: { src: CLIENT, dst: VIP }, tcp: tcp(SYN) };
    const result = await run('fromPod', fromPod(ip));
    expect(result.retval).toBe(TC_ACT_REDIRECT);
    expect(result.output.toString('hex')).toBe(
      Buffer.from(toSwitch(ip, firstPacketHeader())).toString('hex'),
    );
    expect(result.counted).toEqual({ FWD_FIRST_PACKET: 1n });
  });

  it('lxc: a later packet carries the learned cookie and refreshes the flow', async () => {
    await setFlow('client', clientFlowKey, COOKIE, 0n);
    const ip = { ipv4: { src: CLIENT, dst: VIP }, tcp: tcp(ACK), payload: Buffer.from('GET /') };
    const result = await run('fromPod', fromPod(ip));
    expect(result.retval).toBe(TC_ACT_REDIRECT);
    expect(result.output.toString('hex')).toBe(
      Buffer.from(toSwitch(ip, cookieHeader(COOKIE))).toString('hex'),
    );
    expect(result.counted).toEqual({ FWD_COOKIE: 1n });
    const [flow] = await harness.datapath.readFlows('client');
    expect(flow?.lastSeenNs).toBeGreaterThan(0n);
  });

  it('lxc: a SYN on a 5-tuple with a cookie asks again (the old backend may be gone)', async () => {
    await setFlow('client', clientFlowKey, COOKIE);
    const ip = { ipv4: { src: CLIENT, dst: VIP }, tcp: tcp(SYN) };
    const result = await run('fromPod', fromPod(ip));
    expect(result.output.toString('hex')).toBe(
      Buffer.from(toSwitch(ip, firstPacketHeader())).toString('hex'),
    );
    expect(result.counted).toEqual({ FWD_FIRST_PACKET: 1n, EVENT_CLIENT_FLOW_RESET: 1n });
    expect(await harness.datapath.readFlows('client')).toEqual([]);
  });

  it('lxc: an idle UDP flow past its timeout loses its cookie', async () => {
    const key: FlowKey = { ...clientFlowKey, serverPort: 53, protocol: 'UDP' };
    await setFlow('client', key, COOKIE, 0n); // last seen at boot: idle for longer than 1 s
    const ip = {
      ipv4: { src: CLIENT, dst: VIP },
      udp: { srcPort: 40000, dstPort: 53 },
      payload: Buffer.from('q'),
    };
    const result = await run('fromPod', fromPod(ip));
    expect(result.output.toString('hex')).toBe(
      Buffer.from(toSwitch(ip, firstPacketHeader())).toString('hex'),
    );
    expect(result.counted).toEqual({ FWD_FIRST_PACKET: 1n, EVENT_CLIENT_FLOW_EXPIRED: 1n });
    expect(await harness.datapath.readFlows('client')).toEqual([]);
  });

  it('lxc: a backend reply gets COOKIE|REPLY with the remembered cookie', async () => {
    await setFlow(
      'backend',
      {
        clientAddr: REMOTE_CLIENT,
        serverAddr: BACKEND,
        clientPort: 40000,
        serverPort: 8080,
        protocol: 'TCP',
      },
      COOKIE,
    );
    const ip = {
      ipv4: { src: BACKEND, dst: REMOTE_CLIENT },
      tcp: { srcPort: 8080, dstPort: 40000, flags: SYN | ACK },
    };
    const result = await run('fromPod', fromPod(ip));
    expect(result.retval).toBe(TC_ACT_REDIRECT);
    expect(result.output.toString('hex')).toBe(
      Buffer.from(toSwitch(ip, cookieHeader({ ...COOKIE, reply: true }))).toString('hex'),
    );
    expect(result.counted).toEqual({ FWD_REPLY: 1n });
  });

  const untouched: [string, () => Uint8Array, string, boolean?][] = [
    [
      'traffic to a non-VIP address',
      () => fromPod({ ipv4: { src: CLIENT, dst: '10.200.2.9' }, tcp: tcp(SYN) }),
      'PASS_NOT_SERVICE',
    ],
    [
      'a VIP the switch does not serve',
      () => fromPod({ ipv4: { src: CLIENT, dst: VIP }, tcp: { ...tcp(SYN), dstPort: 81 } }),
      'PASS_NOT_OFFLOADED',
    ],
    [
      'ICMP to a VIP',
      () => fromPod({ ipv4: { src: CLIENT, dst: VIP, protocol: 1 }, payload: Buffer.alloc(8) }),
      'PASS_NOT_SERVICE',
    ],
    [
      'a fragment to a VIP',
      () => fromPod({ ipv4: { src: CLIENT, dst: VIP, moreFragments: true }, tcp: tcp(SYN) }),
      'PASS_FRAGMENT',
    ],
    [
      'IPv4 options to a VIP',
      () =>
        fromPod({
          ipv4: { src: CLIENT, dst: VIP, options: Buffer.from([1, 1, 1, 0]) },
          tcp: tcp(SYN),
        }),
      'PASS_IPV4_OPTIONS',
    ],
    [
      'an IPv4 total length beyond the frame',
      () => fromPod({ ipv4: { src: CLIENT, dst: VIP, totalLength: 1400 }, tcp: tcp(SYN) }),
      'PASS_MALFORMED_IPV4',
    ],
    ['ARP', () => fromPod({ payload: Buffer.alloc(28) }, 0x0806), 'PASS_NOT_IPV4'],
    [
      'VIP traffic while the fast path is disabled (fallback)',
      () => fromPod({ ipv4: { src: CLIENT, dst: VIP }, tcp: tcp(SYN) }),
      'PASS_DISABLED',
      true,
    ],
  ];
  for (const [what, packet, code, disable] of untouched) {
    it(`lxc: leaves ${what} to the kernel, untouched`, async () => {
      if (disable) await configure(false);
      const input = packet();
      const result = await run('fromPod', input);
      expect(result.retval).toBe(TC_ACT_OK);
      expect(result.output.toString('hex')).toBe(Buffer.from(input).toString('hex'));
      expect(result.counted).toEqual({ [code]: 1n });
    });
  }

  const spoofed: [string, () => Uint8Array][] = [
    [
      'a source address of no local pod',
      () => fromPod({ ipv4: { src: '10.200.1.77', dst: VIP }, tcp: tcp(SYN) }),
    ],
    [
      "another pod's MAC",
      () =>
        buildPacket({
          ethernet: { dst: HOST_VETH_MAC, src: '02:00:00:00:99:99' },
          ipv4: { src: CLIENT, dst: VIP },
          tcp: tcp(ACK),
        }),
    ],
    [
      'a pod behind another veth (the address of a pod whose ifindex is not this one)',
      () => fromPod({ ipv4: { src: OTHER_VETH_POD, dst: VIP }, tcp: tcp(ACK) }),
    ],
  ];
  for (const [what, packet] of spoofed) {
    it(`lxc: drops IPv4 from ${what} before any flow is looked up (HOST_DROP_SPOOFED_SOURCE)`, async () => {
      await setFlow('client', { ...clientFlowKey, clientAddr: OTHER_VETH_POD }, COOKIE);
      const result = await run('fromPod', packet());
      expect(result.retval).toBe(TC_ACT_SHOT);
      expect(result.counted).toEqual({ HOST_DROP_SPOOFED_SOURCE: 1n });
    });
  }

  it('lxc: a client pod an egress policy selects keeps the kernel path to a VIP', async () => {
    await applyMapChanges(harness.datapath.mapPin('tl_policy_clients'), [
      { op: 'update', key: encodeLocalPodKey(CLIENT), value: encodePolicyClientValue() },
    ]);
    try {
      const input = fromPod({ ipv4: { src: CLIENT, dst: VIP }, tcp: tcp(SYN) });
      const result = await run('fromPod', input);
      expect(result.retval).toBe(TC_ACT_OK);
      expect(result.output.toString('hex')).toBe(Buffer.from(input).toString('hex'));
      expect(result.counted).toEqual({ PASS_POLICY_CLIENT: 1n });
    } finally {
      await harness.datapath.syncPolicyClients([]);
    }
  });

  it('lxc: a spoofed source is dropped while the fast path is off as well', async () => {
    await configure(false);
    const result = await run(
      'fromPod',
      fromPod({ ipv4: { src: '10.200.1.77', dst: VIP }, tcp: tcp(SYN) }),
    );
    expect(result.counted).toEqual({ HOST_DROP_SPOOFED_SOURCE: 1n });
  });

  it('lxc: drops a Talaria frame sent by a pod (a forged cookie never reaches the wire)', async () => {
    const forged = buildPacket({
      ethernet: { dst: HOST_VETH_MAC, src: POD_MAC },
      talaria: cookieHeader(COOKIE),
      ipv4: { src: CLIENT, dst: VIP },
      tcp: tcp(ACK),
    });
    const result = await run('fromPod', forged);
    expect(result.retval).toBe(TC_ACT_SHOT);
    expect(result.counted).toEqual({ HOST_DROP_POD_SENT_TALARIA: 1n });
  });

  // --- bpf_host: uplink ingress ---------------------------------------------------------

  it('client: SYN opens a half-open flow, the reply fills its cookie, the ACK confirms it', async () => {
    const syn = { ipv4: { src: CLIENT, dst: VIP }, tcp: tcp(SYN) };
    expect((await run('fromPod', fromPod(syn))).counted).toEqual({ FWD_FIRST_PACKET: 1n });
    const noCookie = { serviceId: 0, slot: 0, keyEpoch: 0, tag: 0 };
    expect(await flowsOf('client-half')).toEqual([{ key: clientFlowKey, cookie: noCookie }]);

    const synAck = {
      ipv4: { src: VIP, dst: CLIENT },
      tcp: { srcPort: 80, dstPort: 40000, flags: SYN | ACK },
    };
    const reply = await run(
      'fromUplink',
      fromSwitch(synAck, cookieHeader({ ...COOKIE, reply: true })),
    );
    expect(reply.retval).toBe(TC_ACT_REDIRECT);
    expect(reply.output.toString('hex')).toBe(Buffer.from(toPod(synAck)).toString('hex'));
    expect(reply.counted).toEqual({ FWD_TO_POD_CLIENT: 1n });
    expect(await flowsOf('client-half')).toEqual([{ key: clientFlowKey, cookie: COOKIE }]);
    expect(await flowsOf('client')).toEqual([]);

    const ack = { ipv4: { src: CLIENT, dst: VIP }, tcp: tcp(ACK) };
    const confirm = await run('fromPod', fromPod(ack));
    expect(confirm.output.toString('hex')).toBe(
      Buffer.from(toSwitch(ack, cookieHeader(COOKIE))).toString('hex'),
    );
    expect(confirm.counted).toEqual({ FWD_COOKIE: 1n, EVENT_FLOW_CONFIRMED: 1n });
    expect(await flowsOf('client')).toEqual([{ key: clientFlowKey, cookie: COOKIE }]);
    expect(await flowsOf('client-half')).toEqual([]);
  });

  it('client: the RST a flooding pod answers a SYN-ACK with carries the cookie but confirms nothing', async () => {
    await setFlow('client-half', clientFlowKey, COOKIE, 1n);
    const rst = { ipv4: { src: CLIENT, dst: VIP }, tcp: tcp(0x04) };
    const result = await run('fromPod', fromPod(rst));
    expect(result.output.toString('hex')).toBe(
      Buffer.from(toSwitch(rst, cookieHeader(COOKIE))).toString('hex'),
    );
    expect(result.counted).toEqual({ FWD_COOKIE: 1n });
    expect(await flowsOf('client')).toEqual([]);
  });

  it('host: a reply for a flow no local pod started is delivered, its cookie not kept', async () => {
    const ip = {
      ipv4: { src: VIP, dst: CLIENT },
      tcp: { srcPort: 80, dstPort: 40000, flags: ACK },
    };
    const result = await run(
      'fromUplink',
      fromSwitch(ip, cookieHeader({ ...COOKIE, reply: true })),
    );
    expect(result.retval).toBe(TC_ACT_REDIRECT);
    expect(result.counted).toEqual({ FWD_TO_POD_CLIENT: 1n, EVENT_REPLY_NOT_STARTED: 1n });
    expect(await flowsOf('client')).toEqual([]);
    expect(await flowsOf('client-half')).toEqual([]);
  });

  const backendKey: FlowKey = {
    clientAddr: REMOTE_CLIENT,
    serverAddr: BACKEND,
    clientPort: 40000,
    serverPort: 8080,
    protocol: 'TCP',
  };

  it('backend: a SYN is remembered half-open, stamps the SYN-ACK, and the ACK confirms it', async () => {
    const syn = { ipv4: { src: REMOTE_CLIENT, dst: BACKEND }, tcp: { ...tcp(SYN), dstPort: 8080 } };
    const request = await run('fromUplink', fromSwitch(syn, cookieHeader(COOKIE)));
    expect(request.retval).toBe(TC_ACT_REDIRECT);
    expect(request.output.toString('hex')).toBe(Buffer.from(toPod(syn)).toString('hex'));
    expect(request.counted).toEqual({ FWD_TO_POD_BACKEND: 1n });
    expect(await flowsOf('backend-half')).toEqual([{ key: backendKey, cookie: COOKIE }]);
    expect(await flowsOf('backend')).toEqual([]);

    const synAck = {
      ipv4: { src: BACKEND, dst: REMOTE_CLIENT },
      tcp: { srcPort: 8080, dstPort: 40000, flags: SYN | ACK },
    };
    const reply = await run('fromPod', fromPod(synAck));
    expect(reply.output.toString('hex')).toBe(
      Buffer.from(toSwitch(synAck, cookieHeader({ ...COOKIE, reply: true }))).toString('hex'),
    );

    const ack = { ipv4: { src: REMOTE_CLIENT, dst: BACKEND }, tcp: { ...tcp(ACK), dstPort: 8080 } };
    const confirm = await run('fromUplink', fromSwitch(ack, cookieHeader(COOKIE)));
    expect(confirm.counted).toEqual({ FWD_TO_POD_BACKEND: 1n, EVENT_FLOW_CONFIRMED: 1n });
    expect(await flowsOf('backend')).toEqual([{ key: backendKey, cookie: COOKIE }]);
    expect(await flowsOf('backend-half')).toEqual([]);
  });

  it('backend: a SYN on the 5-tuple of an established flow starts it anew, half-open', async () => {
    await setFlow('backend', backendKey, { ...COOKIE, slot: 9 });
    const syn = { ipv4: { src: REMOTE_CLIENT, dst: BACKEND }, tcp: { ...tcp(SYN), dstPort: 8080 } };
    await run('fromUplink', fromSwitch(syn, cookieHeader(COOKIE)));
    expect(await flowsOf('backend')).toEqual([]);
    expect(await flowsOf('backend-half')).toEqual([{ key: backendKey, cookie: COOKIE }]);
  });

  it('backend: a UDP request is half-open until the client sends again', async () => {
    const key: FlowKey = { ...backendKey, clientPort: 5353, serverPort: 5300, protocol: 'UDP' };
    const ip = {
      ipv4: { src: REMOTE_CLIENT, dst: BACKEND },
      udp: { srcPort: 5353, dstPort: 5300 },
      payload: Buffer.from('hello'),
    };
    const first = await run('fromUplink', fromSwitch(ip, cookieHeader(COOKIE)));
    expect(first.output.toString('hex')).toBe(Buffer.from(toPod(ip)).toString('hex'));
    expect(first.counted).toEqual({ FWD_TO_POD_BACKEND: 1n });
    expect(await flowsOf('backend-half')).toEqual([{ key, cookie: COOKIE }]);
    const second = await run('fromUplink', fromSwitch(ip, cookieHeader(COOKIE)));
    expect(second.counted).toEqual({ FWD_TO_POD_BACKEND: 1n, EVENT_FLOW_CONFIRMED: 1n });
    expect(await flowsOf('backend')).toEqual([{ key, cookie: COOKIE }]);
  });

  it('host: a header without cookie is stripped and delivered, nothing learned', async () => {
    const ip = { ipv4: { src: REMOTE_CLIENT, dst: BACKEND }, tcp: tcp(SYN) };
    const result = await run('fromUplink', fromSwitch(ip, firstPacketHeader()));
    expect(result.retval).toBe(TC_ACT_REDIRECT);
    expect(result.output.toString('hex')).toBe(Buffer.from(toPod(ip)).toString('hex'));
    expect(result.counted).toEqual({ FWD_TO_POD_NO_COOKIE: 1n });
    expect(await harness.datapath.readFlows('backend')).toEqual([]);
  });

  it('host: a Talaria packet for no local pod is stripped and left to the kernel', async () => {
    const ip = { ipv4: { src: REMOTE_CLIENT, dst: '10.200.1.99' }, tcp: tcp(ACK) };
    const result = await run('fromUplink', fromSwitch(ip, cookieHeader(COOKIE)));
    expect(result.retval).toBe(TC_ACT_OK);
    expect(result.output.toString('hex')).toBe(
      Buffer.from(fromSwitch(ip)).toString('hex'), // header gone, EtherType IPv4
    );
    expect(result.counted).toEqual({ PASS_NOT_LOCAL_POD: 1n });
    expect(await harness.datapath.readFlows('backend')).toEqual([]);
  });

  const staleBackendKey: FlowKey = {
    clientAddr: REMOTE_CLIENT,
    serverAddr: BACKEND,
    clientPort: 40000,
    serverPort: 80,
    protocol: 'TCP',
  };

  // --- bpf_lxc: to the pod over the kernel's path -------------------------------------

  it('to pod: a new connection over the kernel path ends the stale cookie of its 5-tuple', async () => {
    await setFlow('backend', staleBackendKey, COOKIE);
    const input = toPod({ ipv4: { src: REMOTE_CLIENT, dst: BACKEND }, tcp: tcp(SYN) });
    const result = await run('toPod', input);
    expect(result.retval).toBe(TC_ACT_OK);
    expect(result.output.toString('hex')).toBe(Buffer.from(input).toString('hex'));
    expect(result.counted).toEqual({ PASS_TO_POD: 1n, EVENT_BACKEND_FLOW_ENDED: 1n });
    expect(await harness.datapath.readFlows('backend')).toEqual([]);
  });

  it('to pod: a segment of an established connection leaves the backend flow alone', async () => {
    await setFlow('backend', staleBackendKey, COOKIE);
    const result = await run(
      'toPod',
      toPod({ ipv4: { src: REMOTE_CLIENT, dst: BACKEND }, tcp: tcp(ACK) }),
    );
    expect(result.counted).toEqual({ PASS_TO_POD: 1n });
    expect(await harness.datapath.readFlows('backend')).toHaveLength(1);
  });

  it('to pod: a UDP datagram over the kernel path ends the stale cookie of its 5-tuple', async () => {
    await setFlow('backend', { ...staleBackendKey, protocol: 'UDP' }, COOKIE);
    const result = await run(
      'toPod',
      toPod({ ipv4: { src: REMOTE_CLIENT, dst: BACKEND }, udp: { srcPort: 40000, dstPort: 80 } }),
    );
    expect(result.counted).toEqual({ PASS_TO_POD: 1n, EVENT_BACKEND_FLOW_ENDED: 1n });
  });

  it('host: a header without cookie to a local backend ends the stale cookie too', async () => {
    await setFlow('backend', staleBackendKey, COOKIE);
    const result = await run(
      'fromUplink',
      fromSwitch(
        { ipv4: { src: REMOTE_CLIENT, dst: BACKEND }, tcp: tcp(SYN) },
        firstPacketHeader(),
      ),
    );
    expect(result.retval).toBe(TC_ACT_REDIRECT);
    expect(result.counted).toEqual({ FWD_TO_POD_NO_COOKIE: 1n, EVENT_BACKEND_FLOW_ENDED: 1n });
    expect(await harness.datapath.readFlows('backend')).toEqual([]);
  });

  it('host: a frame without the header is left to the kernel untouched', async () => {
    const input = fromSwitch({ ipv4: { src: REMOTE_CLIENT, dst: BACKEND }, tcp: tcp(SYN) });
    const result = await run('fromUplink', input);
    expect(result.retval).toBe(TC_ACT_OK);
    expect(result.output.toString('hex')).toBe(Buffer.from(input).toString('hex'));
    expect(result.counted).toEqual({ PASS_NOT_TALARIA: 1n });
  });

  const ip = { ipv4: { src: VIP, dst: CLIENT }, tcp: { srcPort: 80, dstPort: 40000, flags: ACK } };
  const header = cookieHeader({ ...COOKIE, reply: true });
  const malformed: [string, () => Uint8Array, string][] = [
    ['version 2', () => fromSwitch(ip, { ...header, version: 2 }), 'DROP_BAD_VERSION'],
    [
      'next_type IPv6',
      () => fromSwitch(ip, { ...header, nextType: 0x86dd }),
      'DROP_UNSUPPORTED_NEXT_TYPE',
    ],
    [
      'REPLY without COOKIE',
      () => fromSwitch(ip, { ...header, flags: 0x2 }),
      'HOST_DROP_REPLY_WITHOUT_COOKIE',
    ],
    [
      'a cookie without service',
      () => fromSwitch(ip, { ...header, serviceId: 0 }),
      'HOST_DROP_COOKIE_WITHOUT_SERVICE',
    ],
    ['a header cut short', () => fromSwitch(ip, header).subarray(0, 14 + 10), 'DROP_PARSE_ERROR'],
    [
      'an IPv4 header cut short',
      () => fromSwitch(ip, header).subarray(0, 14 + 16 + 12),
      'DROP_PARSE_ERROR',
    ],
    [
      'IPv4 version 6 behind next_type IPv4',
      () => fromSwitch({ ...ip, ipv4: { ...ip.ipv4, version: 6 } }, header),
      'DROP_PARSE_ERROR',
    ],
    [
      'IPv4 options',
      () => fromSwitch({ ...ip, ipv4: { ...ip.ipv4, options: Buffer.from([1, 1, 1, 0]) } }, header),
      'DROP_IPV4_OPTIONS',
    ],
  ];
  for (const [what, packet, reason] of malformed) {
    it(`host: drops a Talaria frame with ${what} (${reason}), learning nothing`, async () => {
      const result = await run('fromUplink', packet());
      expect(result.retval).toBe(TC_ACT_SHOT);
      expect(result.counted).toEqual({ [reason]: 1n });
      expect(await harness.datapath.readFlows('client')).toEqual([]);
    });
  }
});

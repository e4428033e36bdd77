import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { DatapathProgram } from '../../src/agent/bpf-build.ts';
import type { Cookie, FlowKey } from '../../src/agent/datapath-maps.ts';
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
  const setFlow = (table: 'client' | 'backend', key: FlowKey, cookie: Cookie, lastSeenNs = 0n) =>
    harness.setFlow(table, key, cookie, lastSeenNs);

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
    await harness.datapath.syncLocalPods([
      { addr: CLIENT, hostIfindex: 1, podMac: POD_MAC, hostMac: HOST_VETH_MAC },
      { addr: BACKEND, hostIfindex: 1, podMac: POD_MAC, hostMac: HOST_VETH_MAC },
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

  it('host: a reply to a local client is learned, stripped and delivered into the pod', async () => {
    const ip = {
      ipv4: { src: VIP, dst: CLIENT },
      tcp: { srcPort: 80, dstPort: 40000, flags: SYN | ACK },
    };
    const result = await run(
      'fromUplink',
      fromSwitch(ip, cookieHeader({ ...COOKIE, reply: true })),
    );
    expect(result.retval).toBe(TC_ACT_REDIRECT);
    expect(result.output.toString('hex')).toBe(Buffer.from(toPod(ip)).toString('hex'));
    expect(result.counted).toEqual({ FWD_TO_POD_CLIENT: 1n });
    const flows = await harness.datapath.readFlows('client');
    expect(flows.map((f) => ({ key: f.key, cookie: f.cookie }))).toEqual([
      { key: clientFlowKey, cookie: COOKIE },
    ]);
    expect(await harness.datapath.readFlows('backend')).toEqual([]);
  });

  it('host: a request to a local backend is remembered by the backend-side 5-tuple', async () => {
    const ip = {
      ipv4: { src: REMOTE_CLIENT, dst: BACKEND },
      udp: { srcPort: 5353, dstPort: 5300 },
      payload: Buffer.from('hello'),
    };
    const result = await run('fromUplink', fromSwitch(ip, cookieHeader(COOKIE)));
    expect(result.retval).toBe(TC_ACT_REDIRECT);
    expect(result.output.toString('hex')).toBe(Buffer.from(toPod(ip)).toString('hex'));
    expect(result.counted).toEqual({ FWD_TO_POD_BACKEND: 1n });
    const flows = await harness.datapath.readFlows('backend');
    expect(flows.map((f) => ({ key: f.key, cookie: f.cookie }))).toEqual([
      {
        key: {
          clientAddr: REMOTE_CLIENT,
          serverAddr: BACKEND,
          clientPort: 5353,
          serverPort: 5300,
          protocol: 'UDP',
        },
        cookie: COOKIE,
      },
    ]);
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

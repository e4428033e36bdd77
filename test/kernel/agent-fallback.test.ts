import { afterAll, beforeAll, expect, it } from 'vitest';
import { parsePacket } from '../../src/wire/packet.ts';
import { echo, startEchoServer } from '../support/echo-traffic.ts';
import { HostPathLab, type LabPod } from '../support/host-path-lab.ts';
import { describeTier } from '../support/tiers.ts';
import { WireTap } from '../support/wire-tap.ts';

/**
 * The fallback (docs/host-path.md): traffic is never blackholed when the switch does not
 * serve it. A kube-proxy-style DNAT ruleset on host 1 serves every Service; the hosts also
 * reach each other over a fabric link besides the switch. A Service the frontends file does
 * not list, or lists as not offloaded, goes the kernel's way; so does every Service while
 * the uplink to the switch is down, and the fast path comes back with the link.
 */

const TAG_KEY = 0x0f0f0f0fn;
const OFFLOADED = '10.96.0.10';
const NOT_LISTED = '10.96.0.20';
const NOT_OFFLOADED = '10.96.0.30';

describeTier('kernel', 'fallback to the kernel path', () => {
  let lab: HostPathLab;
  let client: LabPod;
  let backend: LabPod;

  beforeAll(async () => {
    lab = await HostPathLab.create('fallback', { hosts: 2, tagKey: TAG_KEY, kernelPath: 'fabric' });
    const [h1, h2] = [lab.host(1), lab.host(2)];
    const frontends = [
      { ip: OFFLOADED, protocol: 'TCP' as const, port: 80 },
      { ip: NOT_OFFLOADED, protocol: 'TCP' as const, port: 80, offloaded: false },
    ];
    for (const host of [h1, h2]) await lab.writeFrontends(host, frontends);
    client = await lab.addPod(h1, 'c1');
    backend = await lab.addPod(h2, 'b1');
    await lab.setSwitchFrontends([
      {
        vip: OFFLOADED,
        port: 80,
        protocol: 'TCP',
        serviceId: 3,
        backends: [{ addr: backend.ip, port: 8080 }],
      },
    ]);
    // kube-proxy's part, for every Service, offloaded or not.
    const rules = [OFFLOADED, NOT_LISTED, NOT_OFFLOADED]
      .map(
        (vip) =>
          `iptables -t nat -A PREROUTING -d ${vip}/32 -p tcp --dport 80 -j DNAT --to-destination ${backend.ip}:8080`,
      )
      .join('\n');
    await lab.lab.sh(h1.netns, rules);
    await startEchoServer(lab.lab, backend.netns, { tcp: 8080, udp: 5353 });
    for (const host of [h1, h2]) await lab.startAgent(host);
  });

  afterAll(async () => {
    await lab?.cleanup();
  });

  /** Runs a short TCP echo to `vip`, capturing what host 1 sends to the switch. */
  async function echoVia(vip: string, localPort: number) {
    const h1 = lab.host(1);
    const before = await h1.datapath.readStats();
    const tap = await WireTap.open(lab.lab, lab.switchNetns, h1.switchPort);
    let report;
    try {
      report = await echo(lab.lab, client.netns, {
        protocol: 'TCP',
        host: vip,
        port: 80,
        count: 5,
        intervalMs: 20,
        localPort,
      });
    } finally {
      await tap.close();
    }
    const toSwitch = tap.frames
      .map((f) => parsePacket(f.bytes))
      .filter((p) => p.tcp?.srcPort === localPort);
    const counted: Record<string, bigint> = {};
    for (const [name, counter] of await h1.datapath.readStats()) {
      const d = counter.packets - (before.get(name)?.packets ?? 0n);
      if (d > 0n) counted[name] = d;
    }
    return { report, toSwitch, counted };
  }

  it('an offloaded Service takes the fast path through the switch', async () => {
    const { report, toSwitch, counted } = await echoVia(OFFLOADED, 46000);
    expect(report).toEqual({ sent: 5, got: 5, reason: 'done' });
    expect(toSwitch.length).toBeGreaterThan(5);
    expect(toSwitch.every((p) => p.talaria !== undefined)).toBe(true);
    expect(counted.FWD_FIRST_PACKET).toBe(1n);
  });

  it('a Service missing from the frontends file goes the kernel path (kube-proxy)', async () => {
    const { report, toSwitch, counted } = await echoVia(NOT_LISTED, 46001);
    expect(report).toEqual({ sent: 5, got: 5, reason: 'done' });
    expect(toSwitch).toEqual([]);
    expect(counted.PASS_NOT_SERVICE).toBeGreaterThan(5n);
    expect(counted.FWD_FIRST_PACKET).toBeUndefined();
  });

  it('a kernel-path connection on a 5-tuple the fast path used is not given the old cookie', async () => {
    // 46000 went through the fast path above: host 2 remembers its cookie for
    // (client:46000 -> backend:8080). A kube-proxy connection from the same client port to
    // the same backend must not get its replies stamped with it.
    const { report, toSwitch } = await echoVia(NOT_LISTED, 46000);
    expect(report).toEqual({ sent: 5, got: 5, reason: 'done' });
    expect(toSwitch).toEqual([]);
    expect((await lab.host(2).datapath.readStats()).get('EVENT_BACKEND_FLOW_ENDED')?.packets).toBe(
      1n,
    );
    expect(
      (await lab.host(1).datapath.readStats()).get('FWD_TO_POD_CLIENT')?.packets,
    ).toBeGreaterThan(0n);
  });

  it('a Service listed as not offloaded goes the kernel path', async () => {
    const { report, toSwitch, counted } = await echoVia(NOT_OFFLOADED, 46002);
    expect(report).toEqual({ sent: 5, got: 5, reason: 'done' });
    expect(toSwitch).toEqual([]);
    expect(counted.PASS_NOT_OFFLOADED).toBeGreaterThan(5n);
  });

  it('while the switch is unreachable every Service goes the kernel path; the fast path returns with it', async () => {
    const h1 = lab.host(1);
    const agent = lab.agents.get(h1)!;
    const from = agent.events.length;
    await lab.lab.exec(lab.switchNetns, ['ip', 'link', 'set', h1.switchPort, 'down']);
    try {
      const disabled = await agent.waitFor((e) => e.event === 'fast-path-disabled', 10_000, from);
      expect(disabled.uplinkState).not.toBe('UP');
      expect((await h1.datapath.readConfig()).enabled).toBe(false);
      const during = await echo(lab.lab, client.netns, {
        protocol: 'TCP',
        host: OFFLOADED,
        port: 80,
        count: 5,
        intervalMs: 20,
        localPort: 46003,
      });
      expect(during).toEqual({ sent: 5, got: 5, reason: 'done' });
      expect((await h1.datapath.readStats()).get('PASS_DISABLED')?.packets).toBeGreaterThan(5n);
    } finally {
      await lab.lab.exec(lab.switchNetns, ['ip', 'link', 'set', h1.switchPort, 'up']);
    }
    await agent.waitFor((e) => e.event === 'fast-path-enabled', 10_000, from);
    const { report, toSwitch } = await echoVia(OFFLOADED, 46004);
    expect(report).toEqual({ sent: 5, got: 5, reason: 'done' });
    expect(toSwitch.length).toBeGreaterThan(5);
    expect(toSwitch.every((p) => p.talaria !== undefined)).toBe(true);
  });
});

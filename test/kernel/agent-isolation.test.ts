import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Datapath } from '../../src/agent/datapath.ts';
import { buildPacket, parsePacket } from '../../src/wire/packet.ts';
import { echo, HeldConnection, startEchoServer } from '../support/echo-traffic.ts';
import { HostPathLab, type LabPod } from '../support/host-path-lab.ts';
import { synFlood } from '../support/syn-flood.ts';
import { describeTier } from '../support/tiers.ts';
import { WireTap } from '../support/wire-tap.ts';

/**
 * Attacks on the hosts' fast path from pods, in real namespaces with the real agents and TC
 * programs and the switch stand-in (docs/security.md): a pod that writes another pod's
 * source address to get that pod's cookie stamped on its packets (a forged Service reply, an
 * injection into a neighbour's connection), and a SYN flood against idle established
 * connections. Each attack is first shown to have something to hit (the victim's flow
 * entries exist), then shown to fail.
 */

const TAG_KEY = 0x0badc0den;
const VIP = '10.96.0.10';
/** Flow map size of the agents: small enough for a short flood, large enough to be LRU-like. */
const FLOWS = 8_192;

describeTier('kernel', 'host fast path: isolation between pods', () => {
  let lab: HostPathLab;
  let client: LabPod;
  let clientNeighbour: LabPod;
  let backend: LabPod;
  let backendNeighbour: LabPod;

  beforeAll(async () => {
    lab = await HostPathLab.create('isolation', {
      hosts: 2,
      tagKey: TAG_KEY,
      agentArgs: [
        '--client-flows',
        String(FLOWS),
        '--backend-flows',
        String(FLOWS),
        '--half-open-flows',
        '1024',
      ],
    });
    const [h1, h2] = [lab.host(1), lab.host(2)];
    for (const host of [h1, h2])
      await lab.writeFrontends(host, [{ ip: VIP, protocol: 'TCP', port: 80 }]);
    client = await lab.addPod(h1, 'c1');
    clientNeighbour = await lab.addPod(h1, 'n1');
    backend = await lab.addPod(h2, 'b1');
    backendNeighbour = await lab.addPod(h2, 'n2');
    await lab.setSwitchFrontends([
      {
        vip: VIP,
        port: 80,
        protocol: 'TCP',
        serviceId: 1,
        backends: [{ addr: backend.ip, port: 8080 }],
      },
    ]);
    await startEchoServer(lab.lab, backend.netns, { tcp: 8080, udp: 5353 });
    for (const host of [h1, h2]) await lab.startAgent(host);
  });

  afterAll(async () => {
    await lab?.cleanup();
  });

  async function dropCount(datapath: Datapath, name: string): Promise<bigint> {
    return (await datapath.readStats()).get(name)?.packets ?? 0n;
  }

  /**
   * Sends `frame` out of `attacker`'s eth0 and waits until either its host counts the drop
   * or `victim`'s eth0 receives a frame carrying `marker`. Returns what happened.
   */
  async function attack(attacker: LabPod, frame: Uint8Array, victim: LabPod, marker: string) {
    const datapath = attacker.host.datapath;
    const before = await dropCount(datapath, 'HOST_DROP_SPOOFED_SOURCE');
    const inVictim = await WireTap.open(lab.lab, victim.netns, 'eth0');
    const out = await WireTap.open(lab.lab, attacker.netns, 'eth0');
    const delivered = () =>
      inVictim.frames
        .map((f) => parsePacket(f.bytes))
        .filter((p) => {
          const payload = p.payload ? Buffer.from(p.payload).toString() : '';
          return payload === marker;
        });
    try {
      out.send(frame);
      for (let i = 0; i < 400; i++) {
        if (delivered().length > 0) break;
        if ((await dropCount(datapath, 'HOST_DROP_SPOOFED_SOURCE')) > before) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    } finally {
      await out.close();
      await inVictim.close();
    }
    return {
      dropped: (await dropCount(datapath, 'HOST_DROP_SPOOFED_SOURCE')) - before,
      delivered: delivered(),
    };
  }

  it('a connection through the Service leaves flow entries on both hosts', async () => {
    const report = await echo(lab.lab, client.netns, {
      protocol: 'TCP',
      host: VIP,
      port: 80,
      count: 3,
      intervalMs: 10,
      localPort: 41000,
    });
    expect(report).toEqual({ sent: 3, got: 3, reason: 'done' });
    const clientFlows = await lab.host(1).datapath.readFlows('client');
    expect(clientFlows.map((f) => f.key.clientPort)).toContain(41000);
    const backendFlows = await lab.host(2).datapath.readFlows('backend');
    expect(backendFlows.map((f) => f.key.clientPort)).toContain(41000);
  });

  it("a pod forging a Service reply from its neighbour's address is dropped on its own host", async () => {
    // Backend b1's neighbour on host 2 writes b1's address as source, to the client's port:
    // b1's backend flow entry would give it b1's cookie, and the switch would rewrite the
    // source to the VIP, so the client would take it for the Service's reply.
    const h2 = lab.host(2);
    const frame = buildPacket({
      ethernet: {
        dst: await lab.lab.mac(h2.netns, backendNeighbour.hostIfname),
        src: backendNeighbour.mac,
      },
      ipv4: { src: backend.ip, dst: client.ip },
      tcp: { srcPort: 8080, dstPort: 41000, flags: 0x18, seq: 1, ack: 1 },
      payload: Buffer.from('forged-reply'),
    });
    const outcome = await attack(backendNeighbour, frame, client, 'forged-reply');
    expect(outcome.delivered).toEqual([]);
    expect(outcome.dropped).toBe(1n);
  });

  it("a pod injecting into a neighbour's connection is dropped on its own host", async () => {
    // Client c1's neighbour on host 1 writes c1's address and port: c1's client flow entry
    // would give it c1's cookie, which the switch accepts, and b1 would get the data as c1's.
    const h1 = lab.host(1);
    const frame = buildPacket({
      ethernet: {
        dst: await lab.lab.mac(h1.netns, clientNeighbour.hostIfname),
        src: clientNeighbour.mac,
      },
      ipv4: { src: client.ip, dst: VIP },
      tcp: { srcPort: 41000, dstPort: 80, flags: 0x18, seq: 1, ack: 1 },
      payload: Buffer.from('injected'),
    });
    const outcome = await attack(clientNeighbour, frame, backend, 'injected');
    expect(outcome.delivered).toEqual([]);
    expect(outcome.dropped).toBe(1n);
  });

  it("the neighbour's MAC does not help: the address must come from that pod's own veth", async () => {
    const h1 = lab.host(1);
    const frame = buildPacket({
      ethernet: { dst: await lab.lab.mac(h1.netns, clientNeighbour.hostIfname), src: client.mac },
      ipv4: { src: client.ip, dst: VIP },
      tcp: { srcPort: 41000, dstPort: 80, flags: 0x18, seq: 1, ack: 1 },
      payload: Buffer.from('injected-with-mac'),
    });
    const outcome = await attack(clientNeighbour, frame, backend, 'injected-with-mac');
    expect(outcome.delivered).toEqual([]);
    expect(outcome.dropped).toBe(1n);
  });

  it('a SYN flood does not push out the entries of an idle established connection', async () => {
    const [h1, h2] = [lab.host(1), lab.host(2)];
    const held = await HeldConnection.open(lab.lab, client.netns, {
      host: VIP,
      port: 80,
      localPort: 42000,
    });
    try {
      expect(await held.roundTrip('before')).toBe('before');
      const isHeld = (f: { key: { clientAddr: string; clientPort: number } }) =>
        f.key.clientAddr === client.ip && f.key.clientPort === 42000;
      expect((await h1.datapath.readFlows('client')).filter(isHeld)).toHaveLength(1);
      expect((await h2.datapath.readFlows('backend')).filter(isHeld)).toHaveLength(1);
      const deliveredBefore = await dropCount(h2.datapath, 'FWD_TO_POD_BACKEND');

      // From the client's neighbour, with its own address: three times the flow maps' size.
      const flood = await synFlood(lab.lab, clientNeighbour, {
        dst: VIP,
        dstPorts: [80],
        count: 3 * FLOWS,
      });
      const delivered = (await dropCount(h2.datapath, 'FWD_TO_POD_BACKEND')) - deliveredBefore;
      // The flood reached the backend's host, more than its flow map holds.
      expect(delivered).toBeGreaterThan(BigInt(2 * FLOWS));
      expect(flood.answered).toBeGreaterThan(2 * FLOWS);

      expect((await h1.datapath.readFlows('client')).filter(isHeld)).toHaveLength(1);
      expect((await h2.datapath.readFlows('backend')).filter(isHeld)).toHaveLength(1);
      expect(await held.roundTrip('after')).toBe('after');
    } finally {
      await held.close();
    }
  });
});

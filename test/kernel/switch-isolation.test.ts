import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUILD_DIR } from '../../scripts/p4-build-record.ts';
import { P4RuntimeClient } from '../../src/p4rt/client.ts';
import { EntityCodec } from '../../src/p4rt/entity-codec.ts';
import { P4InfoIndex } from '../../src/p4rt/p4info-index.ts';
import { pipelineOf } from '../../src/p4rt/pipeline.ts';
import { parseP4InfoText } from '../../src/p4rt/text-format.ts';
import { ipv4ToNumber } from '../../src/wire/addresses.ts';
import { DROP_REASONS, type DropReason } from '../../src/wire/drop-reasons.ts';
import { buildPacket, parsePacket, type PacketSpec } from '../../src/wire/packet.ts';
import { computeTag, type TagInput } from '../../src/wire/tag.ts';
import {
  firstPacketHeader,
  TalariaFlag,
  type TalariaHeader,
} from '../../src/wire/talaria-header.ts';
import { switchStateSchema, tagKeyHex, type SwitchStateInput } from '../../src/wire/vectors.ts';
import { HostPathLab, type LabHost } from '../support/host-path-lab.ts';
import { eventually } from '../support/eventually.ts';
import { describeTier } from '../support/tiers.ts';
import { writeVectorState } from '../support/vector-p4runtime-state.ts';
import { WireTap } from '../support/wire-tap.ts';

/**
 * Attacks on the switch in real namespaces (docs/security.md), against the real pipeline
 * (the embedded switch, `talaria switch`, interpreting p4/build/talaria.json, with
 * AF_PACKET ports) and against the eBPF switch stand-in the other kernel tests use
 * (bpf/tests/switch_standin.c). Hosts 1 and 2 sit on agent ports; host 3 is a device on a
 * port that is not an agent host's (a router, say). Frames are written straight onto the
 * hosts' uplinks and captured there. That a frame was dropped is read from the switch's
 * drop counter of its reason and from its absence: a plain routed probe sent after it on
 * the same port arrives, so the attack frame, had it been forwarded, would have arrived
 * first.
 */

const INGRESS = 'TalariaIngress';
const KEY_EPOCH = 3;
const TAG_KEY = 0x6d1f_0c3a_94e2_57b8n;
const PREVIOUS_TAG_KEY = 0x1b2c_3d4e_5f60_7182n;
const VIP = '10.96.0.10';
const SERVICE_ID = 1001;
const SLOT = 1;
const CLIENT = '10.200.1.5';
const BACKEND = { addr: '10.200.2.10', port: 8080 };

/** A switch under attack: how to start it with the test's state and read its drops. */
interface SwitchTarget {
  readonly name: string;
  start(): Promise<RunningTarget>;
}

interface RunningTarget {
  readonly lab: HostPathLab;
  dropCount(reason: DropReason): Promise<bigint>;
  stop(): Promise<void>;
}

const pipelineTarget: SwitchTarget = {
  name: 'the real pipeline',
  async start() {
    const lab = await HostPathLab.create('isolation', {
      hosts: 3,
      tagKey: TAG_KEY,
      switchStandin: false,
    });
    const { address } = await lab.startEmbeddedSwitch([1, 2, 3]);
    const p4info = parseP4InfoText(readFileSync(join(BUILD_DIR, 'talaria.p4info.txtpb'), 'utf8'));
    const codec = new EntityCodec(new P4InfoIndex(p4info));
    const client = new P4RuntimeClient({
      address,
      deviceId: 1,
      electionId: 1,
    });
    client.start();
    await client.waitForPrimary(30_000);
    await client.setPipelineConfig(
      pipelineOf(p4info, readFileSync(join(BUILD_DIR, 'talaria.json'))),
    );
    const hosts = [1, 2, 3].map((i) => lab.host(i));
    const state: SwitchStateInput = {
      tagKeys: {
        epoch: KEY_EPOCH,
        current: tagKeyHex(TAG_KEY),
        previous: tagKeyHex(PREVIOUS_TAG_KEY),
      },
      agentPorts: [1, 2],
      frontends: [{ vipAddr: VIP, protocol: 'TCP', vipPort: 80, serviceId: SERVICE_ID }],
      selectors: [{ table: 'backend_select', serviceId: SERVICE_ID, slots: [SLOT] }],
      backends: [{ serviceId: SERVICE_ID, slot: SLOT, ...BACKEND }],
      replyFrontends: [{ serviceId: SERVICE_ID, vipAddr: VIP, vipPort: 80, protocol: 'TCP' }],
      routes: hosts.map((host) => ({
        prefix: `10.200.${host.index}.0/24`,
        kind: host.index === 3 ? ('external' as const) : ('host' as const),
        port: host.index,
        switchMac: host.switchMac,
        hostMac: host.uplinkMac,
      })),
    };
    await writeVectorState(client, codec, switchStateSchema.parse(state));
    return {
      lab,
      async dropCount(reason) {
        const [entity] = await client.read([
          codec.readCounter(`${INGRESS}.drop_counter`, DROP_REASONS[reason]),
        ]);
        const decoded = codec.decode(entity!);
        if (decoded?.kind !== 'counter') throw new Error('drop_counter read returned no cell');
        return decoded.cell.packets;
      },
      async stop() {
        client.close();
        await lab.cleanup();
      },
    };
  },
};

const standinTarget: SwitchTarget = {
  name: 'the eBPF switch stand-in',
  async start() {
    const lab = await HostPathLab.create('isostandin', { hosts: 3, tagKey: TAG_KEY });
    await lab.standin.setTagKeys({
      epoch: KEY_EPOCH,
      current: TAG_KEY,
      previous: PREVIOUS_TAG_KEY,
    });
    await lab.standin.setAgentPorts(['swp1', 'swp2']);
    // Slot i is backends[i]; the stand-in picks the slot by a hash, so both name the backend.
    await lab.setSwitchFrontends([
      { vip: VIP, port: 80, protocol: 'TCP', serviceId: SERVICE_ID, backends: [BACKEND, BACKEND] },
    ]);
    return {
      lab,
      async dropCount(reason) {
        return BigInt((await lab.standin.stats())[`DROP_${reason}`] ?? 0);
      },
      stop: () => lab.cleanup(),
    };
  },
};

for (const target of [pipelineTarget, standinTarget]) {
  describeTier('kernel', `switch isolation: attacks against ${target.name}`, () => {
    let running: RunningTarget;
    let lab: HostPathLab;
    const taps: WireTap[] = [];
    let probeId = 0;

    beforeAll(async () => {
      running = await target.start();
      lab = running.lab;
      for (const i of [1, 2, 3])
        taps.push(await WireTap.open(lab.lab, lab.host(i).netns, 'uplink'));
    }, 150_000);

    afterAll(async () => {
      for (const tap of taps) await tap.close();
      await running?.stop();
    });

    const host = (index: number): LabHost => lab.host(index);
    const tapOf = (index: number): WireTap => taps[index - 1]!;

    const dropCount = (reason: DropReason) => running.dropCount(reason);

    /** A frame host `from` sends to the switch. */
    function frame(from: number, body: Omit<PacketSpec, 'ethernet'>): Uint8Array {
      return buildPacket({
        ...body,
        ethernet: { src: host(from).uplinkMac, dst: host(from).switchMac },
      });
    }

    const request = (
      clientPort: number,
      talaria: TalariaHeader | undefined,
      flags = 0x18,
      payload = 'GET /',
    ): Omit<PacketSpec, 'ethernet'> => ({
      ipv4: { src: CLIENT, dst: VIP, ttl: 64, identification: 0x4242, dontFragment: true },
      tcp: { srcPort: clientPort, dstPort: 80, seq: 1000, ack: flags & 0x10 ? 1 : 0, flags },
      payload: new TextEncoder().encode(payload),
      ...(talaria ? { talaria } : {}),
    });

    const reply = (
      source: { addr: string; port: number },
      clientPort: number,
      talaria: TalariaHeader,
    ): Omit<PacketSpec, 'ethernet'> => ({
      ipv4: { src: source.addr, dst: CLIENT, ttl: 64, identification: 0x4343, dontFragment: true },
      tcp: { srcPort: source.port, dstPort: clientPort, seq: 5000, ack: 1001, flags: 0x18 },
      payload: new TextEncoder().encode('HTTP/1.1 200 OK'),
      talaria,
    });

    /**
     * Sends `frames` from host `from`, then a plain routed probe to host `to`; resolves with
     * the frames host `to` received up to the probe. Frames of one port are processed in
     * order, so anything the switch forwarded to `to` arrives before the probe.
     */
    async function exchange(from: number, to: number, frames: Uint8Array[]) {
      const seen = tapOf(to).frames.length;
      const marker = `probe-${process.pid}-${++probeId}`;
      for (const bytes of frames) tapOf(from).send(bytes);
      tapOf(from).send(
        frame(from, {
          ipv4: { src: `10.200.${from}.250`, dst: `10.200.${to}.250`, ttl: 64 },
          udp: { srcPort: 9, dstPort: 9 },
          payload: new TextEncoder().encode(marker),
        }),
      );
      const isProbe = (bytes: Buffer) => bytes.includes(Buffer.from(marker));
      // The probe follows the frames through the switch: once it is out, so is what they caused.
      await eventually(() => {
        if (
          !tapOf(to)
            .frames.slice(seen)
            .some((f) => isProbe(f.bytes))
        )
          throw new Error(`probe ${marker} has not reached host ${to}`);
      }, 20_000);
      const received = tapOf(to)
        .frames.slice(seen)
        .map((f) => f.bytes);
      return received.slice(0, received.findIndex(isProbe)).map((bytes) => parsePacket(bytes));
    }

    /** The cookie the switch stamps on a new connection from CLIENT:clientPort, as seen on the wire. */
    async function observedCookie(clientPort: number): Promise<TalariaHeader> {
      const got = await exchange(1, 2, [frame(1, request(clientPort, firstPacketHeader(), 0x02))]);
      const stamped = got.find((p) => p.tcp?.srcPort === clientPort);
      expect(stamped?.ipv4).toMatchObject({ dst: BACKEND.addr });
      expect(stamped?.talaria).toMatchObject({ flags: TalariaFlag.COOKIE, keyEpoch: KEY_EPOCH });
      return stamped!.talaria!;
    }

    const fromClient = (got: ReturnType<typeof parsePacket>[], clientPort: number) =>
      got.filter((p) => p.ipv4?.src === CLIENT && p.tcp?.srcPort === clientPort);

    it('a forged tag from an agent host is dropped as BAD_TAG; the true cookie passes', async () => {
      const cookie = await observedCookie(41001);
      const before = await dropCount('BAD_TAG');
      const forged = { ...cookie, tag: (cookie.tag ^ 0x00010000) >>> 0 };
      const got = await exchange(1, 2, [frame(1, request(41001, forged))]);
      expect(fromClient(got, 41001)).toEqual([]);
      expect(await dropCount('BAD_TAG')).toBe(before + 1n);
      const passed = await exchange(1, 2, [frame(1, request(41001, cookie))]);
      expect(fromClient(passed, 41001)).toHaveLength(1);
    });

    it('a replayed cookie from a port that is not an agent host is dropped as NOT_AGENT_PORT', async () => {
      const cookie = await observedCookie(41002);
      // The frame as a device that saw the cookie would replay it: the client's tuple, its
      // own MAC, from port 3. The same frame from the client's agent port is accepted, so
      // only the port stops it.
      const before = await dropCount('NOT_AGENT_PORT');
      const replayed = await exchange(3, 2, [frame(3, request(41002, cookie))]);
      expect(fromClient(replayed, 41002)).toEqual([]);
      expect(await dropCount('NOT_AGENT_PORT')).toBe(before + 1n);
      const genuine = await exchange(1, 2, [frame(1, request(41002, cookie))]);
      expect(fromClient(genuine, 41002)).toHaveLength(1);
    });

    it('a forged tag from a port that is not an agent host is dropped before any tag is computed', async () => {
      const cookie = await observedCookie(41003);
      const [notAgent, badTag] = [await dropCount('NOT_AGENT_PORT'), await dropCount('BAD_TAG')];
      const forged = { ...cookie, tag: (cookie.tag + 1) >>> 0 };
      const got = await exchange(3, 2, [frame(3, request(41003, forged))]);
      expect(fromClient(got, 41003)).toEqual([]);
      expect(await dropCount('NOT_AGENT_PORT')).toBe(notAgent + 1n);
      expect(await dropCount('BAD_TAG')).toBe(badTag);
    });

    it("a reply from an address that is not the slot's backend is dropped; the backend's passes", async () => {
      const cookie = await observedCookie(41004);
      const replyCookie = { ...cookie, flags: TalariaFlag.COOKIE | TalariaFlag.REPLY };
      const before = await dropCount('REPLY_NOT_FROM_BACKEND');
      const impostors = [
        { addr: '10.200.2.99', port: BACKEND.port }, // another pod on the backend's host
        { addr: BACKEND.addr, port: 9999 }, // the backend's address, another socket
      ];
      const got = await exchange(
        2,
        1,
        impostors.map((source) => frame(2, reply(source, 41004, replyCookie))),
      );
      expect(got.filter((p) => p.tcp?.dstPort === 41004)).toEqual([]);
      expect(await dropCount('REPLY_NOT_FROM_BACKEND')).toBe(before + 2n);
      const genuine = await exchange(2, 1, [frame(2, reply(BACKEND, 41004, replyCookie))]);
      const delivered = genuine.filter((p) => p.tcp?.dstPort === 41004);
      expect(delivered).toHaveLength(1);
      expect(delivered[0]).toMatchObject({ ipv4: { src: VIP }, tcp: { srcPort: 80 } });
    });

    it('a SYN carrying a replayed cookie is dropped as SYN_WITH_COOKIE', async () => {
      const cookie = await observedCookie(41005);
      const before = await dropCount('SYN_WITH_COOKIE');
      const got = await exchange(1, 2, [frame(1, request(41005, cookie, 0x02))]);
      expect(fromClient(got, 41005)).toEqual([]);
      expect(await dropCount('SYN_WITH_COOKIE')).toBe(before + 1n);
    });

    it('key recovery: the CRC-32 algebra that gives the old key from one frame gives nothing usable now', async () => {
      const cookies = [await observedCookie(41006), await observedCookie(41007)];
      const tuples = [41006, 41007].map((clientPort, i) => ({
        clientAddr: CLIENT,
        vipAddr: VIP,
        clientPort,
        vipPort: 80,
        protocol: 6,
        serviceId: SERVICE_ID,
        slot: cookies[i]!.slot,
      }));

      // The method works on the old construction: CRC-32(key ‖ data) of the captured frames'
      // tuples under a 32-bit key gives that key back, exactly, from one frame.
      const oldKey = 0x5eedc0de;
      for (const tuple of tuples) {
        const oldTag = crc32Tag(oldKey, tuple);
        expect(recoverCrc32Key(oldTag, tuple)).toBe(oldKey);
        // With it, a tag for any other slot or connection is at hand.
        expect(crc32Tag(recoverCrc32Key(oldTag, tuple)!, { ...tuple, slot: 7 })).toBe(
          crc32Tag(oldKey, { ...tuple, slot: 7 }),
        );
      }

      // The same method on the tags the switch wrote: each frame "gives" a different key
      // (a CRC key would be the same for both), and frames forged with it are dropped.
      const recovered = cookies.map((cookie, i) => recoverCrc32Key(cookie.tag, tuples[i]!)!);
      expect(recovered[0]).not.toBe(recovered[1]);
      const target = { ...tuples[0]!, clientPort: 41008 };
      const forgedTags = [
        crc32Tag(recovered[0]!, target), // the old forger's move
        computeTag({ ...target, key: BigInt(recovered[0]!) }), // as a HalfSipHash key
        computeTag({ ...target, key: (BigInt(recovered[1]!) << 32n) | BigInt(recovered[0]!) }),
      ];
      expect(forgedTags).not.toContain(computeTag({ ...target, key: TAG_KEY }));
      const before = await dropCount('BAD_TAG');
      const forged = forgedTags.map((tag) => frame(1, request(41008, { ...cookies[0]!, tag })));
      const got = await exchange(1, 2, forged);
      expect(fromClient(got, 41008)).toEqual([]);
      expect(await dropCount('BAD_TAG')).toBe(before + BigInt(forged.length));
    });
  });
}

/** What a tag covers besides the key. */
type Tuple = Omit<TagInput, 'key'>;

/** The 19 data bytes after the key in the old tag: CRC-32(key ‖ data), big-endian fields. */
function crc32TagData(t: Tuple): Buffer {
  const data = Buffer.alloc(19);
  data.writeUInt32BE(ipv4ToNumber(t.clientAddr), 0);
  data.writeUInt32BE(ipv4ToNumber(t.vipAddr), 4);
  data.writeUInt16BE(t.clientPort, 8);
  data.writeUInt16BE(t.vipPort, 10);
  data.writeUInt8(t.protocol, 12);
  data.writeUInt32BE(t.serviceId, 13);
  data.writeUInt16BE(t.slot, 17);
  return data;
}

/** The tag as the switch computed it before HalfSipHash: CRC-32 over key ‖ data. */
function crc32Tag(key: number, t: Tuple): number {
  const keyBytes = Buffer.alloc(4);
  keyBytes.writeUInt32BE(key >>> 0);
  return crc32(Buffer.concat([keyBytes, crc32TagData(t)])) >>> 0;
}

/**
 * The key of an old tag, by CRC algebra: CRC is affine, so over equal lengths
 * crc(k ‖ d) = crc(k ‖ 0) ^ crc(0 ‖ d) ^ crc(0 ‖ 0), and k -> crc(k ‖ 0) ^ crc(0 ‖ 0) is
 * linear over GF(2). Solve that 32x32 system for k (Gaussian elimination).
 */
function recoverCrc32Key(tag: number, t: Tuple): number | undefined {
  const zeros = Buffer.alloc(19);
  const base = crc32(Buffer.concat([Buffer.alloc(4), zeros])) >>> 0;
  const column = (bit: number) => {
    const keyBytes = Buffer.alloc(4);
    keyBytes.writeUInt32BE((1 << bit) >>> 0);
    return (crc32(Buffer.concat([keyBytes, zeros])) ^ base) >>> 0;
  };
  const target = (tag ^ crc32(Buffer.concat([Buffer.alloc(4), crc32TagData(t)]))) >>> 0;
  // Rows: equation r says: bit r of (sum of columns of the key's set bits) = bit r of target.
  const rows = Array.from({ length: 32 }, (_, r) => {
    let coefficients = 0;
    for (let bit = 0; bit < 32; bit++) if ((column(bit) >>> r) & 1) coefficients |= 1 << bit;
    return { coefficients: coefficients >>> 0, value: (target >>> r) & 1 };
  });
  let key = 0;
  const pivots: { bit: number; row: (typeof rows)[number] }[] = [];
  for (let bit = 0, next = 0; bit < 32; bit++) {
    const found = rows.findIndex((row, i) => i >= next && (row.coefficients >>> bit) & 1);
    if (found < 0) return undefined;
    [rows[next], rows[found]] = [rows[found]!, rows[next]!];
    const pivot = rows[next]!;
    for (const [i, row] of rows.entries()) {
      if (i !== next && (row.coefficients >>> bit) & 1) {
        row.coefficients = (row.coefficients ^ pivot.coefficients) >>> 0;
        row.value ^= pivot.value;
      }
    }
    pivots.push({ bit, row: pivot });
    next++;
  }
  for (const { bit, row } of pivots) if (row.value) key |= 1 << bit;
  return key >>> 0;
}

import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { FlowEntry } from '../../src/agent/datapath-maps.ts';
import { buildPacket, parsePacket, type ParsedPacket } from '../../src/wire/packet.ts';
import {
  ETHERTYPE_IPV4,
  TALARIA_HEADER_LENGTH,
  TalariaFlag,
  type TalariaHeader,
} from '../../src/wire/talaria-header.ts';
import {
  hexToBytes,
  loadVectorFiles,
  type PacketVector,
  type VectorFile,
} from '../../src/wire/vectors.ts';
import { WireFormatError } from '../../src/wire/wire-error.ts';
import { ProgRunHarness, TC_ACT } from '../support/prog-run-harness.ts';
import { describeTier } from '../support/tiers.ts';

/**
 * The shared packet vectors (test/vectors, the switch's behaviour on the wire) run through
 * the host programs with BPF_PROG_TEST_RUN, which proves that bpf/lib/talaria.h, the P4
 * program and src/wire agree byte for byte:
 *
 * - what the switch sends to a host port with a Talaria header is what bpf_host.c receives:
 *   it must strip exactly the 16 bytes, deliver the packet unchanged to the pod, and learn
 *   the cookie in the right flow map under the right 5-tuple;
 * - what the switch receives from a host port with a header a host writes is what
 *   bpf_lxc.c must produce from the pod's plain packet: byte for byte;
 * - the malformed headers the switch drops for a reason a host also checks are dropped by
 *   bpf_host.c with the same reason.
 */

const POD_MAC = '02:00:00:00:aa:02';
const HOST_VETH_MAC = '02:00:00:00:aa:01';
/** Drop reasons of the vectors that a host checks too (drop_reasons.h, "host:"). */
const HOST_CHECKED_REASONS = ['BAD_VERSION', 'UNSUPPORTED_NEXT_TYPE', 'IPV4_OPTIONS'];

const files: Map<string, VectorFile> = loadVectorFiles();

interface Case {
  readonly file: VectorFile;
  readonly vector: PacketVector;
}

function tryParse(bytes: Uint8Array): ParsedPacket | WireFormatError {
  try {
    return parsePacket(bytes);
  } catch (error) {
    if (error instanceof WireFormatError) return error;
    throw error;
  }
}

/** The host ports of a vector file: ports with a route of kind 'host'. */
function hostPorts(file: VectorFile): Set<number> {
  return new Set(file.switch.routes.filter((r) => r.kind === 'host').map((r) => r.port));
}

const all: Case[] = [...files.values()].flatMap((file) =>
  file.vectors.map((vector) => ({ file, vector })),
);

/** Switch outputs to a host port that carry a header: bpf_host.c's input. */
const deliveries = all.filter(({ file, vector }) => {
  if (vector.expect.kind !== 'forward' || !hostPorts(file).has(vector.expect.port)) return false;
  const parsed = tryParse(hexToBytes(vector.expect.packet));
  return !(parsed instanceof WireFormatError) && parsed.talaria !== undefined;
});

/**
 * Why bpf_lxc.c never writes a vector's input, or undefined when it does: inputs from a
 * host port whose header a host writes (docs/wire-format.md, "Who writes what").
 */
function notHostWritten(
  { file }: Case,
  parsed: ParsedPacket | WireFormatError,
): string | undefined {
  if (parsed instanceof WireFormatError) return `malformed (${parsed.field})`;
  const header = parsed.talaria!;
  if (header.version !== 1 || header.nextType !== ETHERTYPE_IPV4)
    return 'a header version 1 never has';
  if (header.reserved !== 0) return 'reserved field set (hosts send zeros)';
  if (![0, TalariaFlag.COOKIE, TalariaFlag.COOKIE | TalariaFlag.REPLY].includes(header.flags)) {
    return `flags ${header.flags} (hosts send 0, COOKIE or COOKIE|REPLY)`;
  }
  if (header.flags === 0 && (header.serviceId !== 0 || header.slot !== 0 || header.tag !== 0)) {
    return 'a first-packet header with cookie fields';
  }
  const ip = parsed.ipv4;
  const l4 = parsed.tcp ?? parsed.udp;
  if (!ip || !l4 || ip.ihl !== 5 || ip.moreFragments || ip.fragmentOffset !== 0) {
    return 'not an unfragmented TCP/UDP packet without IPv4 options';
  }
  const isReply = (header.flags & TalariaFlag.REPLY) !== 0;
  const frontend = file.switch.frontends.some(
    (f) => f.vipAddr === ip.dst && f.vipPort === l4.dstPort,
  );
  if (!isReply && !frontend)
    return 'a request to no frontend: pod traffic not for a Service has no header';
  if (
    !isReply &&
    header.flags === TalariaFlag.COOKIE &&
    parsed.tcp &&
    (parsed.tcp.flags & 0x12) === 0x02
  ) {
    return 'a SYN with a cookie: hosts ask anew on every SYN';
  }
  return undefined;
}

/** Inputs from a host port with a header: each is written by bpf_lxc.c or says why not. */
const productions = all
  .filter(({ file, vector }) => {
    const bytes = hexToBytes(vector.input.packet);
    return hostPorts(file).has(vector.input.port) && bytes[12] === 0x88 && bytes[13] === 0xb5;
  })
  .map((c) => ({ ...c, why: notHostWritten(c, tryParse(hexToBytes(c.vector.input.packet))) }));

/**
 * Switch drops of malformed headers a host also checks (with the header's destination
 * local): the reasons of HOST_CHECKED_REASONS, and PARSE_ERROR where the Talaria or IPv4
 * header itself is cut short or inconsistent (a host does not parse L4 beyond its ports).
 */
const hostDrops = all.filter(({ vector }) => {
  if (vector.expect.kind !== 'drop') return false;
  const bytes = hexToBytes(vector.input.packet);
  if (bytes.length < 14 || bytes[12] !== 0x88 || bytes[13] !== 0xb5) return false;
  if (HOST_CHECKED_REASONS.includes(vector.expect.reason)) return true;
  const parsed = tryParse(bytes);
  return (
    vector.expect.reason === 'PARSE_ERROR' &&
    parsed instanceof WireFormatError &&
    /^(talaria|ipv4\.(total_len|ihl|version)$|ipv4$)/.test(parsed.field)
  );
});

function withoutHeader(bytes: Uint8Array, dst: string, src: string, header: TalariaHeader): Buffer {
  const frame = Buffer.concat([
    Buffer.from(bytes.subarray(0, 12)),
    Buffer.from(bytes.subarray(12 + 2 + TALARIA_HEADER_LENGTH - 2)),
  ]);
  frame.writeUInt16BE(header.nextType, 12);
  Buffer.from(
    buildPacket({ ethernet: { dst, src }, payload: new Uint8Array(0) }).subarray(0, 12),
  ).copy(frame, 0);
  return frame;
}

describeTier(
  'kernel',
  'shared packet vectors through the host programs (BPF_PROG_TEST_RUN)',
  () => {
    let harness: ProgRunHarness;

    beforeAll(async () => {
      harness = await ProgRunHarness.create('vectors');
    });

    beforeEach(async () => {
      await harness.clearFlows();
      await harness.datapath.syncVips([]);
      await harness.datapath.syncLocalPods([]);
    });

    afterAll(async () => {
      await harness?.remove();
    });

    it('the vector files hold cases for every direction', () => {
      expect(files.size).toBeGreaterThan(0);
      expect(deliveries.length).toBeGreaterThan(0);
      expect(productions.filter((p) => p.why === undefined).length).toBeGreaterThan(0);
      expect(hostDrops.length).toBeGreaterThan(0);
    });

    for (const { vector } of deliveries) {
      it(`bpf_host receives '${vector.name}' from the switch: strips, learns, delivers`, async () => {
        if (vector.expect.kind !== 'forward') throw new Error('unreachable');
        const input = hexToBytes(vector.expect.packet);
        const parsed = parsePacket(input);
        const header = parsed.talaria!;
        const ip = parsed.ipv4!;
        await harness.datapath.syncLocalPods([
          { addr: ip.dst, hostIfindex: 1, podMac: POD_MAC, hostMac: HOST_VETH_MAC },
        ]);
        const l4 = parsed.tcp ?? parsed.udp;
        const protocol = parsed.tcp ? ('TCP' as const) : ('UDP' as const);
        const noCookie = { serviceId: 0, slot: 0, keyEpoch: 0, tag: 0 };
        const replyKey = l4 && {
          clientAddr: ip.dst,
          serverAddr: ip.src,
          clientPort: l4.dstPort,
          serverPort: l4.srcPort,
          protocol,
        };
        // A reply's cookie is kept only for a flow the local pod started (bpf/lib/flow.h).
        if (header.flags & TalariaFlag.REPLY && replyKey)
          await harness.setFlow('client-half', replyKey, noCookie, 1n);
        const result = await harness.run('fromUplink', input);
        expect(result.retval).toBe(TC_ACT.REDIRECT);
        expect(result.output.toString('hex')).toBe(
          withoutHeader(input, POD_MAC, HOST_VETH_MAC, header).toString('hex'),
        );

        const cookie = {
          serviceId: header.serviceId,
          slot: header.slot,
          keyEpoch: header.keyEpoch,
          tag: header.tag,
        };
        const learned = (flows: FlowEntry[]) =>
          flows.map((f) => ({ key: f.key, cookie: f.cookie }));
        // One packet of a flow: the cookie lands in the half-open map of its side.
        const client = learned(await harness.datapath.readFlows('client-half'));
        const backend = learned(await harness.datapath.readFlows('backend-half'));
        expect(await harness.datapath.readFlows('client')).toEqual([]);
        expect(await harness.datapath.readFlows('backend')).toEqual([]);
        if (!(header.flags & TalariaFlag.COOKIE) || !l4) {
          expect({ client, backend }).toEqual({ client: [], backend: [] });
        } else if (header.flags & TalariaFlag.REPLY) {
          expect({ client, backend }).toEqual({
            client: [{ key: replyKey, cookie }],
            backend: [],
          });
        } else {
          expect({ client, backend }).toEqual({
            client: [],
            backend: [
              {
                key: {
                  clientAddr: ip.src,
                  serverAddr: ip.dst,
                  clientPort: l4.srcPort,
                  serverPort: l4.dstPort,
                  protocol,
                },
                cookie,
              },
            ],
          });
        }
      });
    }

    // The switch inputs no host writes are not tests of bpf_lxc.c: one assertion lists them
    // with the reason, so that a vector that moves in or out of the list shows in review.
    const excluded = productions.filter((p) => p.why !== undefined);
    it(`leaves out the ${excluded.length} switch inputs a host never writes, each for its reason`, () => {
      expect(excluded.map(({ vector, why }) => `${vector.name}: ${why}`)).toMatchInlineSnapshot(`
        [
          "header-without-cookie-flag-is-a-new-connection: a first-packet header with cookie fields",
          "cookie-reserved-bits-are-ignored-and-cleared: reserved field set (hosts send zeros)",
          "pod-to-outside-with-header-strips-it: a request to no frontend: pod traffic not for a Service has no header",
          "pod-to-pod-with-header-keeps-it: a request to no frontend: pod traffic not for a Service has no header",
          "ipv4-options-routed-packet: not an unfragmented TCP/UDP packet without IPv4 options",
          "truncated-talaria: malformed (talaria)",
          "truncated-ipv4-behind-header: malformed (ipv4)",
          "truncated-tcp: malformed (ipv4.total_len)",
          "truncated-udp: malformed (ipv4.total_len)",
          "ipv4-total-length-beyond-frame: malformed (ipv4.total_len)",
          "ipv4-total-length-below-header: malformed (ipv4.total_len)",
          "udp-length-longer-than-datagram: malformed (udp.len)",
          "udp-length-shorter-than-datagram: malformed (udp.len)",
          "tcp-data-offset-below-5: malformed (tcp.data_offset)",
          "tcp-data-offset-beyond-datagram: malformed (tcp.options)",
          "talaria-version-2: a header version 1 never has",
          "talaria-version-0: a header version 1 never has",
          "talaria-next-type-ipv6: a header version 1 never has",
          "reply-flag-without-cookie: flags 2 (hosts send 0, COOKIE or COOKIE|REPLY)",
          "syn-with-cookie: a SYN with a cookie: hosts ask anew on every SYN",
          "cookie-to-a-destination-that-is-no-frontend: a request to no frontend: pod traffic not for a Service has no header",
        ]
      `);
      expect(productions.length - excluded.length).toBeGreaterThan(0);
    });

    for (const { vector, why } of productions) {
      if (why !== undefined) continue;
      it(`bpf_lxc writes exactly the switch input of '${vector.name}'`, async () => {
        const wire = hexToBytes(vector.input.packet);
        const parsed = parsePacket(wire);
        const header = parsed.talaria!;
        const ip = parsed.ipv4!;
        const l4 = (parsed.tcp ?? parsed.udp)!;
        const protocol = parsed.tcp ? 'TCP' : 'UDP';
        await harness.datapath.writeConfig({
          enabled: true,
          uplinkIfindex: 1,
          uplinkMac: parsed.ethernet.src,
          switchMac: parsed.ethernet.dst,
          tcpIdleTimeoutNs: 0n,
          udpIdleTimeoutNs: 0n,
        });
        const cookie = {
          serviceId: header.serviceId,
          slot: header.slot,
          keyEpoch: header.keyEpoch,
          tag: header.tag,
        };
        // The packet's source is the pod behind the veth (talaria_from_pod checks it).
        await harness.datapath.syncLocalPods([
          { addr: ip.src, hostIfindex: 1, podMac: POD_MAC, hostMac: HOST_VETH_MAC },
        ]);
        if (header.flags & TalariaFlag.REPLY) {
          await harness.setFlow(
            'backend',
            {
              clientAddr: ip.dst,
              serverAddr: ip.src,
              clientPort: l4.dstPort,
              serverPort: l4.srcPort,
              protocol,
            },
            cookie,
          );
        } else {
          await harness.datapath.syncVips([
            { addr: ip.dst, port: l4.dstPort, protocol, offloaded: true },
          ]);
          if (header.flags & TalariaFlag.COOKIE) {
            await harness.setFlow(
              'client',
              {
                clientAddr: ip.src,
                serverAddr: ip.dst,
                clientPort: l4.srcPort,
                serverPort: l4.dstPort,
                protocol,
              },
              cookie,
            );
          }
        }
        const fromPod = withoutHeader(wire, HOST_VETH_MAC, POD_MAC, header);
        const result = await harness.run('fromPod', fromPod);
        expect(result.retval).toBe(TC_ACT.REDIRECT);
        expect(result.output.toString('hex')).toBe(Buffer.from(wire).toString('hex'));
      });
    }

    for (const { vector } of hostDrops) {
      it(`bpf_host drops '${vector.name}' as the switch does`, async () => {
        if (vector.expect.kind !== 'drop') throw new Error('unreachable');
        const input = hexToBytes(vector.input.packet);
        const parsed = tryParse(input);
        if (!(parsed instanceof WireFormatError) && parsed.ipv4) {
          await harness.datapath.syncLocalPods([
            { addr: parsed.ipv4.dst, hostIfindex: 1, podMac: POD_MAC, hostMac: HOST_VETH_MAC },
          ]);
        }
        const result = await harness.run('fromUplink', input);
        expect(result.retval).toBe(TC_ACT.SHOT);
        expect(result.counted).toEqual({ [`DROP_${vector.expect.reason}`]: 1n });
      });
    }
  },
);

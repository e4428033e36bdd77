import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hashAlgorithm } from '../../src/softswitch/dataplane/hash-algorithms.ts';
import { loadPipeline, type Dataplane } from '../../src/softswitch/index.ts';

/**
 * test/fixtures/p4/tables.p4, compiled by p4c, run on the embedded data plane: match kinds,
 * const entries, hit/miss and action_run branches, a crc32 action selector, counters,
 * parser verify and lookahead, IPv4 and UDP checksum updates.
 */
const json = JSON.parse(
  readFileSync(new URL('../fixtures/p4/build/tables.json', import.meta.url), 'utf8'),
) as unknown;

const csum16 = (bytes: number[]) =>
  hashAlgorithm('csum16', 'test').compute(Uint8Array.from(bytes), bytes.length);
const crc32 = (bytes: number[]) =>
  hashAlgorithm('crc32', 'test').compute(Uint8Array.from(bytes), bytes.length);
const be16 = (v: number) => [v >> 8, v & 0xff];
const ip = (text: string) => text.split('.').map(Number);
const ipBig = (text: string) => BigInt(ip(text).reduce((a, b) => a * 256 + b, 0));

interface UdpOptions {
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  diffserv?: number;
  ihl?: number;
  version?: number;
  ttl?: number;
  corruptChecksum?: boolean;
}

const PAYLOAD = [0xde, 0xad, 0xbe, 0xef, 0x01];

function udpFrame(o: UdpOptions): Uint8Array {
  const udpLen = 8 + PAYLOAD.length;
  const ipv4 = [
    ((o.version ?? 4) << 4) | (o.ihl ?? 5),
    o.diffserv ?? 0,
    ...be16(20 + udpLen),
    0x12,
    0x34,
    0x40,
    0x00,
    o.ttl ?? 64,
    17,
    0,
    0,
    ...ip(o.src),
    ...ip(o.dst),
  ];
  const sum = csum16(ipv4);
  ipv4[10] = (sum >> 8) ^ (o.corruptChecksum ? 0xff : 0);
  ipv4[11] = sum & 0xff;
  const udp = [...be16(o.srcPort ?? 5000), ...be16(o.dstPort ?? 53), ...be16(udpLen), 0, 0];
  return Uint8Array.from([
    ...[0x02, 0, 0, 0, 0, 0x01],
    ...[0x02, 0, 0, 0, 0, 0x02],
    0x08,
    0x00,
    ...ipv4,
    ...udp,
    ...PAYLOAD,
  ]);
}

/** The UDP checksum over the pseudo-header, the header (checksum zero) and the payload. */
function udpChecksum(frame: Uint8Array): number {
  const b = [...frame];
  const udp = b.slice(34);
  udp[6] = 0;
  udp[7] = 0;
  return csum16([...b.slice(26, 34), 0, 17, ...be16(udp.length), ...udp]);
}

const I = (name: string) => `FixtureIngress.${name}`;

function programmed(): Dataplane {
  const dp = loadPipeline(json).createDataplane();
  const route = (prefix: string, length: number, group: bigint) =>
    dp.insertEntry(I('routes'), {
      match: [{ kind: 'lpm', value: ipBig(prefix), prefixLength: length }],
      priority: 0,
      action: { kind: 'action', action: I('set_group'), params: [group] },
    });
  route('10.0.0.0', 8, 1n);
  route('10.1.0.0', 16, 2n);
  route('10.9.0.0', 16, 9n);
  for (const [memberId, port] of [
    [1, 1],
    [2, 2],
    [3, 3],
  ] as const) {
    dp.insertMember(I('ecmp_selector'), {
      memberId,
      action: { action: I('set_port'), params: [BigInt(port), BigInt(1000 + port)] },
    });
  }
  dp.insertGroup(I('ecmp_selector'), {
    groupId: 10,
    maxSize: 0,
    members: [1, 2, 3].map((memberId) => ({ memberId, weight: 1 })),
  });
  dp.insertEntry(I('ecmp'), {
    match: [{ kind: 'exact', value: 1n }],
    priority: 0,
    action: { kind: 'group', groupId: 10 },
  });
  dp.insertEntry(I('ecmp'), {
    match: [{ kind: 'exact', value: 2n }],
    priority: 0,
    action: { kind: 'member', memberId: 3 },
  });
  dp.insertEntry(I('acl'), {
    match: [
      { kind: 'ternary', value: ipBig('192.168.1.0'), mask: 0xffffff00n },
      { kind: 'range', low: 1000n, high: 2000n },
      undefined,
    ],
    priority: 10,
    action: { kind: 'action', action: I('deny'), params: [] },
  });
  dp.insertEntry(I('acl'), {
    match: [
      { kind: 'ternary', value: ipBig('192.168.0.0'), mask: 0xffff0000n },
      undefined,
      { kind: 'optional', value: 17n },
    ],
    priority: 5,
    action: { kind: 'action', action: I('permit'), params: [] },
  });
  return dp;
}

describe('p4c fixture: tables.p4', () => {
  it('describes the program with P4Info names', () => {
    const p = loadPipeline(json);
    const acl = p.tables.find((t) => t.name === I('acl'))!;
    expect(acl.keys).toEqual([
      { name: 'src', matchKind: 'ternary', bitwidth: 32 },
      { name: 'dst_port', matchKind: 'range', bitwidth: 16 },
      // p4c writes optional keys as ternary in the BMv2 JSON (P4Info says OPTIONAL).
      { name: 'protocol', matchKind: 'ternary', bitwidth: 8 },
    ]);
    expect(acl.directCounter).toBe(I('acl_hits'));
    expect(acl.needsPriority).toBe(true);
    const ecmp = p.tables.find((t) => t.name === I('ecmp'))!;
    expect(ecmp.keys).toEqual([{ name: 'group', matchKind: 'exact', bitwidth: 16 }]);
    expect(ecmp.implementation).toBe(I('ecmp_selector'));
    expect(p.actionProfiles.find((a) => a.name === I('ecmp_selector'))).toMatchObject({
      isSelector: true,
      maxSize: 64,
    });
    const classes = p.tables.find((t) => t.name === I('classes'))!;
    expect(classes.isConst).toBe(true);
    expect(classes.constEntries).toHaveLength(3);
    expect(p.counters).toContainEqual({ name: I('port_packets'), size: 512, unit: 'both' });
  });

  it('spreads flows of a group over its members by crc32 of the selector fields', () => {
    const dp = programmed();
    const ports = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const frame = udpFrame({ src: `172.16.${i}.9`, dst: '10.2.3.4', srcPort: 4000 + i });
      const result = dp.process(7, frame);
      expect(result.dropped).toBeUndefined();
      const out = result.outputs[0]!;
      const h = crc32([...frame.subarray(26, 34), ...frame.subarray(34, 38)]);
      const port = [1, 2, 3][h % 3]!;
      expect(out.port).toBe(port);
      ports.add(port);
      // The member rewrote the source port: UDP checksum recomputed with the payload.
      expect((out.bytes[34]! << 8) | out.bytes[35]!).toBe(1000 + port);
      expect((out.bytes[40]! << 8) | out.bytes[41]!).toBe(udpChecksum(out.bytes));
      // TTL decremented, IPv4 checksum recomputed.
      expect(out.bytes[22]).toBe(63);
      expect(csum16([...out.bytes.subarray(14, 34)])).toBe(0);
    }
    expect(ports.size).toBe(3);
    expect(dp.readCounter(I('port_packets'), 7).packets).toBe(30n);
  });

  it('uses the longest prefix and a member entry', () => {
    const dp = programmed();
    expect(dp.process(1, udpFrame({ src: '172.16.0.1', dst: '10.1.200.1' })).outputs[0]!.port).toBe(
      3,
    );
  });

  it('drops on a route miss; a route hit whose ecmp lookup misses keeps egress_spec 0', () => {
    const dp = programmed();
    expect(dp.process(1, udpFrame({ src: '172.16.0.1', dst: '11.0.0.1' })).dropped).toEqual({
      stage: 'ingress',
    });
    const result = dp.process(1, udpFrame({ src: '172.16.0.1', dst: '10.9.0.1' }));
    expect(result.outputs[0]!.port).toBe(0);
  });

  it('matches ternary, range and optional keys by priority and counts ACL hits', () => {
    const dp = programmed();
    const denied = udpFrame({ src: '192.168.1.5', dst: '10.2.3.4', dstPort: 1500 });
    expect(dp.process(1, denied).dropped).toEqual({ stage: 'ingress' });
    const permitted = udpFrame({ src: '192.168.1.5', dst: '10.2.3.4', dstPort: 2500 });
    expect(dp.process(1, permitted).dropped).toBeUndefined();
    const entries = dp.readEntries(I('acl'));
    expect(entries.map((e) => [e.priority, e.counter?.packets])).toEqual([
      [10, 1n],
      [5, 1n],
    ]);
    expect(entries[0]!.counter!.bytes).toBe(BigInt(denied.length));
  });

  it('runs const entries and the action_run switch, then the egress rewrite', () => {
    const dp = programmed();
    const out = dp.process(1, udpFrame({ src: '172.16.0.1', dst: '10.1.0.1', diffserv: 0xb9 }))
      .outputs[0]!;
    expect(out.bytes[15]).toBe(0); // set_class ran: diffserv cleared
    expect([...out.bytes.subarray(6, 12)]).toEqual([0, 0, 0, 0, 0, 0xef]); // class 46 in egress
    const plain = dp.process(1, udpFrame({ src: '172.16.0.1', dst: '10.1.0.1', diffserv: 0x40 }))
      .outputs[0]!;
    expect(plain.bytes[15]).toBe(0x40); // no const entry matched: NoAction
  });

  it('raises the program error from verify and skips IPv4 after a lookahead of version 6', () => {
    const dp = programmed();
    const options = dp.process(1, udpFrame({ src: '172.16.0.1', dst: '10.1.0.1', ihl: 6 }));
    expect(options.parserError).toBe('IhlNotFive');
    expect(options.dropped).toEqual({ stage: 'ingress' });
    const v6 = dp.process(1, udpFrame({ src: '172.16.0.1', dst: '10.1.0.1', version: 6 }));
    expect(v6.parserError).toBe('NoError');
    expect(v6.dropped).toEqual({ stage: 'ingress' });
  });

  it('recomputes a wrong IPv4 checksum on the way out (the program does not drop on it)', () => {
    const dp = programmed();
    const out = dp.process(
      1,
      udpFrame({ src: '172.16.0.1', dst: '10.1.0.1', corruptChecksum: true }),
    ).outputs[0]!;
    expect(csum16([...out.bytes.subarray(14, 34)])).toBe(0);
  });
});

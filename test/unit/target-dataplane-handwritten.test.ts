import { describe, expect, it } from 'vitest';
import { hashAlgorithm } from '../../src/softswitch/dataplane/hash-algorithms.ts';
import { DataplaneError, loadPipeline, type Dataplane } from '../../src/softswitch/index.ts';
import { handwrittenProgram as program } from '../support/handwritten-pipeline.ts';

const hex = (v: number | bigint) => ({ type: 'hexstr', value: `0x${v.toString(16)}` });

function ipv4Packet(opts: { src: number[]; dst: number[]; ttl: number; protocol?: number }) {
  const ip = [
    0x45,
    0x00,
    0x00,
    0x1c,
    0x12,
    0x34,
    0x40,
    0x00,
    opts.ttl,
    opts.protocol ?? 17,
    0,
    0,
    ...opts.src,
    ...opts.dst,
    // 8 bytes of payload
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
  ];
  const sum = hashAlgorithm('csum16', 'test').compute(Uint8Array.from(ip.slice(0, 20)), 20);
  ip[10] = sum >> 8;
  ip[11] = sum & 0xff;
  return Uint8Array.from([
    ...[0x02, 0, 0, 0, 0, 0xfe],
    ...[0x02, 0, 0, 0, 0, 0x01],
    0x08,
    0x00,
    ...ip,
  ]);
}

const IP = (a: number, b: number, c: number, d: number) => [a, b, c, d];
const ipValue = (ip: number[]) =>
  BigInt(((ip[0]! << 24) | (ip[1]! << 16) | (ip[2]! << 8) | ip[3]!) >>> 0);

function routed(): Dataplane {
  const dp = loadPipeline(program()).createDataplane();
  dp.insertEntry('Ingress.routes', {
    match: [{ kind: 'lpm', value: ipValue(IP(10, 0, 0, 0)), prefixLength: 8 }],
    priority: 0,
    action: { kind: 'action', action: 'Ingress.route', params: [3n, 0x0a0b0c0d0e0fn] },
  });
  return dp;
}

describe('embedded data plane: a hand-written BMv2 JSON', () => {
  it('describes tables, profiles, counters and registers with their JSON names', () => {
    const p = loadPipeline(program());
    const routes = p.tables.find((t) => t.name === 'Ingress.routes')!;
    expect(routes.keys).toEqual([{ name: 'dst_addr', matchKind: 'lpm', bitwidth: 32 }]);
    expect(routes.actions.map((a) => a.name)).toEqual(['Ingress.route', 'Ingress.drop']);
    expect(routes.actions[0]!.params).toEqual([
      { name: 'port', bitwidth: 9 },
      { name: 'dmac', bitwidth: 48 },
    ]);
    expect(routes.defaultAction).toEqual({ action: 'Ingress.drop', params: [], isConst: true });
    expect(p.tables.find((t) => t.name === 'Ingress.ecmp')!.implementation).toBe(
      'Ingress.selector',
    );
    expect(p.tables.find((t) => t.name === 'egress_count')!.directCounter).toBe('port_counter');
    const classify = p.tables.find((t) => t.name === 'Ingress.classify')!;
    expect(classify.isConst).toBe(true);
    expect(classify.needsPriority).toBe(true);
    expect(classify.constEntries[0]!.priority).toBeGreaterThan(classify.constEntries[1]!.priority);
    expect(p.actionProfiles).toEqual([
      { name: 'Ingress.selector', maxSize: 16, isSelector: true, tables: ['Ingress.ecmp'] },
    ]);
    expect(p.counters).toEqual([{ name: 'drops', size: 4, unit: 'both' }]);
    expect(p.registers).toEqual([{ name: 'last_ttl', size: 2, bitwidth: 8 }]);
  });

  it('routes by longest prefix, rewrites MACs and TTL, and recomputes the IPv4 checksum', () => {
    const dp = routed();
    dp.insertEntry('Ingress.routes', {
      match: [{ kind: 'lpm', value: ipValue(IP(10, 1, 0, 0)), prefixLength: 16 }],
      priority: 0,
      action: { kind: 'action', action: 'Ingress.route', params: [5n, 0x0a0000000005n] },
    });
    const packet = ipv4Packet({ src: IP(192, 168, 1, 1), dst: IP(10, 1, 2, 3), ttl: 64 });
    const result = dp.process(1, packet);
    expect(result.dropped).toBeUndefined();
    expect(result.parserError).toBe('NoError');
    expect(result.outputs).toHaveLength(1);
    const out = result.outputs[0]!;
    expect(out.port).toBe(5);
    expect([...out.bytes.subarray(0, 6)]).toEqual([0x0a, 0, 0, 0, 0, 5]);
    expect([...out.bytes.subarray(6, 12)]).toEqual([0x02, 0, 0, 0, 0, 0xfe]);
    expect(out.bytes[22]).toBe(63);
    const ipHeader = out.bytes.subarray(14, 34);
    expect(hashAlgorithm('csum16', 'test').compute(ipHeader, 20)).toBe(0);
    expect([...out.bytes.subarray(34)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(dp.readRegister('last_ttl', 0)).toBe(63n);
    // The shorter prefix still catches the rest of 10/8.
    expect(
      dp.process(1, ipv4Packet({ src: IP(1, 1, 1, 1), dst: IP(10, 9, 9, 9), ttl: 9 })).outputs[0]!
        .port,
    ).toBe(3);
  });

  it('drops on the const default action and counts into the indexed counter', () => {
    const dp = routed();
    const packet = ipv4Packet({ src: IP(1, 1, 1, 1), dst: IP(11, 0, 0, 1), ttl: 64 });
    const result = dp.process(2, packet);
    expect(result.outputs).toEqual([]);
    expect(result.dropped).toEqual({ stage: 'ingress' });
    expect(dp.readCounter('drops', 1)).toEqual({ packets: 1n, bytes: BigInt(packet.length) });
    expect(() =>
      dp.setDefaultAction('Ingress.routes', { kind: 'action', action: 'Ingress.drop', params: [] }),
    ).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }));
  });

  it('runs the jump inside an action: TTL 1 becomes 0 and is dropped, TTL 2 is not', () => {
    const dp = routed();
    expect(
      dp.process(1, ipv4Packet({ src: IP(1, 1, 1, 1), dst: IP(10, 0, 0, 1), ttl: 1 })).dropped,
    ).toEqual({
      stage: 'ingress',
    });
    expect(dp.readCounter('drops', 2).packets).toBe(1n);
    expect(
      dp.process(1, ipv4Packet({ src: IP(1, 1, 1, 1), dst: IP(10, 0, 0, 1), ttl: 2 })).dropped,
    ).toBeUndefined();
    expect(dp.readCounter('drops', 2).packets).toBe(1n);
  });

  it('stops parsing at a truncated header, reports PacketTooShort and carries on into ingress', () => {
    const dp = routed();
    const packet = ipv4Packet({ src: IP(1, 1, 1, 1), dst: IP(10, 0, 0, 1), ttl: 9 }).subarray(
      0,
      30,
    );
    const result = dp.process(1, packet);
    expect(result.parserError).toBe('PacketTooShort');
    // ipv4 is invalid, so the ternary const table classifies ether type 0x0800: a miss,
    // whose default action sends it to port 9 with Ethernet and the rest as payload.
    expect(result.outputs).toEqual([{ port: 9, bytes: packet }]);
  });

  it('reports a failed verify with the program error and leaves the header valid', () => {
    const dp = routed();
    const packet = ipv4Packet({ src: IP(1, 1, 1, 1), dst: IP(10, 0, 0, 1), ttl: 9 });
    packet[14] = 0x46;
    const result = dp.process(1, packet);
    expect(result.parserError).toBe('BadIhl');
    expect(result.outputs[0]!.port).toBe(3);
  });

  it('uses const ternary entries by priority', () => {
    const dp = routed();
    const frame = (type: number) =>
      Uint8Array.from([...new Array<number>(12).fill(0), type >> 8, type & 0xff, 0]);
    expect(dp.process(1, frame(0x86dd)).dropped).toEqual({ stage: 'ingress' });
    expect(dp.process(1, frame(0x8601)).outputs[0]!.port).toBe(7);
    expect(dp.process(1, frame(0x0806)).outputs[0]!.port).toBe(9);
    expect(() =>
      dp.insertEntry('Ingress.classify', {
        match: [{ kind: 'ternary', value: 1n, mask: 1n }],
        priority: 1,
        action: { kind: 'action', action: 'Ingress.drop', params: [] },
      }),
    ).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }));
    expect(dp.readEntries('Ingress.classify')).toEqual([]);
  });

  it('selects a group member as BMv2 does: crc16(selector input) mod size over handle order', () => {
    const dp = routed();
    for (const [id, port] of [
      [10, 11],
      [20, 12],
      [30, 13],
    ] as const) {
      dp.insertMember('Ingress.selector', {
        memberId: id,
        action: { action: 'Ingress.pick', params: [BigInt(port)] },
      });
    }
    // Member ids in reverse: BMv2 orders by its own handles (creation order), not by id.
    dp.insertGroup('Ingress.selector', {
      groupId: 1,
      maxSize: 0,
      members: [
        { memberId: 30, weight: 1 },
        { memberId: 10, weight: 1 },
        { memberId: 20, weight: 1 },
      ],
    });
    dp.insertEntry('Ingress.ecmp', {
      match: [{ kind: 'exact', value: 63n }],
      priority: 0,
      action: { kind: 'group', groupId: 1 },
    });
    const crc16 = hashAlgorithm('crc16', 'test');
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const src = IP(192, 168, 0, i);
      const dst = IP(10, 0, 0, 1);
      const out = dp.process(1, ipv4Packet({ src, dst, ttl: 64 })).outputs[0]!;
      const input = Uint8Array.from([...src, ...dst, 17]);
      expect(out.port).toBe([11, 12, 13][crc16.compute(input, input.length) % 3]);
      seen.add(out.port);
    }
    expect(seen.size).toBe(3);
  });

  it('puts a member of weight w into a group w times, as PI programs BMv2', () => {
    const dp = routed();
    dp.insertMember('Ingress.selector', {
      memberId: 1,
      action: { action: 'Ingress.pick', params: [21n] },
    });
    dp.insertMember('Ingress.selector', {
      memberId: 2,
      action: { action: 'Ingress.pick', params: [22n] },
    });
    // Handles: member 1 -> 0, member 2 -> 1; member 1's copies -> 2, 3 (weight 3).
    dp.insertGroup('Ingress.selector', {
      groupId: 7,
      maxSize: 4,
      members: [
        { memberId: 2, weight: 1 },
        { memberId: 1, weight: 3 },
      ],
    });
    dp.insertEntry('Ingress.ecmp', {
      match: [{ kind: 'exact', value: 63n }],
      priority: 0,
      action: { kind: 'group', groupId: 7 },
    });
    const crc16 = hashAlgorithm('crc16', 'test');
    for (let i = 0; i < 20; i++) {
      const src = IP(172, 16, i, 1);
      const input = Uint8Array.from([...src, 10, 0, 0, 1, 17]);
      const expected = [21, 22, 21, 21][crc16.compute(input, input.length) % 4];
      expect(
        dp.process(1, ipv4Packet({ src, dst: IP(10, 0, 0, 1), ttl: 64 })).outputs[0]!.port,
      ).toBe(expected);
    }
    expect(() =>
      dp.modifyGroup('Ingress.selector', {
        groupId: 7,
        maxSize: 0,
        members: [{ memberId: 1, weight: 5 }],
      }),
    ).toThrow(expect.objectContaining({ code: 'RESOURCE_EXHAUSTED' }));
    expect(() => dp.deleteMember('Ingress.selector', 2)).toThrow(
      expect.objectContaining({ code: 'FAILED_PRECONDITION' }),
    );
    expect(() => dp.deleteGroup('Ingress.selector', 7)).toThrow(
      expect.objectContaining({ code: 'FAILED_PRECONDITION' }),
    );
    expect(dp.readGroups('Ingress.selector')).toEqual([
      {
        groupId: 7,
        maxSize: 4,
        members: [
          { memberId: 2, weight: 1 },
          { memberId: 1, weight: 3 },
        ],
      },
    ]);
  });

  it('counts direct counter hits per entry and reads them back with the entry', () => {
    const dp = routed();
    const key = { match: [{ kind: 'exact' as const, value: 3n }], priority: 0 };
    dp.insertEntry('egress_count', {
      ...key,
      action: { kind: 'action', action: 'Egress.count_it', params: [] },
    });
    const packet = ipv4Packet({ src: IP(1, 1, 1, 1), dst: IP(10, 0, 0, 1), ttl: 64 });
    dp.process(1, packet);
    dp.process(1, packet);
    expect(dp.readDirectCounter('egress_count', key)).toEqual({
      packets: 2n,
      bytes: BigInt(2 * packet.length),
    });
    expect(dp.readEntries('egress_count')[0]!.counter).toEqual({
      packets: 2n,
      bytes: BigInt(2 * packet.length),
    });
    dp.writeDirectCounter('egress_count', key, { packets: 0n, bytes: 0n });
    expect(dp.readDirectCounter('egress_count', key).packets).toBe(0n);
  });

  it('answers control-plane mistakes with typed errors naming what is wrong', () => {
    const dp = routed();
    const route = (prefix: bigint, length: number, params: bigint[]) => ({
      match: [{ kind: 'lpm' as const, value: prefix, prefixLength: length }],
      priority: 0,
      action: { kind: 'action' as const, action: 'Ingress.route', params },
    });
    const code = (f: () => void) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(DataplaneError);
        return `${(e as DataplaneError).code}: ${(e as DataplaneError).message}`;
      }
      return 'no error';
    };
    expect(code(() => dp.insertEntry('Ingress.routes', route(0x0a000000n, 8, [1n, 1n])))).toMatch(
      /^ALREADY_EXISTS/,
    );
    expect(code(() => dp.insertEntry('Ingress.routes', route(0x0a000001n, 8, [1n, 1n])))).toMatch(
      /^INVALID_ARGUMENT: .*bits set beyond its \/8 prefix/,
    );
    expect(code(() => dp.insertEntry('Ingress.routes', route(0x0b000000n, 8, [512n, 1n])))).toMatch(
      /^OUT_OF_RANGE: param 'port'/,
    );
    expect(code(() => dp.insertEntry('Ingress.routes', route(1n << 32n, 32, [1n, 1n])))).toMatch(
      /^OUT_OF_RANGE/,
    );
    expect(code(() => dp.insertEntry('nope', route(0n, 8, [])))).toMatch(
      /^NOT_FOUND: no table named 'nope'/,
    );
    expect(
      code(() => dp.deleteEntry('Ingress.routes', { match: [undefined], priority: 0 })),
    ).toMatch(/^NOT_FOUND/);
    expect(
      code(() =>
        dp.insertEntry('Ingress.routes', {
          ...route(0x0c000000n, 8, []),
          action: { kind: 'action', action: 'Ingress.pick', params: [1n] },
        }),
      ),
    ).toMatch(/^INVALID_ARGUMENT: action 'Ingress.pick' is not an action of table/);
    expect(
      code(() =>
        dp.insertEntry('Ingress.ecmp', {
          ...route(0n, 8, []),
          match: [{ kind: 'exact', value: 1n }],
          action: { kind: 'member', memberId: 4 },
        }),
      ),
    ).toMatch(/^NOT_FOUND: member 4/);
    for (let i = 1; i <= 3; i++)
      dp.insertEntry('Ingress.routes', route(BigInt(i) << 24n, 8, [1n, 1n]));
    expect(code(() => dp.insertEntry('Ingress.routes', route(0x20000000n, 8, [1n, 1n])))).toMatch(
      /^RESOURCE_EXHAUSTED: table 'Ingress.routes' is full/,
    );
    expect(code(() => dp.readCounter('drops', 4))).toMatch(/^OUT_OF_RANGE/);
    expect(code(() => dp.writeRegister('last_ttl', 0, 256n))).toMatch(/^OUT_OF_RANGE/);
  });

  it('keeps instances apart: each createDataplane() starts empty', () => {
    const p = loadPipeline(program());
    const a = p.createDataplane();
    const b = p.createDataplane();
    a.insertEntry('Ingress.routes', {
      match: [{ kind: 'lpm', value: 0x0a000000n, prefixLength: 8 }],
      priority: 0,
      action: { kind: 'action', action: 'Ingress.route', params: [1n, 1n] },
    });
    expect(a.readEntries('Ingress.routes')).toHaveLength(1);
    expect(b.readEntries('Ingress.routes')).toHaveLength(0);
  });

  it('refuses what it does not run, naming the construct', () => {
    const withMeter = { ...program(), meter_arrays: [{ name: 'Ingress.m', id: 0 }] };
    expect(() => loadPipeline(withMeter)).toThrow(/meters \(not supported yet\): 'Ingress.m'/);
    const withClone = program();
    withClone.actions[1]!.primitives.push({
      op: 'clone_ingress_pkt_to_egress',
      parameters: [hex(1), hex(0)] as never,
    });
    expect(() => loadPipeline(withClone)).toThrow(
      /unsupported by the embedded target: primitive 'clone_ingress_pkt_to_egress' \(clone\) in action 'Ingress.drop'/,
    );
    expect(() => loadPipeline({ headers: 'no' })).toThrow(/invalid BMv2 JSON at header_types/);
  });
});

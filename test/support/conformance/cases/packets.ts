import { expect } from 'vitest';
import { buildPacket, parsePacket } from '../../../../src/wire/packet.ts';
import { insert, modify } from '../entities.ts';
import type { ConformanceCase } from '../context.ts';

// Packets through the fixture: the data plane does what the control plane programmed.

const ipv4 = (dst: string, ttl = 64) =>
  buildPacket({
    ethernet: { dst: '02:00:00:00:00:fe', src: '02:00:00:00:00:01' },
    ipv4: { src: '192.168.1.1', dst, protocol: 17, ttl },
    udp: { srcPort: 4000, dstPort: 53 },
    payload: new Uint8Array(10),
  });

export const packetCases: ConformanceCase[] = [
  {
    name: 'packets: longest prefix wins; a miss takes the default action (drop)',
    async run(ctx) {
      await ctx.usePipeline();
      const route = (prefix: number, prefixLen: number, port: number) =>
        insert(
          ctx.build.tableEntry('FixtureIngress.route_table', {
            match: { dst_addr: { lpm: prefix, prefixLen } },
            action: { name: 'FixtureIngress.forward', params: { port } },
          }),
        );
      await ctx.write(route(0x0a000000, 8, 1), route(0x0a010000, 16, 2), route(0x0a010200, 24, 3));
      const egress = async (dst: string) => (await ctx.target.send(4, ipv4(dst), true))[0]?.port;
      expect(await egress('10.9.9.9')).toBe(1);
      expect(await egress('10.1.9.9')).toBe(2);
      expect(await egress('10.1.2.9')).toBe(3);
      expect(await ctx.target.send(4, ipv4('11.0.0.1'), false)).toEqual([]);
    },
  },
  {
    name: 'packets: ternary priorities, ranges and the modified default entry decide',
    async run(ctx) {
      await ctx.usePipeline();
      await ctx.write(
        insert(
          ctx.build.tableEntry('FixtureIngress.route_table', {
            match: { dst_addr: { lpm: 0x0a000000, prefixLen: 8 } },
            action: { name: 'FixtureIngress.forward', params: { port: 1 } },
          }),
        ),
        insert(
          ctx.build.tableEntry('FixtureIngress.acl_table', {
            match: { src_addr: { ternary: 0xc0a80000, mask: 0xffff0000 }, protocol: { exact: 17 } },
            action: { name: 'FixtureIngress.forward', params: { port: 2 } },
            priority: 10,
          }),
        ),
        insert(
          ctx.build.tableEntry('FixtureIngress.acl_table', {
            match: { src_addr: { ternary: 0xc0a80101, mask: 0xffffffff }, protocol: { exact: 17 } },
            action: { name: 'FixtureIngress.forward', params: { port: 4 } },
            priority: 20,
          }),
        ),
        insert(
          ctx.build.tableEntry('FixtureIngress.ttl_table', {
            match: { ttl: { range: [0, 1] } },
            action: { name: 'FixtureIngress.drop' },
            priority: 1,
          }),
        ),
      );
      expect((await ctx.target.send(3, ipv4('10.0.0.1'), true))[0]?.port).toBe(4);
      expect(await ctx.target.send(3, ipv4('10.0.0.1', 1), false)).toEqual([]);
      await ctx.write(
        modify(
          ctx.build.tableEntry('FixtureIngress.src_mac_table', {
            isDefault: true,
            action: { name: 'FixtureIngress.set_src_mac', params: { src_mac: 0x0200000000aa } },
          }),
        ),
      );
      const [out] = await ctx.target.send(3, ipv4('10.0.0.1'), true);
      expect(parsePacket(out!.bytes).ethernet.src).toBe('02:00:00:00:00:aa');
    },
  },
  {
    name: 'packets: const entries apply without any write',
    async run(ctx) {
      await ctx.usePipeline();
      const frame = buildPacket({
        ethernet: { dst: '02:00:00:00:00:fe', src: '02:00:00:00:00:01', etherType: 0x88b5 },
        payload: new Uint8Array(46),
      });
      const [out] = await ctx.target.send(1, frame, true);
      expect(out?.port).toBe(3);
    },
  },
];

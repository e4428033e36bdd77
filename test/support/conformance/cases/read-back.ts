import { expect } from 'vitest';
import { insert, modify } from '../entities.ts';
import type { ConformanceCase } from '../context.ts';

// Spec "Bytestrings", "Read-Write Symmetry" and "Wildcard Reads".

const forward = (port: number) => ({ name: 'FixtureIngress.forward', params: { port } });

export const readBackCases: ConformanceCase[] = [
  {
    name: 'read-back: non-canonical bytestrings are accepted and read back in canonical form',
    async run(ctx) {
      await ctx.usePipeline();
      await ctx.write(
        insert(
          ctx.build.tableEntry('FixtureIngress.ether_type_table', {
            match: { ether_type: { exact: Buffer.from([0x00, 0x00, 0x08, 0x00]) } },
            action: { name: 'FixtureIngress.forward', params: { port: Buffer.from([0, 0, 0, 1]) } },
          }),
        ),
        insert(
          ctx.build.tableEntry('FixtureIngress.route_table', {
            match: { dst_addr: { lpm: Buffer.from([0, 0x0a, 0x01, 0, 0]), prefixLen: 16 } },
            action: forward(0),
          }),
        ),
      );
      const [exact] = await ctx.read(ctx.build.tableEntry('FixtureIngress.ether_type_table'));
      expect(exact?.tableEntry?.match?.[0]?.exact?.value).toEqual(Buffer.from([0x08, 0x00]));
      expect(exact?.tableEntry?.action?.action?.params?.[0]?.value).toEqual(Buffer.from([1]));
      const [lpm] = await ctx.read(ctx.build.tableEntry('FixtureIngress.route_table'));
      expect(lpm?.tableEntry?.match?.[0]?.lpm).toEqual({
        value: Buffer.from([0x0a, 0x01, 0, 0]),
        prefixLen: 16,
      });
      expect(lpm?.tableEntry?.action?.action?.params?.[0]?.value).toEqual(Buffer.from([0]));
    },
  },
  {
    name: 'read-back: ternary, range and optional entries read back as written, with priority',
    async run(ctx) {
      await ctx.usePipeline();
      const acl = ctx.build.tableEntry('FixtureIngress.acl_table', {
        match: { src_addr: { ternary: 0x0a000000, mask: 0xff000000 }, protocol: { exact: 17 } },
        action: forward(2),
        priority: 100,
      });
      const aclWildcard = ctx.build.tableEntry('FixtureIngress.acl_table', {
        match: { protocol: { exact: 6 } },
        action: { name: 'FixtureIngress.drop' },
        priority: 7,
      });
      const ttl = ctx.build.tableEntry('FixtureIngress.ttl_table', {
        match: { ttl: { range: [0, 1] } },
        action: { name: 'FixtureIngress.drop' },
        priority: 3,
      });
      const dscp = ctx.build.tableEntry('FixtureIngress.dscp_table', {
        match: { dscp: { optional: 46 } },
        action: forward(4),
        priority: 9,
      });
      await ctx.write(insert(acl), insert(aclWildcard), insert(ttl), insert(dscp));
      const acls = await ctx.read(ctx.build.tableEntry('FixtureIngress.acl_table'));
      const byPriority = new Map(acls.map((e) => [e.tableEntry?.priority, e.tableEntry]));
      expect(byPriority.get(100)?.match).toEqual([
        {
          fieldId: ctx.build.names.fieldId('FixtureIngress.acl_table', 'src_addr'),
          ternary: { value: Buffer.from([0x0a, 0, 0, 0]), mask: Buffer.from([0xff, 0, 0, 0]) },
          fieldMatchType: 'ternary',
        },
        {
          fieldId: ctx.build.names.fieldId('FixtureIngress.acl_table', 'protocol'),
          exact: { value: Buffer.from([17]) },
          fieldMatchType: 'exact',
        },
      ]);
      expect(byPriority.get(7)?.match?.map((m) => m.fieldMatchType)).toEqual(['exact']);
      const [range] = await ctx.read(ctx.build.tableEntry('FixtureIngress.ttl_table'));
      expect(range?.tableEntry?.match?.[0]?.range).toEqual({
        low: Buffer.from([0]),
        high: Buffer.from([1]),
      });
      expect(range?.tableEntry?.priority).toBe(3);
      const [optional] = await ctx.read(ctx.build.tableEntry('FixtureIngress.dscp_table'));
      expect(optional?.tableEntry?.match?.[0]?.optional?.value).toEqual(Buffer.from([46]));
    },
  },
  {
    name: 'read-back: table_id 0 reads every table, a match reads one entry, priority filters',
    async run(ctx) {
      await ctx.usePipeline();
      await ctx.write(
        insert(
          ctx.build.tableEntry('FixtureIngress.ether_type_table', {
            match: { ether_type: { exact: 0x0800 } },
            action: forward(1),
          }),
        ),
        insert(
          ctx.build.tableEntry('FixtureIngress.ether_type_table', {
            match: { ether_type: { exact: 0x0806 } },
            action: forward(2),
          }),
        ),
        insert(
          ctx.build.tableEntry('FixtureIngress.route_table', {
            match: { dst_addr: { lpm: 0x0a000000, prefixLen: 8 } },
            action: forward(3),
          }),
        ),
        insert(
          ctx.build.tableEntry('FixtureIngress.ttl_table', {
            match: { ttl: { range: [0, 1] } },
            action: { name: 'FixtureIngress.drop' },
            priority: 5,
          }),
        ),
        insert(
          ctx.build.tableEntry('FixtureIngress.ttl_table', {
            match: { ttl: { range: [2, 2] } },
            action: { name: 'FixtureIngress.drop' },
            priority: 6,
          }),
        ),
      );
      const all = await ctx.read({ tableEntry: {} });
      const writable = all.filter(
        (e) =>
          !e.tableEntry?.isConst &&
          e.tableEntry?.tableId !== ctx.build.names.tableId('FixtureIngress.const_table'),
      );
      expect(writable).toHaveLength(5);
      const one = await ctx.read(
        ctx.build.tableEntry('FixtureIngress.ether_type_table', {
          match: { ether_type: { exact: 0x0806 } },
        }),
      );
      expect(one).toHaveLength(1);
      expect(one[0]?.tableEntry?.action?.action?.params?.[0]?.value).toEqual(Buffer.from([2]));
      const byPriority = await ctx.read(
        ctx.build.tableEntry('FixtureIngress.ttl_table', { priority: 6 }),
      );
      // PI ignores the priority filter and returns the whole table (docs/target.md).
      expect(byPriority.map((e) => e.tableEntry?.priority).sort()).toEqual(
        ctx.target.name === 'bmv2' ? [5, 6] : [6],
      );
    },
  },
  {
    name: 'read-back: the entries of a const table are read with their action',
    async run(ctx) {
      await ctx.usePipeline();
      const entries = await ctx.read(ctx.build.tableEntry('FixtureIngress.const_table'));
      expect(entries).toHaveLength(1);
      expect(entries[0]?.tableEntry?.match?.[0]?.exact?.value).toEqual(Buffer.from([0x88, 0xb5]));
      expect(entries[0]?.tableEntry?.action?.action?.params?.[0]?.value).toEqual(Buffer.from([3]));
    },
  },
  {
    name: 'read-back: metadata is opaque and read back unchanged; MODIFY replaces it',
    async run(ctx) {
      await ctx.usePipeline();
      const entry = (metadata: Buffer) =>
        ctx.build.tableEntry('FixtureIngress.ether_type_table', {
          match: { ether_type: { exact: 0x0800 } },
          action: forward(1),
          metadata,
        });
      await ctx.write(insert(entry(Buffer.from('owner=talaria'))));
      const [first] = await ctx.read(ctx.build.tableEntry('FixtureIngress.ether_type_table'));
      expect(first?.tableEntry?.metadata?.toString()).toBe('owner=talaria');
      await ctx.write(modify(entry(Buffer.from([0, 1, 2, 255]))));
      const [second] = await ctx.read(ctx.build.tableEntry('FixtureIngress.ether_type_table'));
      expect(second?.tableEntry?.metadata).toEqual(Buffer.from([0, 1, 2, 255]));
    },
  },
  {
    name: 'read-back: a read request without an entity kind fails with per-request details',
    async run(ctx) {
      await ctx.usePipeline();
      const failure = await ctx.read({}, ctx.build.tableEntry('FixtureIngress.route_table')).then(
        () => undefined,
        (error: unknown) => error as { code: string; errors?: { code: string }[] },
      );
      expect(failure?.code).not.toBeUndefined();
      if (ctx.target.name === 'embedded') {
        expect(failure?.code).toBe('UNKNOWN');
        expect(failure?.errors?.map((e) => e.code)).toEqual(['INVALID_ARGUMENT', 'OK']);
      }
    },
  },
];

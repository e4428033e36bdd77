import { expect } from 'vitest';
import { buildPacket } from '../../../../src/wire/packet.ts';
import { insert, modify, remove } from '../entities.ts';
import type { CaseContext, ConformanceCase } from '../context.ts';

// Spec "ActionProfileMember & ActionProfileGroup" and "One Shot Action Selector Programming".

const selector = 'FixtureIngress.next_hop_selector';
const table = 'FixtureIngress.next_hop_table';

const nextHop = (port: number) => ({
  name: 'FixtureIngress.set_next_hop',
  params: { dst_mac: 0x020000000100 + port, port },
});

/** IPv4 frames to 10.0.0.1 from many sources, to spread over a selector's members. */
function flows(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    buildPacket({
      ethernet: { dst: '02:00:00:00:00:fe', src: '02:00:00:00:00:01' },
      ipv4: { src: `192.168.${i >> 8}.${i & 0xff}`, dst: '10.0.0.1', protocol: 17, ttl: 64 },
      udp: { srcPort: 1000 + i, dstPort: 53 },
      payload: new Uint8Array(8),
    }),
  );
}

/** The egress port every flow takes (each sent twice: the choice must be stable). */
async function portsChosen(ctx: CaseContext, count: number): Promise<number[]> {
  const chosen: number[] = [];
  for (const frame of flows(count)) {
    const [first] = await ctx.target.send(1, frame, true);
    const [again] = await ctx.target.send(1, frame, true);
    expect(first?.port).toBeDefined();
    expect(again?.port).toBe(first?.port);
    chosen.push(first!.port);
  }
  return chosen;
}

export const selectorCases: ConformanceCase[] = [
  {
    name: 'selectors: members, a weighted group and an entry pointing to it; read back as written',
    async run(ctx) {
      await ctx.usePipeline();
      await ctx.write(
        insert(ctx.build.member(selector, 1, nextHop(2))),
        insert(ctx.build.member(selector, 2, nextHop(3))),
        insert(ctx.build.member(selector, 3, nextHop(4))),
      );
      await ctx.write(
        insert(
          ctx.build.group(selector, 10, [
            [1, 1],
            [2, 2],
            [3, 1],
          ]),
        ),
      );
      await ctx.write(
        insert(
          ctx.build.tableEntry(table, { match: { dst_addr: { exact: 0x0a000001 } }, group: 10 }),
        ),
      );
      const members = await ctx.read(ctx.build.member(selector, 0));
      // PI stores a member of weight w as w copies and reads each back (docs/target.md).
      expect(members.map((m) => m.actionProfileMember?.memberId).sort()).toEqual(
        ctx.target.name === 'bmv2' ? [1, 2, 2, 3] : [1, 2, 3],
      );
      expect(
        members.find((m) => m.actionProfileMember?.memberId === 2)?.actionProfileMember?.action
          ?.params?.[1]?.value,
      ).toEqual(Buffer.from([3]));
      const [group] = await ctx.read(ctx.build.group(selector, 0));
      expect(group?.actionProfileGroup?.groupId).toBe(10);
      expect(group?.actionProfileGroup?.members?.map((m) => [m.memberId, m.weight])).toEqual([
        [1, 1],
        [2, 2],
        [3, 1],
      ]);
      const [entry] = await ctx.read(ctx.build.tableEntry(table));
      expect(entry?.tableEntry?.action?.actionProfileGroupId).toBe(10);
      // Every member is used by some flow and each flow sticks to one.
      const ports = await portsChosen(ctx, 32);
      expect(new Set(ports)).toEqual(new Set([2, 3, 4]));
    },
  },
  {
    name: 'selectors: an entry pointing to one member, and an action profile without selector',
    async run(ctx) {
      await ctx.usePipeline();
      await ctx.write(
        insert(ctx.build.member(selector, 5, nextHop(3))),
        insert(ctx.build.member('FixtureIngress.mac_profile', 5, nextHop(4))),
      );
      await ctx.write(
        insert(
          ctx.build.tableEntry(table, { match: { dst_addr: { exact: 0x0a000001 } }, member: 5 }),
        ),
        insert(
          ctx.build.tableEntry('FixtureIngress.mac_table', {
            match: { src_mac: { exact: 0x020000000077 } },
            member: 5,
          }),
        ),
      );
      expect(await portsChosen(ctx, 4)).toEqual([3, 3, 3, 3]);
      const [entry] = await ctx.read(ctx.build.tableEntry('FixtureIngress.mac_table'));
      expect(entry?.tableEntry?.action?.actionProfileMemberId).toBe(5);
      // Groups need a selector (PI leaves this to the target: not checked on BMv2).
      if (ctx.target.name === 'embedded') {
        ctx.expectUpdateFailure(
          await ctx.writeFailure(
            insert(ctx.build.group('FixtureIngress.mac_profile', 1, [[5, 1]])),
          ),
          { spec: 'INVALID_ARGUMENT' },
        );
      }
    },
  },
  {
    name: 'selectors: member and group errors (duplicate, unknown member, member in use)',
    async run(ctx) {
      await ctx.usePipeline();
      await ctx.write(insert(ctx.build.member(selector, 1, nextHop(2))));
      ctx.expectUpdateFailure(
        await ctx.writeFailure(insert(ctx.build.member(selector, 1, nextHop(2)))),
        { spec: 'ALREADY_EXISTS' },
      );
      ctx.expectUpdateFailure(
        await ctx.writeFailure(modify(ctx.build.member(selector, 9, nextHop(2)))),
        { spec: 'NOT_FOUND' },
      );
      ctx.expectUpdateFailure(
        await ctx.writeFailure(insert(ctx.build.group(selector, 9, [[9, 1]]))),
        { spec: 'NOT_FOUND' },
      );
      // The failed INSERT left nothing behind (PI keeps an empty group 9: docs/target.md).
      const groups = await ctx.read(ctx.build.group(selector, 0));
      expect(groups.map((g) => g.actionProfileGroup?.groupId)).toEqual(
        ctx.target.name === 'bmv2' ? [9] : [],
      );
      await ctx.write(insert(ctx.build.group(selector, 1, [[1, 1]])));
      // BMv2's target refuses these deletes; PI reports that as UNKNOWN.
      ctx.expectUpdateFailure(await ctx.writeFailure(remove(ctx.build.member(selector, 1))), {
        spec: 'FAILED_PRECONDITION',
        bmv2: 'UNKNOWN',
      });
      ctx.expectUpdateFailure(await ctx.writeFailure(remove(ctx.build.group(selector, 2))), {
        spec: 'NOT_FOUND',
      });
      await ctx.write(
        insert(
          ctx.build.tableEntry(table, { match: { dst_addr: { exact: 0x0a000001 } }, group: 1 }),
        ),
      );
      ctx.expectUpdateFailure(await ctx.writeFailure(remove(ctx.build.group(selector, 1))), {
        spec: 'FAILED_PRECONDITION',
        bmv2: 'UNKNOWN',
      });
      // An entry naming a group that does not exist: NOT_FOUND (BMv2: INVALID_ARGUMENT).
      ctx.expectUpdateFailure(
        await ctx.writeFailure(
          insert(
            ctx.build.tableEntry(table, { match: { dst_addr: { exact: 0x0a000002 } }, group: 77 }),
          ),
        ),
        { spec: 'NOT_FOUND', bmv2: 'INVALID_ARGUMENT' },
      );
    },
  },
  {
    name: 'selectors: a one-shot action set is read back as the same set, and MODIFY/DELETE work on it',
    async run(ctx) {
      await ctx.usePipeline();
      const match = { dst_addr: { exact: 0x0a000001 } };
      await ctx.write(
        insert(
          ctx.build.tableEntry(table, {
            match,
            oneShot: [
              { action: nextHop(2), weight: 1 },
              { action: nextHop(3), weight: 2 },
            ],
          }),
        ),
      );
      const [entry] = await ctx.read(ctx.build.tableEntry(table));
      const set = entry?.tableEntry?.action?.actionProfileActionSet;
      expect(
        set?.actionProfileActions?.map((a) => [a.action?.params?.[1]?.value, a.weight]),
      ).toEqual([
        [Buffer.from([2]), 1],
        [Buffer.from([3]), 2],
      ]);
      expect(new Set(await portsChosen(ctx, 24))).toEqual(new Set([2, 3]));
      await ctx.write(
        modify(
          ctx.build.tableEntry(table, { match, oneShot: [{ action: nextHop(4), weight: 1 }] }),
        ),
      );
      expect(await portsChosen(ctx, 3)).toEqual([4, 4, 4]);
      const [modified] = await ctx.read(ctx.build.tableEntry(table));
      expect(
        modified?.tableEntry?.action?.actionProfileActionSet?.actionProfileActions,
      ).toHaveLength(1);
      await ctx.write(remove(ctx.build.tableEntry(table, { match })));
      expect(await ctx.read(ctx.build.tableEntry(table))).toEqual([]);
    },
  },
  {
    name: 'selectors: one-shot and member/group programming of one selector cannot be mixed',
    async run(ctx) {
      await ctx.usePipeline();
      await ctx.write(
        insert(
          ctx.build.tableEntry(table, {
            match: { dst_addr: { exact: 0x0a000001 } },
            oneShot: [{ action: nextHop(2), weight: 1 }],
          }),
        ),
      );
      const failure = await ctx.writeFailure(insert(ctx.build.member(selector, 1, nextHop(2))));
      expect(failure.code).toBe('UNKNOWN');
      expect(failure.errors?.[0]?.code).toBe(ctx.expected({ spec: 'INVALID_ARGUMENT' }));
    },
  },
];

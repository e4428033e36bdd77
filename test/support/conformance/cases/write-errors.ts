import { expect } from 'vitest';
import type { Entity } from '../../../../src/p4rt/generated/p4/v1/Entity.ts';
import { failureOfCall } from '../../p4runtime-driver.ts';
import { insert, modify, remove, type ActionSpec } from '../entities.ts';
import type { CaseContext, ConformanceCase } from '../context.ts';

// Spec "Write RPC" (error reporting, batches) and the validation rules of "TableEntry".

const forward = (port: number): ActionSpec => ({
  name: 'FixtureIngress.forward',
  params: { port },
});

function etherTypeEntry(ctx: CaseContext, etherType: number, port = 1): Entity {
  return ctx.build.tableEntry('FixtureIngress.ether_type_table', {
    match: { ether_type: { exact: etherType } },
    action: forward(port),
  });
}

/** One INSERT that must fail with `spec` (or BMv2's documented code). */
async function expectInsertFails(
  ctx: CaseContext,
  entity: Entity,
  spec: Parameters<CaseContext['expected']>[0],
) {
  await ctx.usePipeline();
  ctx.expectUpdateFailure(await ctx.writeFailure(insert(entity)), spec);
  const table = entity.tableEntry?.tableId;
  if (table) expect(await ctx.read({ tableEntry: { tableId: table } })).toEqual([]);
}

export const writeErrorCases: ConformanceCase[] = [
  {
    name: 'write: a batch with failures is UNKNOWN with one p4.v1.Error per update, in order, OK for successes',
    async run(ctx) {
      await ctx.usePipeline();
      await ctx.write(insert(etherTypeEntry(ctx, 0x0806)));
      const failure = await ctx.writeFailure(
        insert(etherTypeEntry(ctx, 0x0800)),
        insert(etherTypeEntry(ctx, 0x0806)),
        modify(etherTypeEntry(ctx, 0x86dd)),
        remove(etherTypeEntry(ctx, 0x1234)),
        insert(etherTypeEntry(ctx, 0x88cc)),
      );
      expect(failure.code).toBe('UNKNOWN');
      expect(failure.errors?.map((e) => e.code)).toEqual([
        'OK',
        'ALREADY_EXISTS',
        'NOT_FOUND',
        'NOT_FOUND',
        'OK',
      ]);
      const entries = await ctx.read(ctx.build.tableEntry('FixtureIngress.ether_type_table'));
      expect(entries).toHaveLength(3);
    },
  },
  {
    name: 'write: MODIFY replaces the action and DELETE removes the entry',
    async run(ctx) {
      await ctx.usePipeline();
      await ctx.write(insert(etherTypeEntry(ctx, 0x0800, 1)));
      await ctx.write(modify(etherTypeEntry(ctx, 0x0800, 4)));
      const [entry] = await ctx.read(ctx.build.tableEntry('FixtureIngress.ether_type_table'));
      expect(entry?.tableEntry?.action?.action?.params?.[0]?.value).toEqual(Buffer.from([4]));
      await ctx.write(remove(etherTypeEntry(ctx, 0x0800)));
      expect(await ctx.read(ctx.build.tableEntry('FixtureIngress.ether_type_table'))).toEqual([]);
    },
  },
  {
    name: 'write: CONTINUE_ON_ERROR is the default; ROLLBACK_ON_ERROR and DATAPLANE_ATOMIC are UNIMPLEMENTED without details',
    async run(ctx) {
      await ctx.usePipeline();
      for (const atomicity of ['ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'] as const) {
        const failure = await failureOfCall(
          ctx.writeRequest({ atomicity, updates: [insert(etherTypeEntry(ctx, 0x0800))] }),
        );
        expect(failure.code).toBe('UNIMPLEMENTED');
        expect(failure.errors ?? []).toEqual([]);
      }
      expect(await ctx.read(ctx.build.tableEntry('FixtureIngress.ether_type_table'))).toEqual([]);
    },
  },
  {
    name: 'write: an unknown table id is INVALID_ARGUMENT',
    async run(ctx) {
      await ctx.usePipeline();
      const entity = etherTypeEntry(ctx, 0x0800);
      entity.tableEntry!.tableId = 0x02ffffff;
      ctx.expectUpdateFailure(await ctx.writeFailure(insert(entity)), { spec: 'INVALID_ARGUMENT' });
    },
  },
  {
    name: 'write: a missing exact field is INVALID_ARGUMENT',
    run: (ctx) =>
      expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.ether_type_table', { action: forward(1) }),
        { spec: 'INVALID_ARGUMENT' },
      ),
  },
  {
    name: 'write: an unknown match field id is INVALID_ARGUMENT',
    async run(ctx) {
      const entity = etherTypeEntry(ctx, 0x0800);
      entity.tableEntry!.match!.push({ fieldId: 99, exact: { value: Buffer.from([1]) } });
      await expectInsertFails(ctx, entity, { spec: 'INVALID_ARGUMENT' });
    },
  },
  {
    name: 'write: a match of the wrong kind is INVALID_ARGUMENT',
    run: (ctx) =>
      expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.route_table', {
          match: { dst_addr: { exact: 0x0a000001 } },
          action: forward(1),
        }),
        { spec: 'INVALID_ARGUMENT' },
      ),
  },
  {
    name: 'write: a value wider than its field is OUT_OF_RANGE (BMv2: INVALID_ARGUMENT)',
    run: (ctx) =>
      expectInsertFails(ctx, etherTypeEntry(ctx, 0x1_0000), {
        spec: 'OUT_OF_RANGE',
        bmv2: 'INVALID_ARGUMENT',
      }),
  },
  {
    name: 'write: an action parameter wider than declared is OUT_OF_RANGE (BMv2: INVALID_ARGUMENT)',
    run: (ctx) =>
      expectInsertFails(ctx, etherTypeEntry(ctx, 0x0800, 512), {
        spec: 'OUT_OF_RANGE',
        bmv2: 'INVALID_ARGUMENT',
      }),
  },
  {
    name: 'write: an empty bytestring is OUT_OF_RANGE (BMv2: taken as 0)',
    async run(ctx) {
      const entity = etherTypeEntry(ctx, 0x0800);
      entity.tableEntry!.match![0]!.exact!.value = Buffer.alloc(0);
      if (ctx.target.name === 'bmv2') {
        // PI pads short bytestrings with zeros, the empty one included (docs/target.md).
        await ctx.usePipeline();
        await ctx.write(insert(entity));
        return;
      }
      await expectInsertFails(ctx, entity, { spec: 'OUT_OF_RANGE' });
    },
  },
  {
    name: 'write: a ternary entry without priority, and an exact entry with one, are INVALID_ARGUMENT',
    async run(ctx) {
      await expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.acl_table', {
          match: { src_addr: { ternary: 0x0a000000, mask: 0xff000000 }, protocol: { exact: 6 } },
          action: forward(1),
        }),
        { spec: 'INVALID_ARGUMENT' },
      );
      const exact = etherTypeEntry(ctx, 0x0800);
      exact.tableEntry!.priority = 10;
      await expectInsertFails(ctx, exact, { spec: 'INVALID_ARGUMENT' });
    },
  },
  {
    name: "write: don't-care written explicitly (LPM /0, ternary mask 0, full range) is INVALID_ARGUMENT",
    async run(ctx) {
      await expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.route_table', {
          match: { dst_addr: { lpm: 0, prefixLen: 0 } },
          action: forward(1),
        }),
        { spec: 'INVALID_ARGUMENT' },
      );
      await expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.acl_table', {
          match: { src_addr: { ternary: 0, mask: 0 }, protocol: { exact: 6 } },
          action: forward(1),
          priority: 1,
        }),
        { spec: 'INVALID_ARGUMENT' },
      );
      await expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.ttl_table', {
          match: { ttl: { range: [0, 255] } },
          action: { name: 'FixtureIngress.drop' },
          priority: 1,
        }),
        { spec: 'INVALID_ARGUMENT' },
      );
    },
  },
  {
    name: 'write: LPM value bits beyond the prefix, ternary value bits outside the mask, low > high are INVALID_ARGUMENT',
    async run(ctx) {
      await expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.route_table', {
          match: { dst_addr: { lpm: 0x0a000001, prefixLen: 8 } },
          action: forward(1),
        }),
        { spec: 'INVALID_ARGUMENT' },
      );
      await expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.acl_table', {
          match: { src_addr: { ternary: 0x0a000001, mask: 0xff000000 }, protocol: { exact: 6 } },
          action: forward(1),
          priority: 1,
        }),
        { spec: 'INVALID_ARGUMENT' },
      );
      await expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.ttl_table', {
          match: { ttl: { range: [20, 10] } },
          action: { name: 'FixtureIngress.drop' },
          priority: 1,
        }),
        { spec: 'INVALID_ARGUMENT' },
      );
    },
  },
  {
    name: "write: an action that is not the table's, an unknown action id, a missing parameter are INVALID_ARGUMENT",
    async run(ctx) {
      await expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.ether_type_table', {
          match: { ether_type: { exact: 0x0800 } },
          action: { name: 'FixtureIngress.set_src_mac', params: { src_mac: 1 } },
        }),
        { spec: 'INVALID_ARGUMENT' },
      );
      const unknown = etherTypeEntry(ctx, 0x0800);
      unknown.tableEntry!.action!.action!.actionId = 0x01ffffff;
      await expectInsertFails(ctx, unknown, { spec: 'INVALID_ARGUMENT' });
      await expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.ether_type_table', {
          match: { ether_type: { exact: 0x0800 } },
          action: { name: 'FixtureIngress.forward' },
        }),
        { spec: 'INVALID_ARGUMENT' },
      );
    },
  },
  {
    name: 'write: an INSERT without action is INVALID_ARGUMENT',
    run: (ctx) =>
      expectInsertFails(
        ctx,
        ctx.build.tableEntry('FixtureIngress.ether_type_table', {
          match: { ether_type: { exact: 0x0800 } },
        }),
        { spec: 'INVALID_ARGUMENT' },
      ),
  },
  {
    name: 'write: an update without type is INVALID_ARGUMENT',
    async run(ctx) {
      await ctx.usePipeline();
      const failure = await ctx.writeFailure({ entity: etherTypeEntry(ctx, 0x0800) });
      ctx.expectUpdateFailure(failure, { spec: 'INVALID_ARGUMENT' });
    },
  },
  {
    name: 'write: the default entry is MODIFY only, resets without action, and a const default is PERMISSION_DENIED',
    async run(ctx) {
      await ctx.usePipeline();
      const setDefault = ctx.build.tableEntry('FixtureIngress.route_table', {
        isDefault: true,
        action: forward(5),
      });
      ctx.expectUpdateFailure(await ctx.writeFailure(insert(setDefault)), {
        spec: 'INVALID_ARGUMENT',
      });
      ctx.expectUpdateFailure(await ctx.writeFailure(remove(setDefault)), {
        spec: 'INVALID_ARGUMENT',
      });
      await ctx.write(modify(setDefault));
      const readDefault = ctx.build.tableEntry('FixtureIngress.route_table', { isDefault: true });
      const [changed] = await ctx.read(readDefault);
      expect(changed?.tableEntry?.isDefaultAction).toBe(true);
      expect(changed?.tableEntry?.action?.action?.actionId).toBe(
        ctx.build.names.actionId('FixtureIngress.forward'),
      );
      await ctx.write(modify(readDefault));
      const [reset] = await ctx.read(readDefault);
      expect(reset?.tableEntry?.action?.action?.actionId).toBe(
        ctx.build.names.actionId('FixtureIngress.drop'),
      );
      const constDefault = ctx.build.tableEntry('FixtureIngress.guard_table', {
        isDefault: true,
        action: { name: 'FixtureIngress.drop' },
      });
      ctx.expectUpdateFailure(await ctx.writeFailure(modify(constDefault)), {
        spec: 'PERMISSION_DENIED',
      });
    },
  },
  {
    name: 'write: a keyless table takes only its default entry',
    async run(ctx) {
      await ctx.usePipeline();
      const action = { name: 'FixtureIngress.set_src_mac', params: { src_mac: 0x020000000002 } };
      await ctx.write(
        modify(ctx.build.tableEntry('FixtureIngress.src_mac_table', { isDefault: true, action })),
      );
      const [entry] = await ctx.read(
        ctx.build.tableEntry('FixtureIngress.src_mac_table', { isDefault: true }),
      );
      expect(entry?.tableEntry?.action?.action?.params?.[0]?.value).toEqual(
        Buffer.from('020000000002', 'hex'),
      );
      // PI does not check for keyless tables (docs/target.md).
      if (ctx.target.name === 'embedded') {
        ctx.expectUpdateFailure(
          await ctx.writeFailure(
            insert(ctx.build.tableEntry('FixtureIngress.src_mac_table', { action })),
          ),
          { spec: 'INVALID_ARGUMENT' },
        );
      }
    },
  },
  {
    name: 'write: entries of a const table cannot be inserted or deleted',
    async run(ctx) {
      await ctx.usePipeline();
      const entry = ctx.build.tableEntry('FixtureIngress.const_table', {
        match: { ether_type: { exact: 0x0800 } },
        action: forward(1),
      });
      // BMv2 refuses the insert in the target (UNKNOWN) and does not find the program's
      // entries among the controller's (NOT_FOUND).
      ctx.expectUpdateFailure(await ctx.writeFailure(insert(entry)), {
        spec: 'PERMISSION_DENIED',
        bmv2: 'UNKNOWN',
      });
      const constant = ctx.build.tableEntry('FixtureIngress.const_table', {
        match: { ether_type: { exact: 0x88b5 } },
      });
      ctx.expectUpdateFailure(await ctx.writeFailure(remove(constant)), {
        spec: 'PERMISSION_DENIED',
        bmv2: 'NOT_FOUND',
      });
    },
  },
];

import { expect } from 'vitest';
import { failureOfCall } from '../../p4runtime-driver.ts';
import { uint128, type ConformanceCase } from '../context.ts';

// Spec "Client Arbitration and Controller Replication" and "Client Arbitration Update".

export const arbitrationCases: ConformanceCase[] = [
  {
    name: 'arbitration: the highest election id is primary, a lower one is told it is a backup',
    async run(ctx) {
      // Ids only ever grow across cases: a stream of an earlier case that the server has
      // not yet forgotten can never outrank this case's streams.
      const backupId = ctx.newElectionId();
      const high = ctx.newElectionId();
      const higherId = ctx.newElectionId();
      const primary = ctx.stream();
      primary.arbitrate(ctx.deviceId, high);
      expect(await primary.nextArbitrationCode()).toBe('OK');
      const backup = ctx.stream();
      backup.arbitrate(ctx.deviceId, backupId);
      const update = await backup.next();
      expect(update.arbitration?.status?.code).toBe(6); // ALREADY_EXISTS
      expect(BigInt(update.arbitration?.electionId?.low ?? '0')).toBe(
        high & 0xffff_ffff_ffff_ffffn,
      );
      // The primary was not told of the backup. Barrier: a higher id takes over, so the
      // primary is told it lost; messages on a stream keep their order, so a notice about
      // the backup would have come first.
      const higher = ctx.stream();
      higher.arbitrate(ctx.deviceId, higherId);
      expect(await higher.nextArbitrationCode()).toBe('OK');
      expect(await primary.nextArbitrationCode()).toBe('ALREADY_EXISTS');
    },
  },
  {
    name: 'arbitration: a higher election id takes over and the old primary is told it lost',
    async run(ctx) {
      const first = ctx.stream();
      const low = ctx.newElectionId();
      first.arbitrate(ctx.deviceId, low);
      expect(await first.nextArbitrationCode()).toBe('OK');
      const second = ctx.stream();
      second.arbitrate(ctx.deviceId, ctx.newElectionId());
      expect(await second.nextArbitrationCode()).toBe('OK');
      expect(await first.nextArbitrationCode()).toBe('ALREADY_EXISTS');
    },
  },
  {
    name: 'arbitration: a duplicate election id ends the stream with INVALID_ARGUMENT',
    async run(ctx) {
      const electionId = ctx.newElectionId();
      const first = ctx.stream();
      first.arbitrate(ctx.deviceId, electionId);
      expect(await first.nextArbitrationCode()).toBe('OK');
      const duplicate = ctx.stream();
      duplicate.arbitrate(ctx.deviceId, electionId);
      expect((await duplicate.closed).code).toBe('INVALID_ARGUMENT');
    },
  },
  {
    name: 'arbitration: when the primary vanishes, the next-highest becomes primary and is told',
    async run(ctx) {
      const backupId = ctx.newElectionId();
      const primaryId = ctx.newElectionId();
      const backup = ctx.stream();
      backup.arbitrate(ctx.deviceId, backupId);
      expect(await backup.nextArbitrationCode()).toBe('OK');
      const primary = ctx.stream();
      primary.arbitrate(ctx.deviceId, primaryId);
      expect(await primary.nextArbitrationCode()).toBe('OK');
      expect(await backup.nextArbitrationCode()).toBe('ALREADY_EXISTS');
      primary.cancel();
      expect(await backup.nextArbitrationCode()).toBe('OK');
      // The promoted client can push a pipeline and write.
      await ctx.driver.setPipeline({
        deviceId: ctx.deviceId.toString(),
        electionId: uint128(backupId),
        action: 'VERIFY_AND_COMMIT',
        config: { p4info: ctx.fixture.p4info as never, p4DeviceConfig: ctx.fixture.json },
      });
      await ctx.driver.write({
        deviceId: ctx.deviceId.toString(),
        electionId: uint128(backupId),
        updates: [],
      });
    },
  },
  {
    name: 'arbitration: Write and SetForwardingPipelineConfig from a backup are PERMISSION_DENIED without details',
    async run(ctx) {
      await ctx.usePipeline();
      const backupId = ctx.newElectionId() - 1_000_000n;
      const backup = ctx.stream();
      backup.arbitrate(ctx.deviceId, backupId);
      expect(await backup.nextArbitrationCode()).toBe('ALREADY_EXISTS');
      const entry = ctx.build.tableEntry('FixtureIngress.ether_type_table', {
        match: { ether_type: { exact: 0x0800 } },
        action: { name: 'FixtureIngress.forward', params: { port: 1 } },
      });
      const write = await failureOfCall(
        ctx.driver.write({
          deviceId: ctx.deviceId.toString(),
          electionId: uint128(backupId),
          updates: [{ type: 'INSERT', entity: entry }],
        }),
      );
      expect(write.code).toBe('PERMISSION_DENIED');
      expect(write.errors ?? []).toEqual([]);
      const set = await failureOfCall(
        ctx.driver.setPipeline({
          deviceId: ctx.deviceId.toString(),
          electionId: uint128(backupId),
          action: 'VERIFY_AND_COMMIT',
          config: { p4info: ctx.fixture.p4info as never, p4DeviceConfig: ctx.fixture.json },
        }),
      );
      expect(set.code).toBe('PERMISSION_DENIED');
      expect(await ctx.read(entry)).toEqual([]);
    },
  },
  {
    name: 'arbitration: reads are allowed without a stream',
    async run(ctx) {
      await ctx.usePipeline();
      const entries = await ctx.driver.read({
        deviceId: ctx.deviceId.toString(),
        entities: [ctx.build.tableEntry('FixtureIngress.route_table')],
      });
      expect(entries).toEqual([]);
    },
  },
];

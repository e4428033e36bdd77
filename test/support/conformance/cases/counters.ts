import { expect } from 'vitest';
import { buildPacket } from '../../../../src/wire/packet.ts';
import { failureOfCall } from '../../p4runtime-driver.ts';
import { insert, modify, remove } from '../entities.ts';
import type { ConformanceCase } from '../context.ts';

// Spec "CounterEntry & DirectCounterEntry" and "RegisterEntry".

const portCounter = 'FixtureIngress.ingress_port_counter';
const etherTable = 'FixtureIngress.ether_type_table';

const arp = buildPacket({
  ethernet: { dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:01', etherType: 0x0806 },
  payload: new Uint8Array(46),
});

export const counterCases: ConformanceCase[] = [
  {
    name: 'counters: an indexed counter counts packets and bytes per cell; cells can be written and read',
    async run(ctx) {
      await ctx.usePipeline();
      await ctx.target.send(2, arp, false);
      await ctx.target.send(2, arp, false);
      const [cell] = await ctx.read(ctx.build.counter(portCounter, 2));
      expect(cell?.counterEntry?.data).toEqual({
        packetCount: '2',
        byteCount: String(2 * arp.length),
      });
      await ctx.write(modify(ctx.build.counter(portCounter, 2, { packets: 100, bytes: 6400 })));
      const [written] = await ctx.read(ctx.build.counter(portCounter, 2));
      expect(written?.counterEntry?.data).toEqual({ packetCount: '100', byteCount: '6400' });
      const all = await ctx.read(ctx.build.counter(portCounter));
      expect(all.map((c) => Number(c.counterEntry?.index?.index ?? 0))).toEqual([
        0, 1, 2, 3, 4, 5, 6, 7,
      ]);
    },
  },
  {
    name: 'counters: an index beyond the size is OUT_OF_RANGE (BMv2: UNKNOWN); INSERT and DELETE are INVALID_ARGUMENT',
    async run(ctx) {
      await ctx.usePipeline();
      const read = await failureOfCall(ctx.read(ctx.build.counter(portCounter, 8)));
      expect(read.code).not.toBe('OK');
      ctx.expectUpdateFailure(
        await ctx.writeFailure(modify(ctx.build.counter(portCounter, 8, { packets: 1, bytes: 1 }))),
        { spec: 'OUT_OF_RANGE', bmv2: 'UNKNOWN' },
      );
      ctx.expectUpdateFailure(
        await ctx.writeFailure(insert(ctx.build.counter(portCounter, 1, { packets: 1, bytes: 1 }))),
        { spec: 'INVALID_ARGUMENT' },
      );
      // PI takes a DELETE of a counter cell as a reset (docs/target.md).
      if (ctx.target.name === 'bmv2') await ctx.write(remove(ctx.build.counter(portCounter, 1)));
      else {
        ctx.expectUpdateFailure(await ctx.writeFailure(remove(ctx.build.counter(portCounter, 1))), {
          spec: 'INVALID_ARGUMENT',
        });
      }
    },
  },
  {
    name: 'counters: a direct counter starts at the inserted value, counts hits, and is read both ways',
    async run(ctx) {
      await ctx.usePipeline();
      const match = { ether_type: { exact: 0x0806 } };
      await ctx.write(
        insert(
          ctx.build.tableEntry(etherTable, {
            match,
            action: { name: 'FixtureIngress.forward', params: { port: 3 } },
            counterData: { packets: 10, bytes: 1000 },
          }),
        ),
      );
      const [out] = await ctx.target.send(1, arp, true);
      expect(out?.port).toBe(3);
      const [direct] = await ctx.read(ctx.build.directCounter(etherTable, match));
      expect(direct?.directCounterEntry?.data).toEqual({
        packetCount: '11',
        byteCount: String(1000 + arp.length),
      });
      const [withEntry] = await ctx.read({
        tableEntry: { tableId: ctx.build.names.tableId(etherTable), counterData: {} },
      });
      expect(withEntry?.tableEntry?.counterData).toEqual({
        packetCount: '11',
        byteCount: String(1000 + arp.length),
      });
      const [withoutCounter] = await ctx.read(ctx.build.tableEntry(etherTable));
      expect(withoutCounter?.tableEntry?.counterData).toBeUndefined();
      await ctx.write(modify(ctx.build.directCounter(etherTable, match, { packets: 0, bytes: 0 })));
      const [reset] = await ctx.read(ctx.build.directCounter(etherTable, match));
      expect(reset?.directCounterEntry?.data ?? {}).toEqual({});
      ctx.expectUpdateFailure(
        await ctx.writeFailure(
          modify(
            ctx.build.directCounter(
              etherTable,
              { ether_type: { exact: 0x0800 } },
              { packets: 1, bytes: 1 },
            ),
          ),
        ),
        { spec: 'NOT_FOUND', bmv2: 'INVALID_ARGUMENT' },
      );
    },
  },
  {
    name: 'registers: cells are written and read as bitstrings (BMv2: UNIMPLEMENTED)',
    async run(ctx) {
      await ctx.usePipeline();
      const register = 'FixtureIngress.last_ipv4_src';
      if (ctx.target.name === 'bmv2') {
        ctx.expectUpdateFailure(
          await ctx.writeFailure(modify(ctx.build.register(register, 1, 5))),
          {
            spec: 'UNIMPLEMENTED',
          },
        );
        return;
      }
      await ctx.write(modify(ctx.build.register(register, 1, 0xc0a80001)));
      const [cell] = await ctx.read(ctx.build.register(register, 1));
      expect(cell?.registerEntry?.data?.bitstring).toEqual(Buffer.from([0xc0, 0xa8, 0, 1]));
      const all = await ctx.read(ctx.build.register(register));
      expect(all).toHaveLength(4);
      ctx.expectUpdateFailure(
        await ctx.writeFailure(modify(ctx.build.register(register, 1, 2n ** 32n))),
        {
          spec: 'OUT_OF_RANGE',
        },
      );
      ctx.expectUpdateFailure(await ctx.writeFailure(modify(ctx.build.register(register, 4, 1))), {
        spec: 'OUT_OF_RANGE',
      });
    },
  },
];

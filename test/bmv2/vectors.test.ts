import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_DIR } from '../../scripts/p4-build-record.ts';
import { P4RuntimeClient } from '../../src/p4rt/client.ts';
import { EntityCodec } from '../../src/p4rt/entity-codec.ts';
import { P4InfoIndex } from '../../src/p4rt/p4info-index.ts';
import { pipelineOf } from '../../src/p4rt/pipeline.ts';
import { parseP4InfoText } from '../../src/p4rt/text-format.ts';
import { DROP_COUNTER_INDICES } from '../../src/wire/drop-reasons.ts';
import { ETHERNET_HEADER_LENGTH } from '../../src/wire/packet.ts';
import { bytesToHex, hexToBytes, loadVectorFiles } from '../../src/wire/vectors.ts';
import { Bmv2Switch } from '../support/bmv2-switch.ts';
import { eventually } from '../support/eventually.ts';
import { describeTier } from '../support/tiers.ts';
import { writeVectorState } from '../support/vector-p4runtime-state.ts';

// Every packet vector (test/vectors) through the compiled p4/build/talaria.json on a real
// simple_switch_grpc, programmed over P4Runtime with the vector file's switch state.

const unavailable = Bmv2Switch.unavailableReason();
const files = loadVectorFiles();

/** How long a forwarded frame or a drop count may take to show up. */
const SETTLE_MS = 3_000;

/** Polls `probe` until it gives a value; on timeout says what `seen` saw instead. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  seen: () => unknown,
): Promise<T> {
  let value: T | undefined;
  await eventually(async () => {
    value = await probe();
    if (value === undefined) {
      throw new Error(`no ${what} within ${SETTLE_MS} ms; frames out: ${JSON.stringify(seen())}`);
    }
  }, SETTLE_MS);
  return value!;
}

describeTier('bmv2', 'packet vectors on simple_switch_grpc (p4/build/talaria.json)', () => {
  for (const [fileName, file] of files) {
    const ports = [
      ...new Set(
        file.vectors.flatMap((v) => [
          v.input.port,
          ...(v.expect.kind === 'forward' ? [v.expect.port] : []),
        ]),
      ),
    ].sort((a, b) => a - b);

    (unavailable ? describe.skip : describe)(
      `${fileName}${unavailable ? ` [skipped: ${unavailable}]` : ''}`,
      () => {
        let bmv2: Bmv2Switch;
        let client: P4RuntimeClient;
        let codec: EntityCodec;
        const received = new Map<number, string[]>(ports.map((p) => [p, []]));

        const dropCount = async (index: number): Promise<bigint> => {
          const [entity] = await client.read([
            codec.readCounter('TalariaIngress.drop_counter', index),
          ]);
          const decoded = codec.decode(entity!);
          if (decoded.kind !== 'counter') throw new Error(`drop_counter read gave ${decoded.kind}`);
          return decoded.cell.packets;
        };

        const allReceived = () =>
          [...received].flatMap(([port, frames]) => frames.map((f) => `${port}:${f}`));

        beforeAll(async () => {
          bmv2 = await Bmv2Switch.start({ ports });
          for (const [number, port] of bmv2.ports) {
            port.onReceive((frame) => received.get(number)!.push(bytesToHex(frame)));
          }
          const p4info = parseP4InfoText(
            readFileSync(join(BUILD_DIR, 'talaria.p4info.txtpb'), 'utf8'),
          );
          codec = new EntityCodec(new P4InfoIndex(p4info));
          client = new P4RuntimeClient({
            address: bmv2.grpcAddress,
            deviceId: bmv2.deviceId,
            electionId: 1,
          });
          client.start();
          await client.waitForPrimary(30_000);
          await client.setPipelineConfig(
            pipelineOf(p4info, readFileSync(join(BUILD_DIR, 'talaria.json'))),
          );
          await writeVectorState(client, codec, file.switch);
        });

        afterAll(async () => {
          client?.close();
          await bmv2?.stop();
        });

        for (const vector of file.vectors) {
          const input = hexToBytes(vector.input.packet);
          // A Linux netdev refuses frames shorter than an Ethernet header.
          const runnable = input.length >= ETHERNET_HEADER_LENGTH;
          (runnable ? it : it.skip)(
            `${vector.name}${runnable ? '' : ' [skipped: a Linux netdev cannot carry a frame shorter than 14 bytes]'}`,
            async () => {
              for (const frames of received.values()) frames.length = 0;
              const sender = bmv2.ports.get(vector.input.port)!;
              const expected = vector.expect;
              if (expected.kind === 'forward') {
                sender.send(Buffer.from(input));
                const frame = await until(
                  `frame on port ${expected.port}`,
                  () => received.get(expected.port)![0],
                  allReceived,
                );
                expect(frame).toBe(expected.packet);
                expect(allReceived()).toEqual([`${expected.port}:${expected.packet}`]);
              } else {
                const index = DROP_COUNTER_INDICES[expected.reason];
                const before = await dropCount(index);
                sender.send(Buffer.from(input));
                await until(
                  `drop_counter[${index}] (${expected.reason}) increment`,
                  async () => ((await dropCount(index)) > before ? true : undefined),
                  allReceived,
                );
                // Counted as dropped: this frame has no output to wait for.
                expect(allReceived()).toEqual([]);
                expect(await dropCount(index)).toBe(before + 1n);
              }
            },
          );
        }
      },
    );
  }
});

/**
 * Pushes p4/build/talaria.json and a switch state (the vector format's `switch` section,
 * test/vectors/README.md) to a P4Runtime device, then exits: a process of its own so that
 * it can run inside the network namespace of a switch whose server listens on that
 * namespace's loopback. Input on stdin: {"address": "127.0.0.1:9559", "deviceId": 1,
 * "state": {...}}. Prints "ok" when the state is written.
 *
 *   nsenter --net=/run/netns/<switch> node --import tsx test/support/write-switch-state.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import { BUILD_DIR } from '../../scripts/p4-build-record.ts';
import { P4RuntimeClient } from '../../src/p4rt/client.ts';
import { EntityCodec } from '../../src/p4rt/entity-codec.ts';
import { P4InfoIndex } from '../../src/p4rt/p4info-index.ts';
import { pipelineOf } from '../../src/p4rt/pipeline.ts';
import { parseP4InfoText } from '../../src/p4rt/text-format.ts';
import { switchStateSchema } from '../../src/wire/vectors.ts';
import { writeVectorState } from './vector-p4runtime-state.ts';

const input = z
  .object({ address: z.string(), deviceId: z.number().int().positive(), state: switchStateSchema })
  .parse(JSON.parse(await text(process.stdin)));

const p4info = parseP4InfoText(readFileSync(join(BUILD_DIR, 'talaria.p4info.txtpb'), 'utf8'));
const client = new P4RuntimeClient({
  address: input.address,
  deviceId: input.deviceId,
  electionId: 1,
});
client.start();
try {
  await client.waitForPrimary(30_000);
  await client.setPipelineConfig(pipelineOf(p4info, readFileSync(join(BUILD_DIR, 'talaria.json'))));
  await writeVectorState(client, new EntityCodec(new P4InfoIndex(p4info)), input.state);
  console.log('ok');
} finally {
  client.close();
}

import { expect, it } from 'vitest';
import type { Update } from '../../src/p4rt/generated/p4/v1/Update.ts';
import { buildPacket } from '../../src/wire/packet.ts';
import { startBmv2Target } from '../support/conformance/bmv2-target.ts';
import { uint128 } from '../support/conformance/context.ts';
import { startEmbeddedTarget } from '../support/conformance/embedded-target.ts';
import { EntityBuilder, insert } from '../support/conformance/entities.ts';
import { P4InfoNames } from '../support/conformance/p4info-names.ts';
import { fixturePipeline } from '../support/conformance/pipelines.ts';
import type { TargetFactory } from '../support/conformance/target.ts';
import { P4RuntimeDriver } from '../support/p4runtime-driver.ts';
import { describeTier } from '../support/tiers.ts';

// The same weighted selector programming, over P4Runtime, on the embedded target and on
// BMv2: every flow must leave on the same port on both (hash, member order, weights).

const fixture = fixturePipeline();
const build = new EntityBuilder(new P4InfoNames(fixture.p4info));
const selector = 'FixtureIngress.next_hop_selector';
const table = 'FixtureIngress.next_hop_table';
const nextHop = (port: number) => ({
  name: 'FixtureIngress.set_next_hop',
  params: { dst_mac: 0x020000000100 + port, port },
});

/** One batch per step: members, then the group, then the entries. */
const programs: Record<string, Update[][]> = {
  'one-shot action set, weights 1, 2, 3': [
    [
      insert(
        build.tableEntry(table, {
          match: { dst_addr: { exact: 0x0a000001 } },
          oneShot: [
            { action: nextHop(2), weight: 1 },
            { action: nextHop(3), weight: 2 },
            { action: nextHop(4), weight: 3 },
          ],
        }),
      ),
    ],
  ],
  'members and a group, weights 3, 1, 2': [
    [1, 2, 3].map((id) => insert(build.member(selector, id, nextHop(id + 1)))),
    [
      insert(
        build.group(selector, 7, [
          [1, 3],
          [2, 1],
          [3, 2],
        ]),
      ),
    ],
    [insert(build.tableEntry(table, { match: { dst_addr: { exact: 0x0a000001 } }, group: 7 }))],
  ],
};

/** The egress port of each of 48 UDP flows to 10.0.0.1 after `steps` on a fresh target. */
async function portsPerFlow(
  start: TargetFactory,
  steps: Update[][],
): Promise<(number | undefined)[]> {
  const target = await start([1, 2, 3, 4]);
  const driver = P4RuntimeDriver.connect(target.address);
  try {
    const stream = driver.openStream();
    stream.arbitrate(target.deviceId, 5n);
    expect(await stream.nextArbitrationCode()).toBe('OK');
    const deviceId = target.deviceId.toString();
    await driver.setPipeline({
      deviceId,
      electionId: uint128(5n),
      action: 'VERIFY_AND_COMMIT',
      config: { p4info: fixture.p4info as never, p4DeviceConfig: fixture.json },
    });
    for (const updates of steps) await driver.write({ deviceId, electionId: uint128(5n), updates });
    const ports: (number | undefined)[] = [];
    for (let i = 0; i < 48; i++) {
      const frame = buildPacket({
        ethernet: { dst: '02:00:00:00:00:fe', src: '02:00:00:00:00:01' },
        ipv4: { src: `172.16.${i}.${(i * 37) % 256}`, dst: '10.0.0.1', protocol: i % 2 ? 6 : 17 },
        udp: { srcPort: 1000 + i, dstPort: 53 },
        payload: new Uint8Array(8),
      });
      ports.push((await target.send(1, frame, true))[0]?.port);
    }
    stream.cancel();
    return ports;
  } finally {
    driver.close();
    await target.stop();
  }
}

const body = () => {
  for (const [name, steps] of Object.entries(programs)) {
    it(`${name}: each flow leaves on the same port`, async () => {
      const embedded = await portsPerFlow(startEmbeddedTarget, steps);
      const bmv2 = await portsPerFlow(startBmv2Target, steps);
      expect(new Set(bmv2).size).toBe(3);
      expect(embedded).toEqual(bmv2);
    });
  }
};

describeTier('bmv2', 'selector choices: embedded target = BMv2', body);

import { afterEach, describe, expect, it } from 'vitest';
import type { Update } from '../../src/p4rt/generated/p4/v1/Update.ts';
import { loadPipeline } from '../../src/softswitch/dataplane/load-pipeline.ts';
import { startSwitch, type RunningSwitch } from '../../src/softswitch/p4runtime/software-switch.ts';
import { buildPacket } from '../../src/wire/packet.ts';
import { uint128 } from '../support/conformance/context.ts';
import { EntityBuilder, insert, modify } from '../support/conformance/entities.ts';
import { P4InfoNames } from '../support/conformance/p4info-names.ts';
import { fixturePipeline } from '../support/conformance/pipelines.ts';
import { failureOfCall, P4RuntimeDriver } from '../support/p4runtime-driver.ts';

// SetForwardingPipelineConfig beyond the shared conformance cases: this target's choices
// (RECONCILE_AND_COMMIT keeps the state, VERIFY_AND_SAVE keeps packets on the old pipeline
// until COMMIT) and a pipeline given at start, as `talaria switch --pipeline` does.

const fixture = fixturePipeline();
const build = new EntityBuilder(new P4InfoNames(fixture.p4info));
const config = { p4info: fixture.p4info as never, p4DeviceConfig: fixture.json };
const frame = (dst: string) =>
  buildPacket({
    ethernet: { dst: '02:00:00:00:00:fe', src: '02:00:00:00:00:01' },
    ipv4: { src: '192.168.0.1', dst, protocol: 17 },
    udp: { srcPort: 1, dstPort: 2 },
    payload: new Uint8Array(8),
  });
const route = (prefix: number, port: number) =>
  build.tableEntry('FixtureIngress.route_table', {
    match: { dst_addr: { lpm: prefix, prefixLen: 8 } },
    action: { name: 'FixtureIngress.forward', params: { port } },
  });

describe('embedded P4Runtime server: pipeline config', () => {
  let running: RunningSwitch;
  let driver: P4RuntimeDriver;

  const start = async (withPipeline: boolean) => {
    running = await startSwitch({
      deviceId: 1n,
      grpcAddress: '127.0.0.1:0',
      ports: [1, 2].map((number) => ({ number, kind: 'memory' as const })),
      loadPipeline,
      ...(withPipeline ? { pipeline: config } : {}),
    });
    driver = P4RuntimeDriver.connect(running.address);
    const stream = driver.openStream();
    stream.arbitrate(1, 1n);
    expect(await stream.nextArbitrationCode()).toBe('OK');
  };
  const set = (action: string, withConfig = true, cookie?: string) =>
    driver.setPipeline({
      deviceId: '1',
      electionId: uint128(1n),
      action: action as never,
      ...(withConfig ? { config: { ...config, ...(cookie ? { cookie: { cookie } } : {}) } } : {}),
    });
  const write = (...updates: Update[]) =>
    driver.write({ deviceId: '1', electionId: uint128(1n), updates });
  const egress = (dst: string) => {
    running.memoryPort(1).inject(frame(dst));
    return running.memoryPort(2).takeSent().length > 0
      ? 2
      : running.memoryPort(1).takeSent().length > 0
        ? 1
        : 0;
  };

  afterEach(async () => {
    driver.close();
    await running.stop();
  });

  it('runs a pipeline given at start, without cookie, before any controller', async () => {
    await start(true);
    const got = await driver.getPipeline({ deviceId: '1', responseType: 'COOKIE_ONLY' });
    expect(got.config).toBeDefined();
    expect(got.config?.cookie).toBeUndefined();
    await write(insert(route(0x0a000000, 2)));
    expect(egress('10.1.2.3')).toBe(2);
  });

  it('drops and counts packets while no pipeline is set', async () => {
    await start(false);
    expect(egress('10.1.2.3')).toBe(0);
    expect(running.stats.noPipeline).toBe(1);
  });

  it('RECONCILE_AND_COMMIT keeps entries, members, groups, counters and changed defaults', async () => {
    await start(true);
    const selector = 'FixtureIngress.next_hop_selector';
    await write(
      insert(route(0x0a000000, 2)),
      insert(
        build.member(selector, 1, {
          name: 'FixtureIngress.set_next_hop',
          params: { dst_mac: 1, port: 2 },
        }),
      ),
      modify(build.counter('FixtureIngress.ingress_port_counter', 3, { packets: 5, bytes: 500 })),
      modify(
        build.tableEntry('FixtureIngress.route_table', {
          isDefault: true,
          action: { name: 'FixtureIngress.forward', params: { port: 1 } },
        }),
      ),
    );
    await write(insert(build.group(selector, 7, [[1, 2]])));
    await write(
      insert(
        build.tableEntry('FixtureIngress.next_hop_table', {
          match: { dst_addr: { exact: 0x0b000001 } },
          group: 7,
        }),
      ),
      insert(
        build.tableEntry('FixtureIngress.acl_table', {
          match: { protocol: { exact: 6 } },
          action: { name: 'FixtureIngress.drop' },
          priority: 3,
        }),
      ),
    );
    const everything = [
      { tableEntry: {} },
      { actionProfileMember: {} },
      { actionProfileGroup: {} },
      build.counter('FixtureIngress.ingress_port_counter', 3),
      build.tableEntry('FixtureIngress.route_table', { isDefault: true }),
    ];
    const before = await driver.read({ deviceId: '1', entities: everything });
    await set('RECONCILE_AND_COMMIT', true, '99');
    expect(await driver.read({ deviceId: '1', entities: everything })).toEqual(before);
    expect(
      (await driver.getPipeline({ deviceId: '1', responseType: 'COOKIE_ONLY' })).config?.cookie
        ?.cookie,
    ).toBe('99');
    expect(egress('10.1.2.3')).toBe(2);
  });

  it('RECONCILE_AND_COMMIT refuses a pipeline the state does not fit, and keeps the old one', async () => {
    await start(true);
    await write(insert(route(0x0a000000, 2)));
    const p4info = structuredClone(fixture.p4info);
    const routeTable = p4info.tables!.find(
      (t) => t.preamble?.name === 'FixtureIngress.route_table',
    )!;
    routeTable.preamble!.id = routeTable.preamble!.id! + 1000;
    const failure = await failureOfCall(
      driver.setPipeline({
        deviceId: '1',
        electionId: uint128(1n),
        action: 'RECONCILE_AND_COMMIT',
        config: { p4info: p4info as never, p4DeviceConfig: fixture.json },
      }),
    );
    expect(failure.code).toBe('INVALID_ARGUMENT');
    expect(failure.details).toContain('cannot be kept');
    expect(egress('10.1.2.3')).toBe(2);
  });

  it('VERIFY_AND_SAVE: reads and writes see the saved config, packets the committed one until COMMIT', async () => {
    await start(true);
    await write(insert(route(0x0a000000, 2)));
    await set('VERIFY_AND_SAVE', true, '5');
    expect(await driver.read({ deviceId: '1', entities: [{ tableEntry: {} }] })).toSatisfy(
      (entries: unknown[]) =>
        entries.every((e) => (e as { tableEntry?: { isConst?: boolean } }).tableEntry?.isConst),
    );
    await write(insert(route(0x0a000000, 1)));
    expect(egress('10.1.2.3')).toBe(2);
    await set('COMMIT', false);
    expect(egress('10.1.2.3')).toBe(1);
    expect(
      (await driver.getPipeline({ deviceId: '1', responseType: 'COOKIE_ONLY' })).config?.cookie
        ?.cookie,
    ).toBe('5');
  });

  it('COMMIT without a saved config is NOT_FOUND, and with a config INVALID_ARGUMENT', async () => {
    await start(true);
    expect((await failureOfCall(set('COMMIT', false))).code).toBe('NOT_FOUND');
    expect((await failureOfCall(set('COMMIT', true))).code).toBe('INVALID_ARGUMENT');
  });

  it('names what is wrong with a config: missing parts, bad JSON, a P4Info the JSON disagrees with', async () => {
    await start(false);
    const refuse = async (c: object) =>
      failureOfCall(
        driver.setPipeline({ deviceId: '1', electionId: uint128(1n), action: 'VERIFY', config: c }),
      );
    expect((await refuse({ p4DeviceConfig: fixture.json })).details).toContain('p4info is missing');
    expect((await refuse({ p4info: fixture.p4info })).details).toContain(
      'p4_device_config is empty',
    );
    expect(
      (await refuse({ p4info: fixture.p4info, p4DeviceConfig: Buffer.from('{') })).details,
    ).toContain('not JSON');
    expect(
      (await refuse({ p4info: fixture.p4info, p4DeviceConfig: Buffer.from('{}') })).details,
    ).toContain('BMv2 JSON');
    const widened = structuredClone(fixture.p4info);
    widened.actions!.find(
      (a) => a.preamble?.name === 'FixtureIngress.forward',
    )!.params![0]!.bitwidth = 16;
    const mismatch = await refuse({ p4info: widened, p4DeviceConfig: fixture.json });
    expect(mismatch.code).toBe('INVALID_ARGUMENT');
    expect(mismatch.details).toMatch(/FixtureIngress\.forward.*port.*16/);
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { loadPipeline } from '../../src/softswitch/dataplane/load-pipeline.ts';
import { startSwitch, type RunningSwitch } from '../../src/softswitch/p4runtime/software-switch.ts';
import {
  codeName,
  failureOfCall,
  P4RuntimeDriver,
  type StreamSession,
} from '../support/p4runtime-driver.ts';

// Embedded-target behaviour where the spec is stricter than BMv2 (docs/target.md), and the
// RPCs before any pipeline is set. The shared cases are in the conformance suite.

describe('embedded P4Runtime server: arbitration and RPCs before a pipeline', () => {
  let running: RunningSwitch;
  let driver: P4RuntimeDriver;
  let streams: StreamSession[] = [];
  let nextId = 100n;

  const open = (): StreamSession => {
    const stream = driver.openStream();
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    running = await startSwitch({
      deviceId: 7n,
      grpcAddress: '127.0.0.1:0',
      ports: [],
      loadPipeline,
    });
    driver = P4RuntimeDriver.connect(running.address);
  });
  afterEach(async () => {
    for (const stream of streams) stream.cancel();
    streams = [];
    // The next test starts once the server has forgotten every stream of this one.
    await eventually(() => expect(running.device.arbitration.liveControllers()).toBe(0));
  });
  afterAll(async () => {
    driver.close();
    await running.stop();
  });

  it('Capabilities answers the API version; a device id other than 0 or ours is NOT_FOUND', async () => {
    expect(await driver.capabilities()).toEqual({ p4runtimeApiVersion: '1.5.0' });
    expect(await driver.capabilities(7n)).toEqual({ p4runtimeApiVersion: '1.5.0' });
    expect((await failureOfCall(driver.capabilities(8n))).code).toBe('NOT_FOUND');
  });

  it('arbitration for device id 0 is INVALID_ARGUMENT and for another device NOT_FOUND', async () => {
    const zero = open();
    zero.arbitrate(0, nextId++);
    expect((await zero.closed).code).toBe('INVALID_ARGUMENT');
    const other = open();
    other.arbitrate(8, nextId++);
    const closed = await other.closed;
    expect(closed.code).toBe('NOT_FOUND');
    expect('details' in closed && closed.details).toContain('device 7');
  });

  it('an unset election id never becomes primary: NOT_FOUND while nobody is', async () => {
    const standby = open();
    standby.arbitrate(7, undefined);
    const update = await standby.next();
    expect(codeName(update.arbitration?.status?.code)).toBe('NOT_FOUND');
    expect(update.arbitration?.electionId).toBeUndefined();
    const primaryId = nextId++;
    const primary = open();
    primary.arbitrate(7, primaryId);
    expect(await primary.nextArbitrationCode()).toBe('OK');
    expect(await standby.nextArbitrationCode()).toBe('ALREADY_EXISTS');
    primary.cancel();
    const after = await standby.next();
    expect(codeName(after.arbitration?.status?.code)).toBe('NOT_FOUND');
    expect(after.arbitration?.electionId?.low).toBe(primaryId.toString());
  });

  it('election id {0,0} is a value: it can be primary', async () => {
    const zero = open();
    zero.arbitrate(7, 0n);
    expect(await zero.nextArbitrationCode()).toBe('OK');
  });

  it('roles arbitrate separately and a write names its role', async () => {
    const id = nextId++;
    const a = open();
    a.arbitrate(7, id, 'east');
    expect(await a.nextArbitrationCode()).toBe('OK');
    const b = open();
    b.arbitrate(7, id, 'west');
    expect(await b.nextArbitrationCode()).toBe('OK');
    const write = (role: string) =>
      failureOfCall(
        driver.write({ deviceId: '7', role, electionId: { low: id.toString() }, updates: [] }),
      );
    // Primary of its role: refused only for the missing pipeline.
    expect((await write('east')).code).toBe('FAILED_PRECONDITION');
    expect((await write('north')).code).toBe('PERMISSION_DENIED');
  });

  it('a role config is INVALID_ARGUMENT; changing device or role on a stream is FAILED_PRECONDITION', async () => {
    const withConfig = open();
    withConfig.send({
      arbitration: {
        deviceId: '7',
        role: {
          name: 'r',
          config: { type_url: 'type.googleapis.com/x.Y', value: Buffer.alloc(0) },
        },
        electionId: { low: (nextId++).toString() },
      },
    });
    expect((await withConfig.closed).code).toBe('INVALID_ARGUMENT');
    const changing = open();
    changing.arbitrate(7, nextId++, 'r1');
    await changing.next();
    changing.arbitrate(7, nextId++, 'r2');
    expect((await changing.closed).code).toBe('FAILED_PRECONDITION');
  });

  it('stream messages other than arbitration get a StreamError naming their kind', async () => {
    const stream = open();
    stream.send({ packet: { payload: Buffer.from([1, 2, 3]) } });
    const early = await stream.next();
    expect(codeName(early.error?.canonicalCode)).toBe('FAILED_PRECONDITION');
    stream.arbitrate(7, nextId++);
    await stream.next();
    stream.send({ packet: { payload: Buffer.from([1, 2, 3]) } });
    const packetOut = await stream.next();
    expect(codeName(packetOut.error?.canonicalCode)).toBe('UNIMPLEMENTED');
    expect(packetOut.error?.details).toBe('packetOut');
    stream.send({ digestAck: { digestId: 5, listId: '1' } });
    expect(codeName((await stream.next()).error?.canonicalCode)).toBe('INVALID_ARGUMENT');
  });

  it("before any pipeline: Get answers an unset config, Read and the primary's Write FAILED_PRECONDITION", async () => {
    expect(await driver.getPipeline({ deviceId: '7' })).toEqual({});
    expect(
      (await failureOfCall(driver.read({ deviceId: '7', entities: [{ tableEntry: {} }] }))).code,
    ).toBe('FAILED_PRECONDITION');
    const id = nextId++;
    const primary = open();
    primary.arbitrate(7, id);
    await primary.next();
    const failure = await failureOfCall(
      driver.write({ deviceId: '7', electionId: { low: id.toString() }, updates: [] }),
    );
    expect(failure.code).toBe('FAILED_PRECONDITION');
    expect(failure.errors ?? []).toEqual([]);
  });

  it('unary RPCs for device id 0 are INVALID_ARGUMENT, for another device NOT_FOUND', async () => {
    expect((await failureOfCall(driver.getPipeline({ deviceId: '0' }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await failureOfCall(driver.read({ deviceId: '9', entities: [] }))).code).toBe(
      'NOT_FOUND',
    );
    expect((await failureOfCall(driver.write({ deviceId: '9', updates: [] }))).code).toBe(
      'NOT_FOUND',
    );
  });
});

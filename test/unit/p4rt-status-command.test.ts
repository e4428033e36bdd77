import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { insert, P4RuntimeClient } from '../../src/p4rt/client.ts';
import { EntityCodec } from '../../src/p4rt/entity-codec.ts';
import { P4InfoIndex } from '../../src/p4rt/p4info-index.ts';
import { pipelineOf } from '../../src/p4rt/pipeline.ts';
import { loadPipeline } from '../../src/softswitch/index.ts';
import { startSwitch, type RunningSwitch } from '../../src/softswitch/p4runtime/software-switch.ts';
import { fixturePipeline } from '../support/conformance/pipelines.ts';

// `talaria status` against the embedded switch over real gRPC, with the conformance
// fixture program: the tables come from the switch's own P4Info.

const files = fixturePipeline();
const targets: RunningSwitch[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(targets.splice(0).map((t) => t.stop()));
});

async function runStatus(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => err.push(line));
  const code = await main(['status', ...args]);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('talaria status', () => {
  it('prints the tables, selectors and counters of a switch readably', async () => {
    const target = await startSwitch({
      deviceId: 1n,
      grpcAddress: '127.0.0.1:0',
      ports: [],
      loadPipeline,
    });
    targets.push(target);
    const pipeline = pipelineOf(files.p4info, files.json);
    const codec = new EntityCodec(new P4InfoIndex(files.p4info));
    const client = new P4RuntimeClient({ address: target.address, deviceId: 1n, electionId: 1n });
    client.start();
    await client.waitForPrimary();
    await client.ensurePipeline(pipeline);
    const result = await client.write([
      insert(
        codec.tableEntry({
          table: 'route_table',
          match: { dst_addr: { kind: 'lpm', value: 0x0af40100, prefixLen: 24 } },
          action: { kind: 'action', action: { name: 'forward', params: { port: 3 } } },
        }),
      ),
      insert(
        codec.member({
          actionProfile: 'next_hop_selector',
          memberId: 7,
          action: { name: 'set_next_hop', params: { dst_mac: 0x0200000000aan, port: 2 } },
        }),
      ),
    ]);
    expect(result.failures).toEqual([]);
    client.close();

    const { code, out } = await runStatus('--switch', target.address, '--device-id', '1');
    expect(code).toBe(0);
    expect(out).toContain(
      `switch ${target.address} device 1: pipeline cookie 0x${pipeline.cookie.toString(16)}`,
    );
    expect(out).toContain(
      [
        'FixtureIngress.route_table (1 of 1024)',
        '  (default) -> drop()',
        '  dst_addr=10.244.1.0/24 -> forward(port=3)',
      ].join('\n'),
    );
    expect(out).toMatch(
      /^FixtureIngress\.next_hop_selector \(1 members, 0 groups\)\n {2}member 7 -> set_next_hop\(dst_mac=02:00:00:00:00:aa, port=2\)$/m,
    );

    const only = await runStatus('--switch', target.address, '--table', 'route_table');
    expect(only.out.split('\n').filter((line) => line.startsWith('FixtureIngress.'))).toEqual([
      'FixtureIngress.route_table (1 of 1024)',
    ]);
  });

  it('says when the switch has no pipeline, or cannot be reached', async () => {
    const target = await startSwitch({
      deviceId: 1n,
      grpcAddress: '127.0.0.1:0',
      ports: [],
      loadPipeline,
    });
    targets.push(target);
    const empty = await runStatus('--switch', target.address);
    expect(empty).toMatchObject({
      code: 1,
      err: `talaria status: ${target.address} device 1 has no pipeline`,
    });
    const address = target.address;
    await targets.pop()!.stop();
    const gone = await runStatus('--switch', address);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain(
      `talaria status: ${address}: GetForwardingPipelineConfig: UNAVAILABLE`,
    );
  });

  it('refuses a bad address or table name as a usage error', async () => {
    expect((await runStatus('--switch', 'nowhere')).code).toBe(2);
    expect((await runStatus()).err).toContain('--switch: is required (host:port)');
  });
});

import { readFileSync } from 'node:fs';
import { loadPipeline } from '../../src/softswitch/index.ts';
import { numberToIpv4 } from '../../src/wire/addresses.ts';
import { buildPacket, parsePacket } from '../../src/wire/packet.ts';
import type { SwitchState } from '../../src/wire/vectors.ts';
import { programVectorState } from '../../test/support/dataplane-vector-state.ts';
import type { Flow } from '../../test/support/flow-hash.ts';

const SWITCH_MAC = '02:00:00:00:00:fe';
const backendAddr = (slot: number): string => `10.0.${slot >> 8}.${slot & 0xff}`;

/**
 * The slot the compiled pipeline picks for each flow's SYN (no header, from port 1) on the
 * embedded data plane, for one Service with the bucket table `buckets`, or (undefined)
 * with its members in a backend_select group, the old modulo choice.
 */
export function pipelineChoices(
  pipelinePath: string,
  flows: readonly Flow[],
  buckets: { readonly size: number; readonly table: readonly number[] } | undefined,
  members: readonly number[],
): number[] {
  const pipeline = loadPipeline(JSON.parse(readFileSync(pipelinePath, 'utf8')));
  const dp = pipeline.createDataplane();
  const vip = numberToIpv4(flows[0]!.vipAddr);
  const state: SwitchState = {
    tagKeys: { epoch: 0, current: 1n, previous: 0n },
    agentPorts: [],
    frontends: [{ vipAddr: vip, protocol: 'TCP', vipPort: flows[0]!.vipPort, serviceId: 1 }],
    selectors:
      buckets === undefined ? [{ table: 'backend_select', serviceId: 1, slots: [...members] }] : [],
    buckets:
      buckets === undefined ? [] : [{ serviceId: 1, hash: 'flow', slots: [...buckets.table] }],
    backends: members.map((slot) => ({ serviceId: 1, slot, addr: backendAddr(slot), port: 8080 })),
    replyFrontends: [],
    routes: [
      {
        prefix: '10.0.0.0/16',
        kind: 'host',
        port: 2,
        switchMac: SWITCH_MAC,
        hostMac: '02:00:00:00:02:01',
      },
    ],
  };
  programVectorState(dp, state);
  const slotOf = new Map(members.map((slot) => [backendAddr(slot), slot]));
  return flows.map((flow) => {
    const frame = buildPacket({
      ethernet: { src: '02:00:00:00:01:01', dst: SWITCH_MAC },
      ipv4: { src: numberToIpv4(flow.clientAddr), dst: vip, ttl: 64 },
      tcp: { srcPort: flow.clientPort, dstPort: flow.vipPort, seq: 1, flags: 0x02, window: 64240 },
    });
    const result = dp.process(1, frame);
    const out = result.outputs[0];
    if (out === undefined) throw new Error(`flow dropped: ${JSON.stringify(result.dropped)}`);
    return slotOf.get(parsePacket(out.bytes).ipv4!.dst) ?? -1;
  });
}

import { expect } from 'vitest';
import type { Entity } from '../../../../src/p4rt/generated/p4/v1/Entity.ts';
import { ipv4ToNumber, macToNumber } from '../../../../src/wire/addresses.ts';
import { DROP_COUNTER_INDICES } from '../../../../src/wire/drop-reasons.ts';
import { IP_PROTOCOL } from '../../../../src/wire/packet.ts';
import {
  bytesToHex,
  hexToBytes,
  loadVectorFiles,
  type PacketVector,
  type SwitchState,
} from '../../../../src/wire/vectors.ts';
import { EntityBuilder, insert, modify } from '../entities.ts';
import { P4InfoNames } from '../p4info-names.ts';
import { talariaPipeline, type PipelineFiles } from '../pipelines.ts';
import type { CaseContext, ConformanceCase } from '../context.ts';
import type { ConformanceTarget } from '../target.ts';

// The shared packet vectors (test/vectors/*.json): the project's pipeline programmed over
// P4Runtime with the file's switch state, each vector's frame sent in, its output compared
// byte for byte, or its drop counted in drop_counter under the expected reason.

const ingress = (name: string) => `TalariaIngress.${name}`;

/** The writes that build a vector file's switch state, in dependency order (one batch each). */
function stateBatches(build: EntityBuilder, state: SwitchState): Entity[][] {
  const protocol = (name: 'TCP' | 'UDP') => IP_PROTOCOL[name];
  const members: Entity[] = [];
  const groups: Entity[] = [];
  const selectorEntries: Entity[] = [];
  const nextMember = new Map<string, number>();
  state.selectors.forEach((selector, index) => {
    const profile = ingress(
      selector.table === 'backend_select' ? 'backend_selector' : 'affinity_selector',
    );
    const memberIds = selector.slots.map((slot) => {
      const memberId = (nextMember.get(profile) ?? 0) + 1;
      nextMember.set(profile, memberId);
      members.push(
        build.member(profile, memberId, { name: ingress('pick_slot'), params: { slot } }),
      );
      return memberId;
    });
    const groupId = index + 1;
    groups.push(
      build.group(
        profile,
        groupId,
        memberIds.map((id) => [id, 1] as const),
      ),
    );
    selectorEntries.push(
      build.tableEntry(ingress(selector.table), {
        match: { service_id: { exact: selector.serviceId } },
        group: groupId,
      }),
    );
  });
  const entries: Entity[] = [
    ...selectorEntries,
    ...state.agentPorts.map((port) =>
      build.tableEntry(ingress('agent_ports'), {
        match: { port: { exact: port } },
        action: { name: ingress('accept_talaria'), params: {} },
      }),
    ),
    ...state.buckets.flatMap((t) => [
      ...t.slots.map((slot, bucket) =>
        build.tableEntry(ingress('buckets.bucket_select'), {
          match: { service_id: { exact: t.serviceId }, bucket: { exact: bucket } },
          action: {
            name: ingress('buckets.pick_bucket_slot'),
            params: { slot, new_slot: t.newSlots?.[bucket] ?? slot },
          },
        }),
      ),
      build.tableEntry(ingress('buckets.bucket_services'), {
        match: { service_id: { exact: t.serviceId } },
        action: {
          name: ingress(
            t.hash === 'flow' ? 'buckets.use_flow_buckets' : 'buckets.use_client_buckets',
          ),
          params: { mask: t.slots.length - 1 },
        },
      }),
    ]),
    ...state.frontends.map((f) =>
      build.tableEntry(ingress('frontends'), {
        match: {
          vip_addr: { exact: ipv4ToNumber(f.vipAddr) },
          protocol: { exact: protocol(f.protocol) },
          vip_port: { exact: f.vipPort },
        },
        action: { name: ingress('set_service'), params: { service_id: f.serviceId } },
      }),
    ),
    ...state.backends.map((b) =>
      build.tableEntry(ingress('backends'), {
        match: { service_id: { exact: b.serviceId }, slot: { exact: b.slot } },
        action: {
          name: ingress('set_backend'),
          params: { addr: ipv4ToNumber(b.addr), port: b.port },
        },
      }),
    ),
    ...state.replyFrontends.map((r) =>
      build.tableEntry(ingress('reply_frontends'), {
        match: { service_id: { exact: r.serviceId } },
        action: {
          name: ingress('set_reply_source'),
          params: {
            vip_addr: ipv4ToNumber(r.vipAddr),
            vip_port: r.vipPort,
            protocol: protocol(r.protocol),
          },
        },
      }),
    ),
    ...state.routes.map((r) => {
      const [address, length] = r.prefix.split('/');
      return build.tableEntry(ingress('l3_forward'), {
        match: { dst_addr: { lpm: ipv4ToNumber(address!), prefixLen: Number(length) } },
        action: {
          name: ingress(r.kind === 'host' ? 'forward_to_host' : 'forward_to_external'),
          params: { port: r.port, smac: macToNumber(r.switchMac), dmac: macToNumber(r.hostMac) },
        },
      });
    }),
  ];
  const tagKey = build.tableEntry(ingress('tag_key'), {
    isDefault: true,
    action: {
      name: ingress('set_tag_keys'),
      params: {
        epoch: state.tagKeys.epoch,
        current_key: state.tagKeys.current,
        previous_key: state.tagKeys.previous,
      },
    },
  });
  return [members, groups, entries, [tagKey]];
}

/** Which target already holds which file's state (programming BMv2 takes a while). */
const programmed = new WeakMap<ConformanceTarget, string>();

async function program(
  ctx: CaseContext,
  pipeline: PipelineFiles,
  file: string,
  state: SwitchState,
) {
  if (programmed.get(ctx.target) === file) return;
  await ctx.usePipeline(pipeline);
  const build = new EntityBuilder(new P4InfoNames(pipeline.p4info));
  const [members, groups, entries, defaults] = stateBatches(build, state);
  for (const batch of [members!, groups!, entries!]) {
    if (batch.length > 0) await ctx.write(...batch.map(insert));
  }
  await ctx.write(...defaults!.map(modify));
  programmed.set(ctx.target, file);
}

async function dropCount(ctx: CaseContext, build: EntityBuilder, index: number): Promise<bigint> {
  const [cell] = await ctx.read(build.counter(ingress('drop_counter'), index));
  return BigInt(cell?.counterEntry?.data?.packetCount ?? '0');
}

async function runVector(
  ctx: CaseContext,
  pipeline: PipelineFiles,
  file: string,
  state: SwitchState,
  vector: PacketVector,
) {
  await program(ctx, pipeline, file, state);
  const build = new EntityBuilder(new P4InfoNames(pipeline.p4info));
  const frame = hexToBytes(vector.input.packet);
  if (ctx.target.name === 'bmv2' && frame.length < 14) {
    ctx.skip('a frame shorter than an Ethernet header cannot be sent through a Linux interface');
  }
  if (vector.expect.kind === 'forward') {
    const outputs = await ctx.target.send(vector.input.port, frame, true);
    expect(outputs.map((o) => ({ port: o.port, packet: bytesToHex(o.bytes) }))).toEqual([
      { port: vector.expect.port, packet: vector.expect.packet },
    ]);
    return;
  }
  const index = DROP_COUNTER_INDICES[vector.expect.reason];
  const before = await dropCount(ctx, build, index);
  expect(await ctx.target.send(vector.input.port, frame, false)).toEqual([]);
  expect(await dropCount(ctx, build, index)).toBe(before + 1n);
}

/** One case per vector; none when the project's pipeline is not built yet. */
export function vectorCases(): ConformanceCase[] {
  const pipeline = talariaPipeline();
  // Without p4/build every vector is still listed, each reported skipped with the reason.
  return [...loadVectorFiles()].flatMap(([file, vectors]) =>
    vectors.vectors.map((vector): ConformanceCase => ({
      name: `vector ${file} ${vector.name}`,
      run: (ctx) =>
        pipeline
          ? runVector(ctx, pipeline, file, vectors.switch, vector)
          : ctx.skip('p4/build/talaria.json and .p4info.txtpb not built (npm run p4:build)'),
    })),
  );
}

import { modify, insert, type P4RuntimeClient } from '../../src/p4rt/client.ts';
import type { EntityCodec, NamedTableEntry } from '../../src/p4rt/entity-codec.ts';
import type { Update } from '../../src/p4rt/generated/p4/v1/Update.ts';
import { ipv4ToNumber, macToNumber } from '../../src/wire/addresses.ts';
import { IP_PROTOCOL } from '../../src/wire/packet.ts';
import type { SwitchState } from '../../src/wire/vectors.ts';

/**
 * Writes a vector file's switch state (test/vectors/README.md) to a P4Runtime device running
 * p4/talaria.p4, by the P4Info names. Selector groups get one member per slot, created in
 * the listed order (the order BMv2's selector counts in), in three dependent writes:
 * members, then groups, then table entries.
 */
export async function writeVectorState(
  client: P4RuntimeClient,
  codec: EntityCodec,
  state: SwitchState,
): Promise<void> {
  const ingress = (name: string) => `TalariaIngress.${name}`;
  const ip = (address: string) => ipv4ToNumber(address);

  const members: Update[] = [];
  const groups: Update[] = [];
  const entries: NamedTableEntry[] = [];
  let nextMemberId = 1;
  for (const selector of state.selectors) {
    const actionProfile = ingress(
      selector.table === 'backend_select' ? 'backend_selector' : 'affinity_selector',
    );
    const memberIds = selector.slots.map((slot) => {
      const memberId = nextMemberId++;
      members.push(
        insert(
          codec.member({
            actionProfile,
            memberId,
            action: { name: ingress('pick_slot'), params: { slot } },
          }),
        ),
      );
      return memberId;
    });
    groups.push(
      insert(
        codec.group({
          actionProfile,
          groupId: selector.serviceId,
          members: memberIds.map((memberId) => ({ memberId, weight: 1 })),
        }),
      ),
    );
    entries.push({
      table: ingress(selector.table),
      match: { service_id: selector.serviceId },
      action: { kind: 'group', groupId: selector.serviceId },
    });
  }
  for (const port of state.agentPorts) {
    entries.push({
      table: ingress('agent_ports'),
      match: { port },
      action: { kind: 'action', action: { name: ingress('accept_talaria'), params: {} } },
    });
  }
  for (const f of state.frontends) {
    entries.push({
      table: ingress('frontends'),
      match: { vip_addr: ip(f.vipAddr), protocol: IP_PROTOCOL[f.protocol], vip_port: f.vipPort },
      action: {
        kind: 'action',
        action: { name: ingress('set_service'), params: { service_id: f.serviceId } },
      },
    });
  }
  for (const t of state.buckets) {
    for (const [bucket, slot] of t.slots.entries()) {
      entries.push({
        table: ingress('buckets.bucket_select'),
        match: { service_id: t.serviceId, bucket },
        action: {
          kind: 'action',
          action: {
            name: ingress('buckets.pick_bucket_slot'),
            params: { slot, new_slot: t.newSlots?.[bucket] ?? slot },
          },
        },
      });
    }
    entries.push({
      table: ingress('buckets.bucket_services'),
      match: { service_id: t.serviceId },
      action: {
        kind: 'action',
        action: {
          name: ingress(
            t.hash === 'flow' ? 'buckets.use_flow_buckets' : 'buckets.use_client_buckets',
          ),
          params: { mask: t.slots.length - 1 },
        },
      },
    });
  }
  for (const b of state.backends) {
    entries.push({
      table: ingress('backends'),
      match: { service_id: b.serviceId, slot: b.slot },
      action: {
        kind: 'action',
        action: { name: ingress('set_backend'), params: { addr: ip(b.addr), port: b.port } },
      },
    });
  }
  for (const r of state.replyFrontends) {
    entries.push({
      table: ingress('reply_frontends'),
      match: { service_id: r.serviceId },
      action: {
        kind: 'action',
        action: {
          name: ingress('set_reply_source'),
          params: {
            vip_addr: ip(r.vipAddr),
            vip_port: r.vipPort,
            protocol: IP_PROTOCOL[r.protocol],
          },
        },
      },
    });
  }
  for (const route of state.routes) {
    const [network, length] = route.prefix.split('/') as [string, string];
    entries.push({
      table: ingress('l3_forward'),
      match: { dst_addr: { kind: 'lpm', value: ip(network), prefixLen: Number(length) } },
      action: {
        kind: 'action',
        action: {
          name: ingress(route.kind === 'host' ? 'forward_to_host' : 'forward_to_external'),
          params: {
            port: route.port,
            smac: macToNumber(route.switchMac),
            dmac: macToNumber(route.hostMac),
          },
        },
      },
    });
  }

  const tagKey = modify(
    codec.tableEntry({
      table: ingress('tag_key'),
      match: {},
      isDefaultAction: true,
      action: {
        kind: 'action',
        action: {
          name: ingress('set_tag_keys'),
          params: {
            epoch: state.tagKeys.epoch,
            current_key: state.tagKeys.current,
            previous_key: state.tagKeys.previous,
          },
        },
      },
    }),
  );
  for (const batch of [
    members,
    groups,
    [tagKey, ...entries.map((e) => insert(codec.tableEntry(e)))],
  ]) {
    const { failures } = await client.write(batch);
    if (failures.length > 0) {
      throw new Error(`writing the vector state: ${failures.map((f) => f.message).join('; ')}`);
    }
  }
}

import type { Dataplane } from '../../src/softswitch/index.ts';
import { ipv4ToNumber, macToNumber } from '../../src/wire/addresses.ts';
import { IP_PROTOCOL } from '../../src/wire/packet.ts';
import type { SwitchState } from '../../src/wire/vectors.ts';

/**
 * Programs a vector file's switch state (test/vectors/README.md) into an embedded data plane
 * through its control API, with the control-plane names of p4/talaria.p4. Selector groups
 * get one member per slot, created in the listed order on the fresh data plane.
 */
export function programVectorState(dp: Dataplane, state: SwitchState): void {
  const ingress = (name: string) => `TalariaIngress.${name}`;
  const ip = (address: string) => BigInt(ipv4ToNumber(address));
  const protocol = (p: 'TCP' | 'UDP') => BigInt(IP_PROTOCOL[p]);

  dp.setDefaultAction(ingress('tag_key'), {
    kind: 'action',
    action: ingress('set_tag_keys'),
    params: [BigInt(state.tagKeys.epoch), state.tagKeys.current, state.tagKeys.previous],
  });
  for (const port of state.agentPorts) {
    dp.insertEntry(ingress('agent_ports'), {
      match: [{ kind: 'exact', value: BigInt(port) }],
      priority: 0,
      action: { kind: 'action', action: ingress('accept_talaria'), params: [] },
    });
  }
  for (const f of state.frontends) {
    dp.insertEntry(ingress('frontends'), {
      match: [
        { kind: 'exact', value: ip(f.vipAddr) },
        { kind: 'exact', value: protocol(f.protocol) },
        { kind: 'exact', value: BigInt(f.vipPort) },
      ],
      priority: 0,
      action: { kind: 'action', action: ingress('set_service'), params: [BigInt(f.serviceId)] },
    });
  }
  const nextMember = new Map<string, number>();
  for (const s of state.selectors) {
    const profile = ingress(
      s.table === 'backend_select' ? 'backend_selector' : 'affinity_selector',
    );
    const members = s.slots.map((slot) => {
      const memberId = nextMember.get(profile) ?? 1;
      nextMember.set(profile, memberId + 1);
      dp.insertMember(profile, {
        memberId,
        action: { action: ingress('pick_slot'), params: [BigInt(slot)] },
      });
      return { memberId, weight: 1 };
    });
    dp.insertGroup(profile, { groupId: s.serviceId, maxSize: 0, members });
    dp.insertEntry(ingress(s.table), {
      match: [{ kind: 'exact', value: BigInt(s.serviceId) }],
      priority: 0,
      action: { kind: 'group', groupId: s.serviceId },
    });
  }
  for (const t of state.buckets) {
    for (const [bucket, slot] of t.slots.entries()) {
      dp.insertEntry(ingress('buckets.bucket_select'), {
        match: [
          { kind: 'exact', value: BigInt(t.serviceId) },
          { kind: 'exact', value: BigInt(bucket) },
        ],
        priority: 0,
        action: {
          kind: 'action',
          action: ingress('buckets.pick_bucket_slot'),
          params: [BigInt(slot), BigInt(t.newSlots?.[bucket] ?? slot)],
        },
      });
    }
    dp.insertEntry(ingress('buckets.bucket_services'), {
      match: [{ kind: 'exact', value: BigInt(t.serviceId) }],
      priority: 0,
      action: {
        kind: 'action',
        action: ingress(
          t.hash === 'flow' ? 'buckets.use_flow_buckets' : 'buckets.use_client_buckets',
        ),
        params: [BigInt(t.slots.length - 1)],
      },
    });
  }
  for (const b of state.backends) {
    dp.insertEntry(ingress('backends'), {
      match: [
        { kind: 'exact', value: BigInt(b.serviceId) },
        { kind: 'exact', value: BigInt(b.slot) },
      ],
      priority: 0,
      action: {
        kind: 'action',
        action: ingress('set_backend'),
        params: [ip(b.addr), BigInt(b.port)],
      },
    });
  }
  for (const r of state.replyFrontends) {
    dp.insertEntry(ingress('reply_frontends'), {
      match: [{ kind: 'exact', value: BigInt(r.serviceId) }],
      priority: 0,
      action: {
        kind: 'action',
        action: ingress('set_reply_source'),
        params: [ip(r.vipAddr), BigInt(r.vipPort), protocol(r.protocol)],
      },
    });
  }
  for (const route of state.routes) {
    const [address, length] = route.prefix.split('/') as [string, string];
    dp.insertEntry(ingress('l3_forward'), {
      match: [{ kind: 'lpm', value: ip(address), prefixLength: Number(length) }],
      priority: 0,
      action: {
        kind: 'action',
        action: ingress(route.kind === 'host' ? 'forward_to_host' : 'forward_to_external'),
        params: [
          BigInt(route.port),
          BigInt(macToNumber(route.switchMac)),
          BigInt(macToNumber(route.hostMac)),
        ],
      },
    });
  }
}

import { fixedWidthBytes } from '../p4rt/bytestring.ts';
import type {
  EntityCodec,
  MatchValue,
  NamedAction,
  NamedEntity,
  NamedTableEntry,
  Value,
} from '../p4rt/entity-codec.ts';
import type { Entity } from '../p4rt/generated/p4/v1/Entity.ts';
import { bytesToMac, ipv4ToNumber, macToNumber, numberToIpv4 } from '../wire/addresses.ts';
import { ACTION_PROFILES, ACTIONS, TABLES } from './p4-names.ts';
import type { BucketHash, Selector, SwitchEntry } from './switch-entries.ts';

/**
 * The P4Runtime form of the reconciler's switch entries: the entity that installs or
 * deletes an entry, the reads of everything the reconciler manages, and a read-back entity
 * as an entry again.
 */

const PROFILE_OF: Record<Selector, string> = {
  backend: ACTION_PROFILES.backendSelector,
  affinity: ACTION_PROFILES.affinitySelector,
};

const SELECT_TABLE_OF: Record<Selector, string> = {
  backend: TABLES.backendSelect,
  affinity: TABLES.affinitySelect,
};

const ip = (address: string, what: string): number => ipv4ToNumber(address, what);
const ipv4Of = (value: bigint): string => numberToIpv4(Number(value));
const macOf = (value: bigint): string => bytesToMac(fixedWidthBytes(value, 48));
const pickSlot = (slot: number): NamedAction => ({ name: ACTIONS.pickSlot, params: { slot } });

function namedTableEntry(entry: SwitchEntry, withAction: boolean): NamedTableEntry | undefined {
  const action = (name: string, params: Record<string, Value>): NamedTableEntry['action'] =>
    withAction ? { kind: 'action', action: { name, params } } : undefined;
  const build = (
    table: string,
    match: NamedTableEntry['match'],
    a: NamedTableEntry['action'],
  ): NamedTableEntry => (a === undefined ? { table, match } : { table, match, action: a });
  switch (entry.kind) {
    case 'frontend':
      return build(
        TABLES.frontends,
        { vip_addr: ip(entry.vip, 'frontend vip'), protocol: entry.protocol, vip_port: entry.port },
        action(ACTIONS.setService, { service_id: entry.serviceId }),
      );
    case 'reply':
      return build(
        TABLES.replyFrontends,
        { service_id: entry.serviceId },
        action(ACTIONS.setReplySource, {
          vip_addr: ip(entry.vip, 'reply vip'),
          vip_port: entry.port,
          protocol: entry.protocol,
        }),
      );
    case 'backend':
      return build(
        TABLES.backends,
        { service_id: entry.serviceId, slot: entry.slot },
        action(ACTIONS.setBackend, { addr: ip(entry.addr, 'backend address'), port: entry.port }),
      );
    case 'select': {
      const target = entry.target;
      const selectAction: NamedTableEntry['action'] = !withAction
        ? undefined
        : target.kind === 'group'
          ? { kind: 'group', groupId: target.groupId }
          : {
              kind: 'actionSet',
              actions: target.slots.map((slot) => ({ action: pickSlot(slot), weight: 1 })),
            };
      return build(SELECT_TABLE_OF[entry.selector], { service_id: entry.serviceId }, selectAction);
    }
    case 'route':
      return build(
        TABLES.l3Forward,
        {
          dst_addr: {
            kind: 'lpm',
            value: ip(entry.prefix, 'route prefix'),
            prefixLen: entry.prefixLen,
          },
        },
        action(entry.external === true ? ACTIONS.forwardToExternal : ACTIONS.forwardToHost, {
          port: entry.port,
          smac: macToNumber(entry.smac, 'route smac'),
          dmac: macToNumber(entry.dmac, 'route dmac'),
        }),
      );
    case 'tagKey':
      return {
        table: TABLES.tagKey,
        match: {},
        isDefaultAction: true,
        action: {
          kind: 'action',
          action: {
            name: ACTIONS.setTagKeys,
            params: {
              epoch: entry.epoch,
              current_key: entry.current,
              previous_key: entry.previous,
            },
          },
        },
      };
    case 'agentPort':
      return build(TABLES.agentPorts, { port: entry.port }, action(ACTIONS.acceptTalaria, {}));
    case 'bucketService':
      return build(
        TABLES.bucketServices,
        { service_id: entry.serviceId },
        action(entry.hash === 'flow' ? ACTIONS.useFlowBuckets : ACTIONS.useClientBuckets, {
          mask: entry.size - 1,
        }),
      );
    case 'bucket':
      return build(
        TABLES.bucketSelect,
        { service_id: entry.serviceId, bucket: entry.bucket },
        action(ACTIONS.pickBucketSlot, { slot: entry.slot, new_slot: entry.newSlot }),
      );
    case 'member':
    case 'group':
      return undefined;
  }
}

/** The entity that installs `entry` (INSERT or MODIFY). */
export function entityOf(entry: SwitchEntry, codec: EntityCodec): Entity {
  if (entry.kind === 'member') {
    return codec.member({
      actionProfile: PROFILE_OF[entry.selector],
      memberId: entry.memberId,
      action: pickSlot(entry.slot),
    });
  }
  if (entry.kind === 'group') {
    return codec.group({
      actionProfile: PROFILE_OF[entry.selector],
      groupId: entry.groupId,
      members: entry.memberIds.map((memberId) => ({ memberId, weight: 1 })),
    });
  }
  return codec.tableEntry(namedTableEntry(entry, true)!);
}

/** The entity that deletes `entry`: its key only. */
export function deleteEntityOf(entry: SwitchEntry, codec: EntityCodec): Entity {
  if (entry.kind === 'member') {
    const profile = codec.index.actionProfile(PROFILE_OF[entry.selector]);
    return { actionProfileMember: { actionProfileId: profile.id, memberId: entry.memberId } };
  }
  if (entry.kind === 'group') {
    const profile = codec.index.actionProfile(PROFILE_OF[entry.selector]);
    return { actionProfileGroup: { actionProfileId: profile.id, groupId: entry.groupId } };
  }
  return codec.tableEntry(namedTableEntry(entry, false)!);
}

/** Reads of everything the reconciler manages (members and groups only in groups mode). */
export function readBackEntities(codec: EntityCodec, withGroups: boolean): Entity[] {
  const entities = [
    TABLES.frontends,
    TABLES.replyFrontends,
    TABLES.backends,
    TABLES.backendSelect,
    TABLES.affinitySelect,
    TABLES.l3Forward,
    TABLES.agentPorts,
    // Absent from programs without bucket tables (backendChoice falls back to selectors).
    ...[TABLES.bucketServices, TABLES.bucketSelect].filter((t) => codec.index.findTable(t)),
  ].map((table) => codec.readTable(table));
  entities.push(codec.readDefaultEntry(TABLES.tagKey));
  if (withGroups) {
    for (const profile of Object.values(ACTION_PROFILES)) {
      entities.push(codec.readMembers(profile), codec.readGroups(profile));
    }
  }
  return entities;
}

const num = (value: MatchValue | Value | bigint | undefined): number => {
  if (value === undefined) return 0;
  if (typeof value === 'object') return 'value' in value ? Number(value.value) : 0;
  return Number(value);
};

const big = (value: Value | undefined): bigint => BigInt(value ?? 0);

/** Checks that `action` is `name` and returns its params, or the reason it is not. */
function paramsOf(action: NamedTableEntry['action'], name: string): Record<string, Value> | string {
  if (action?.kind !== 'action') return `action is ${action?.kind ?? 'missing'}, expected ${name}`;
  if (action.action.name !== name) return `action ${action.action.name}, expected ${name}`;
  return action.action.params;
}

/**
 * An entry read back from a switch. `invalid` says why it is not what the reconciler
 * writes (another action, say): such an entry is rewritten or deleted, never adopted.
 */
export interface ReadEntry {
  readonly entry: SwitchEntry;
  readonly invalid?: string;
}

const held = (entry: SwitchEntry): ReadEntry => ({ entry });

function invalid(entry: SwitchEntry, reason: string): ReadEntry {
  return { entry, invalid: reason };
}

const SELECTOR_OF_PROFILE = new Map<string, Selector>([
  [ACTION_PROFILES.backendSelector, 'backend'],
  [ACTION_PROFILES.affinitySelector, 'affinity'],
]);

const SELECTOR_OF_TABLE = new Map<string, Selector>([
  [TABLES.backendSelect, 'backend'],
  [TABLES.affinitySelect, 'affinity'],
]);

/** A read-back entity as an entry; entities of other tables come back undefined. */
export function readEntryOf(named: NamedEntity): ReadEntry | undefined {
  if (named.kind === 'member') {
    const selector = SELECTOR_OF_PROFILE.get(named.member.actionProfile);
    if (selector === undefined) return undefined;
    const entry: SwitchEntry = {
      kind: 'member',
      selector,
      memberId: named.member.memberId,
      slot: 0,
    };
    if (named.member.action.name !== ACTIONS.pickSlot)
      return invalid(entry, named.member.action.name);
    return held({ ...entry, slot: Number(big(named.member.action.params.slot)) });
  }
  if (named.kind === 'group') {
    const selector = SELECTOR_OF_PROFILE.get(named.group.actionProfile);
    if (selector === undefined) return undefined;
    const memberIds = named.group.members.map((m) => m.memberId).sort((a, b) => a - b);
    return held({ kind: 'group', selector, groupId: named.group.groupId, memberIds });
  }
  if (named.kind !== 'tableEntry') return undefined;
  const { table, match, action } = named.entry;
  switch (table) {
    case TABLES.frontends: {
      const entry = {
        kind: 'frontend',
        vip: ipv4Of(big(num(match.vip_addr))),
        protocol: num(match.protocol),
        port: num(match.vip_port),
        serviceId: 0,
      } as const;
      const params = paramsOf(action, ACTIONS.setService);
      if (typeof params === 'string') return invalid(entry, params);
      return held({ ...entry, serviceId: Number(big(params.service_id)) });
    }
    case TABLES.replyFrontends: {
      const entry = {
        kind: 'reply',
        serviceId: num(match.service_id),
        vip: '',
        port: 0,
        protocol: 0,
      } as const;
      const params = paramsOf(action, ACTIONS.setReplySource);
      if (typeof params === 'string') return invalid(entry, params);
      return held({
        ...entry,
        vip: ipv4Of(big(params.vip_addr)),
        port: Number(big(params.vip_port)),
        protocol: Number(big(params.protocol)),
      });
    }
    case TABLES.backends: {
      const entry = {
        kind: 'backend',
        serviceId: num(match.service_id),
        slot: num(match.slot),
        addr: '',
        port: 0,
      } as const;
      const params = paramsOf(action, ACTIONS.setBackend);
      if (typeof params === 'string') return invalid(entry, params);
      return held({
        ...entry,
        addr: ipv4Of(big(params.addr)),
        port: Number(big(params.port)),
      });
    }
    case TABLES.backendSelect:
    case TABLES.affinitySelect: {
      const selector = SELECTOR_OF_TABLE.get(table)!;
      const base = { kind: 'select', selector, serviceId: num(match.service_id) } as const;
      if (action?.kind === 'group')
        return held({ ...base, target: { kind: 'group', groupId: action.groupId } });
      if (action?.kind === 'actionSet') {
        const slots: number[] = [];
        for (const weighted of action.actions) {
          if (weighted.action.name !== ACTIONS.pickSlot) {
            return invalid({ ...base, target: { kind: 'slots', slots: [] } }, weighted.action.name);
          }
          slots.push(Number(big(weighted.action.params.slot)));
        }
        return held({ ...base, target: { kind: 'slots', slots: slots.sort((a, b) => a - b) } });
      }
      return invalid(
        { ...base, target: { kind: 'slots', slots: [] } },
        `action is ${action?.kind ?? 'missing'}`,
      );
    }
    case TABLES.l3Forward: {
      const dst = match.dst_addr;
      const lpm = typeof dst === 'object' && dst.kind === 'lpm' ? dst : undefined;
      const entry = {
        kind: 'route',
        prefix: ipv4Of(big(lpm?.value)),
        prefixLen: lpm?.prefixLen ?? 0,
        port: 0,
        smac: '',
        dmac: '',
      } as const;
      const external =
        action?.kind === 'action' && action.action.name === ACTIONS.forwardToExternal;
      const params = paramsOf(action, external ? ACTIONS.forwardToExternal : ACTIONS.forwardToHost);
      if (typeof params === 'string') return invalid(entry, params);
      return held({
        ...entry,
        ...(external ? { external } : {}),
        port: Number(big(params.port)),
        smac: macOf(big(params.smac)),
        dmac: macOf(big(params.dmac)),
      });
    }
    case TABLES.tagKey: {
      const entry = { kind: 'tagKey', epoch: 0, current: 0n, previous: 0n } as const;
      const params = paramsOf(action, ACTIONS.setTagKeys);
      if (typeof params === 'string') return invalid(entry, params);
      return held({
        ...entry,
        epoch: Number(big(params.epoch)),
        current: big(params.current_key),
        previous: big(params.previous_key),
      });
    }
    case TABLES.agentPorts: {
      const entry = { kind: 'agentPort', port: num(match.port) } as const;
      const params = paramsOf(action, ACTIONS.acceptTalaria);
      if (typeof params === 'string') return invalid(entry, params);
      return held(entry);
    }
    case TABLES.bucketServices: {
      const entry = { kind: 'bucketService', serviceId: num(match.service_id) } as const;
      const name = action?.kind === 'action' ? action.action.name : undefined;
      const hash: BucketHash | undefined =
        name === ACTIONS.useFlowBuckets
          ? 'flow'
          : name === ACTIONS.useClientBuckets
            ? 'client'
            : undefined;
      const params = paramsOf(action, name ?? ACTIONS.useFlowBuckets);
      if (hash === undefined || typeof params === 'string')
        return invalid({ ...entry, hash: 'flow', size: 0 }, `action ${name ?? 'missing'}`);
      const size = Number(big(params.mask)) + 1;
      // A mask that is not 2^k - 1 would leave buckets unreachable: rewrite it.
      if ((size & (size - 1)) !== 0) return invalid({ ...entry, hash, size }, `mask ${size - 1}`);
      return held({ ...entry, hash, size });
    }
    case TABLES.bucketSelect: {
      const entry = {
        kind: 'bucket',
        serviceId: num(match.service_id),
        bucket: num(match.bucket),
        slot: 0,
        newSlot: 0,
      } as const;
      const params = paramsOf(action, ACTIONS.pickBucketSlot);
      if (typeof params === 'string') return invalid(entry, params);
      return held({
        ...entry,
        slot: Number(big(params.slot)),
        newSlot: Number(big(params.new_slot)),
      });
    }
    default:
      return undefined;
  }
}

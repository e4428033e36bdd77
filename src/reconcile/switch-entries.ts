/**
 * What the reconciler keeps on a switch, as typed entries with natural keys: one variant
 * per table (or action profile) of the Talaria program. `entryKey` identifies an entry
 * within its table and `sameEntry` compares everything else, so two entries with equal
 * keys that are the same need no write. Fields are canonical (addresses as dotted
 * strings, MACs lower case, id lists sorted), so an entry read back compares equal to the
 * one written. The P4Runtime form of an entry is in switch-entry-codec.ts.
 */

export type Selector = 'backend' | 'affinity';

export type SelectTarget =
  | { readonly kind: 'group'; readonly groupId: number }
  | { readonly kind: 'slots'; readonly slots: readonly number[] };

export type SwitchEntry =
  | {
      readonly kind: 'frontend';
      readonly vip: string;
      readonly protocol: number;
      readonly port: number;
      readonly serviceId: number;
    }
  | {
      readonly kind: 'reply';
      readonly serviceId: number;
      readonly vip: string;
      readonly port: number;
      readonly protocol: number;
    }
  | {
      readonly kind: 'backend';
      readonly serviceId: number;
      readonly slot: number;
      readonly addr: string;
      readonly port: number;
    }
  | {
      readonly kind: 'member';
      readonly selector: Selector;
      readonly memberId: number;
      readonly slot: number;
    }
  | {
      readonly kind: 'group';
      readonly selector: Selector;
      readonly groupId: number;
      readonly memberIds: readonly number[];
    }
  | {
      readonly kind: 'select';
      readonly selector: Selector;
      readonly serviceId: number;
      readonly target: SelectTarget;
    }
  | {
      readonly kind: 'route';
      readonly prefix: string;
      readonly prefixLen: number;
      readonly port: number;
      readonly smac: string;
      readonly dmac: string;
      /** forward_to_external (no agent behind the port: the header is removed). */
      readonly external?: boolean;
    }
  | {
      readonly kind: 'tagKey';
      readonly epoch: number;
      readonly current: bigint;
      readonly previous: bigint;
    }
  | { readonly kind: 'agentPort'; readonly port: number }
  | {
      readonly kind: 'bucketService';
      readonly serviceId: number;
      /** Which hash picks the bucket: the 5-tuple, or the client address (ClientIP). */
      readonly hash: BucketHash;
      /** Buckets in the Service's table, a power of two (the switch masks the hash). */
      readonly size: number;
    }
  | {
      readonly kind: 'bucket';
      readonly serviceId: number;
      readonly bucket: number;
      /** For packets without a header: a terminating backend keeps its buckets' flows. */
      readonly slot: number;
      /** For packets opening an in-cluster connection: active backends only. */
      readonly newSlot: number;
    };

export type BucketHash = 'flow' | 'client';

export type EntryKind = SwitchEntry['kind'];

/**
 * The key of `entry` within the switch: short, so that V8 stores it as one flat string
 * (concatenations of 13 characters or more are kept as trees of string pieces, several
 * objects per key): kind letter, then the natural key. Frontends `f<vip>:<port>/<proto>`,
 * replies `r<s>`, backends `b<s>.<slot>`, members `m<b|a><member>`, groups
 * `g<b|a><group>`, selector entries `s<b|a><s>`, routes `l<prefix>/<len>`, the tag key `t`,
 * agent-host ports `a<port>`, bucket tables `u<s>`, buckets `k<s>.<bucket>`.
 */
export function entryKey(entry: SwitchEntry): string {
  switch (entry.kind) {
    case 'frontend':
      return `f${entry.vip}:${entry.port}/${entry.protocol}`;
    case 'reply':
      return `r${entry.serviceId}`;
    case 'backend':
      return `b${entry.serviceId}.${entry.slot}`;
    case 'member':
      return `m${entry.selector[0]}${entry.memberId}`;
    case 'group':
      return `g${entry.selector[0]}${entry.groupId}`;
    case 'select':
      return `s${entry.selector[0]}${entry.serviceId}`;
    case 'route':
      return `l${entry.prefix}/${entry.prefixLen}`;
    case 'tagKey':
      return 't';
    case 'agentPort':
      return `a${entry.port}`;
    case 'bucketService':
      return `u${entry.serviceId}`;
    case 'bucket':
      return `k${entry.serviceId}.${entry.bucket}`;
  }
}

const sameNumbers = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((n, i) => n === b[i]);

/** Whether two entries with the same key hold the same value (nothing to write). */
export function sameEntry(a: SwitchEntry, b: SwitchEntry): boolean {
  if (a === b) return true;
  switch (a.kind) {
    case 'frontend':
      return b.kind === 'frontend' && a.serviceId === b.serviceId;
    case 'reply':
      return (
        b.kind === 'reply' && a.vip === b.vip && a.port === b.port && a.protocol === b.protocol
      );
    case 'backend':
      return b.kind === 'backend' && a.addr === b.addr && a.port === b.port;
    case 'member':
      return b.kind === 'member' && a.slot === b.slot;
    case 'group':
      return b.kind === 'group' && sameNumbers(a.memberIds, b.memberIds);
    case 'select': {
      if (b.kind !== 'select' || a.target.kind !== b.target.kind) return false;
      if (a.target.kind === 'group')
        return a.target.groupId === (b.target as typeof a.target).groupId;
      return sameNumbers(a.target.slots, (b.target as typeof a.target).slots);
    }
    case 'route':
      return (
        b.kind === 'route' &&
        a.port === b.port &&
        a.smac === b.smac &&
        a.dmac === b.dmac &&
        (a.external === true) === (b.external === true)
      );
    case 'tagKey':
      return (
        b.kind === 'tagKey' &&
        a.epoch === b.epoch &&
        a.current === b.current &&
        a.previous === b.previous
      );
    case 'agentPort':
      return b.kind === 'agentPort';
    case 'bucketService':
      return b.kind === 'bucketService' && a.hash === b.hash && a.size === b.size;
    case 'bucket':
      return b.kind === 'bucket' && a.slot === b.slot && a.newSlot === b.newSlot;
  }
}

/** The member id that picks `slot`: members are shared by every group of a selector. */
export function memberIdOfSlot(slot: number): number {
  return slot + 1;
}

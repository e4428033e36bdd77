import { isDeepStrictEqual } from 'node:util';
import { sliceServiceKey, type EndpointSlice } from './objects/endpoint-slice.ts';
import { objectKey } from './objects/meta.ts';
import type { NetworkPolicy } from './objects/network-policy.ts';
import type { Node } from './objects/node.ts';
import type { Pod } from './objects/pod.ts';
import type { Service } from './objects/service.ts';

/** What changed in the cluster, as far as the model is concerned. */
export type ClusterChange =
  | { readonly kind: 'service'; readonly key: string }
  | { readonly kind: 'nodes' }
  /** Pods or NetworkPolicies changed: which client pods egress policies select may have. */
  | { readonly kind: 'clients' };

/**
 * The validated objects the informers deliver, with the index the model needs (Service ->
 * its EndpointSlices, by the kubernetes.io/service-name label; client-node keeps none).
 * Listeners hear only changes that matter to the model: a new resourceVersion of an object
 * whose validated content is the same is absorbed here.
 *
 * Objects are shared with the informers' caches: nobody may mutate them.
 */
export class ClusterCache {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice>();
  /** slice key -> the service key its label names (undefined: unlabelled). */
  private readonly sliceOwner = new Map<string, string>();
  /** service key -> slice key -> slice. */
  private readonly slicesByService = new Map<string, Map<string, EndpointSlice>>();
  private readonly nodeMap = new Map<string, Node>();
  private sortedNodes: Node[] | undefined;
  /** namespace -> policy key -> policy. */
  private readonly policiesByNamespace = new Map<string, Map<string, NetworkPolicy>>();
  private readonly podMap = new Map<string, Pod>();
  private readonly listeners: ((change: ClusterChange) => void)[] = [];

  /** Listeners are called synchronously, once per change. */
  onChange(listener: (change: ClusterChange) => void): void {
    this.listeners.push(listener);
  }

  service(key: string): Service | undefined {
    return this.services.get(key);
  }

  serviceKeys(): IterableIterator<string> {
    return this.services.keys();
  }

  /** The slices labelled for a Service (the Service itself need not exist). */
  slicesOf(serviceKey: string): EndpointSlice[] {
    const slices = this.slicesByService.get(serviceKey);
    return slices === undefined ? [] : [...slices.values()];
  }

  /** Every node, sorted by name. */
  nodes(): readonly Node[] {
    this.sortedNodes ??= [...this.nodeMap.values()].sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : 1,
    );
    return this.sortedNodes;
  }

  /** Every pod (Pods are watched for NetworkPolicy egress only). */
  pods(): IterableIterator<Pod> {
    return this.podMap.values();
  }

  upsertPod(pod: Pod): void {
    const key = objectKey(pod.metadata);
    const unchanged = sameContent(this.podMap.get(key), pod);
    this.podMap.set(key, pod);
    if (!unchanged) this.emit({ kind: 'clients' });
  }

  deletePod(key: string): void {
    if (this.podMap.delete(key)) this.emit({ kind: 'clients' });
  }

  /** The NetworkPolicies of a namespace. */
  networkPolicies(namespace: string): NetworkPolicy[] {
    const policies = this.policiesByNamespace.get(namespace);
    return policies === undefined ? [] : [...policies.values()];
  }

  counts(): { services: number; endpointSlices: number; nodes: number; networkPolicies: number } {
    let networkPolicies = 0;
    for (const policies of this.policiesByNamespace.values()) networkPolicies += policies.size;
    return {
      services: this.services.size,
      endpointSlices: this.slices.size,
      nodes: this.nodeMap.size,
      networkPolicies,
    };
  }

  /** A policy may change what every Service of its namespace offloads: all of them change. */
  upsertNetworkPolicy(policy: NetworkPolicy): void {
    const { namespace } = policy.metadata;
    const key = objectKey(policy.metadata);
    let policies = this.policiesByNamespace.get(namespace);
    if (policies === undefined) this.policiesByNamespace.set(namespace, (policies = new Map()));
    const unchanged = sameContent(policies.get(key), policy);
    policies.set(key, policy);
    if (!unchanged) this.emitNamespace(namespace);
  }

  deleteNetworkPolicy(key: string): void {
    const namespace = key.slice(0, key.indexOf('/'));
    const policies = this.policiesByNamespace.get(namespace);
    if (!policies?.delete(key)) return;
    if (policies.size === 0) this.policiesByNamespace.delete(namespace);
    this.emitNamespace(namespace);
  }

  private emitNamespace(namespace: string): void {
    this.emit({ kind: 'clients' });
    const prefix = `${namespace}/`;
    for (const key of this.services.keys()) {
      if (key.startsWith(prefix)) this.emit({ kind: 'service', key });
    }
  }

  upsertService(service: Service): void {
    const key = objectKey(service.metadata);
    if (sameContent(this.services.get(key), service)) {
      this.services.set(key, service);
      return;
    }
    this.services.set(key, service);
    this.emit({ kind: 'service', key });
  }

  deleteService(key: string): void {
    if (this.services.delete(key)) this.emit({ kind: 'service', key });
  }

  upsertEndpointSlice(slice: EndpointSlice): void {
    const key = objectKey(slice.metadata);
    const unchanged = sameContent(this.slices.get(key), slice);
    const previousOwner = this.sliceOwner.get(key);
    const owner = sliceServiceKey(slice);
    this.slices.set(key, slice);
    if (previousOwner !== owner && previousOwner !== undefined) this.unindex(key, previousOwner);
    if (owner === undefined) this.sliceOwner.delete(key);
    else {
      this.sliceOwner.set(key, owner);
      let slices = this.slicesByService.get(owner);
      if (slices === undefined) this.slicesByService.set(owner, (slices = new Map()));
      slices.set(key, slice);
    }
    if (unchanged) return;
    if (previousOwner !== undefined && previousOwner !== owner) {
      this.emit({ kind: 'service', key: previousOwner });
    }
    if (owner !== undefined) this.emit({ kind: 'service', key: owner });
  }

  deleteEndpointSlice(key: string): void {
    if (!this.slices.delete(key)) return;
    const owner = this.sliceOwner.get(key);
    this.sliceOwner.delete(key);
    if (owner === undefined) return;
    this.unindex(key, owner);
    this.emit({ kind: 'service', key: owner });
  }

  upsertNode(node: Node): void {
    const name = node.metadata.name;
    const unchanged = sameContent(this.nodeMap.get(name), node);
    this.nodeMap.set(name, node);
    this.sortedNodes = undefined;
    if (!unchanged) this.emit({ kind: 'nodes' });
  }

  deleteNode(name: string): void {
    if (!this.nodeMap.delete(name)) return;
    this.sortedNodes = undefined;
    this.emit({ kind: 'nodes' });
  }

  private unindex(sliceKey: string, owner: string): void {
    const slices = this.slicesByService.get(owner);
    slices?.delete(sliceKey);
    if (slices?.size === 0) this.slicesByService.delete(owner);
  }

  private emit(change: ClusterChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

/** Same validated content, whatever the resourceVersion and uid say. */
function sameContent<T extends { metadata: { resourceVersion?: string; uid?: string } }>(
  before: T | undefined,
  after: T,
): boolean {
  return before !== undefined && isDeepStrictEqual(comparable(before), comparable(after));
}

function comparable<T extends { metadata: object }>(object: T): T {
  return {
    ...object,
    metadata: { ...object.metadata, resourceVersion: undefined, uid: undefined },
  };
}

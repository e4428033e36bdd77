import type { ApiClient } from './api-client.ts';
import { ClusterCache } from './cluster-cache.ts';
import { Informer, type InformerOptions } from './informer.ts';
import { objectKey } from './objects/meta.ts';
import { ENDPOINT_SLICES, NETWORK_POLICIES, NODES, PODS, SERVICES } from './resources.ts';

/**
 * The informers Talaria needs (Services, EndpointSlices, Nodes, NetworkPolicies, Pods) feeding
 * one ClusterCache. `synced` is true once all of them have completed their first list.
 */
export class ClusterWatcher {
  readonly cache = new ClusterCache();
  readonly informers;

  constructor(client: ApiClient, options: InformerOptions = {}) {
    const cache = this.cache;
    this.informers = [
      new Informer(
        client,
        SERVICES,
        {
          upsert: (service) => cache.upsertService(service),
          delete: (key) => cache.deleteService(objectKey(key)),
        },
        options,
      ),
      new Informer(
        client,
        ENDPOINT_SLICES,
        {
          upsert: (slice) => cache.upsertEndpointSlice(slice),
          delete: (key) => cache.deleteEndpointSlice(objectKey(key)),
        },
        options,
      ),
      new Informer(
        client,
        NODES,
        {
          upsert: (node) => cache.upsertNode(node),
          delete: (key) => cache.deleteNode(key.name),
        },
        options,
      ),
      new Informer(
        client,
        NETWORK_POLICIES,
        {
          upsert: (policy) => cache.upsertNetworkPolicy(policy),
          delete: (key) => cache.deleteNetworkPolicy(objectKey(key)),
        },
        options,
      ),
      new Informer(
        client,
        PODS,
        {
          upsert: (pod) => cache.upsertPod(pod),
          delete: (key) => cache.deletePod(objectKey(key)),
        },
        options,
      ),
    ] as const;
  }

  get synced(): boolean {
    return this.informers.every((informer) => informer.synced);
  }

  start(): void {
    for (const informer of this.informers) informer.start();
  }

  async whenSynced(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.whenSynced()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.stop()));
  }
}

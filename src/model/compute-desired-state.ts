import { sliceServiceKey, type EndpointSlice } from '../k8s/objects/endpoint-slice.ts';
import { objectKey } from '../k8s/objects/meta.ts';
import type { NetworkPolicy } from '../k8s/objects/network-policy.ts';
import type { Node } from '../k8s/objects/node.ts';
import type { Pod } from '../k8s/objects/pod.ts';
import type { Service } from '../k8s/objects/service.ts';
import { DesiredStateAssembler } from './desired-state-assembler.ts';
import type { DesiredState } from './desired-state.ts';
import { byName, hostRoutes } from './host-routes.ts';
import type { DrainedEndpoints, ModelConfig } from './model-config.ts';
import { excludedClients, guardedServiceModel } from './network-policy-guard.ts';
import { serviceModel } from './service-frontends.ts';

/** The cluster objects the model reads (validated, see src/k8s/objects). */
export interface ClusterSnapshot {
  readonly services: Iterable<Service>;
  readonly endpointSlices: Iterable<EndpointSlice>;
  readonly nodes: Iterable<Node>;
  readonly networkPolicies?: Iterable<NetworkPolicy>;
  readonly pods?: Iterable<Pod>;
}

/**
 * The desired load-balancing state of a whole cluster: a pure function of the objects,
 * the fabric's node attachments and the drained endpoints. The controller computes the
 * same thing incrementally (src/controller/desired-state-pipeline.ts) with the same parts.
 */
export function computeDesiredState(
  cluster: ClusterSnapshot,
  config: ModelConfig,
  drained: DrainedEndpoints = new Set(),
): DesiredState {
  const nodes = [...cluster.nodes].sort(byName);
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of cluster.endpointSlices) {
    const key = sliceServiceKey(slice);
    if (key === undefined) continue;
    const list = slicesByService.get(key);
    if (list === undefined) slicesByService.set(key, [slice]);
    else list.push(slice);
  }
  const policies = [...(cluster.networkPolicies ?? [])];
  const assembler = new DesiredStateAssembler();
  for (const service of cluster.services) {
    const key = objectKey(service.metadata);
    assembler.setService(
      key,
      guardedServiceModel(
        service,
        serviceModel(service, slicesByService.get(key) ?? [], nodes, drained),
        policies,
        config.networkPolicyEnforcedOnFastPath ?? false,
      ),
    );
  }
  assembler.setRoutes(hostRoutes(nodes, config));
  assembler.setExcludedClients(
    excludedClients(
      cluster.pods ?? [],
      (namespace) => policies.filter((p) => p.metadata.namespace === namespace),
      config.networkPolicyEnforcedOnFastPath ?? false,
    ),
  );
  return assembler.build();
}

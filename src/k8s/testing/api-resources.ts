/** The resource types the test API server serves, with the names the real one uses. */
export interface ResourceType {
  /** API group ('' for the core group). */
  readonly group: string;
  readonly version: string;
  /** Plural, lower-case: the URL segment. */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    plural: 'leases',
    kind: 'Lease',
    namespaced: true,
  },
  { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
  },
];

/** "services", "leases.coordination.k8s.io": how the API names a resource in messages. */
export function qualifiedName(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export function resourceTypeOfKind(kind: string): ResourceType {
  const type = RESOURCE_TYPES.find((t) => t.kind === kind);
  if (!type) throw new Error(`the test API server does not serve kind ${kind}`);
  return type;
}

/** The API's Status object for a failure. */
export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: { readonly name?: string; readonly group?: string; readonly kind?: string };
  readonly code: number;
}

export function failure(
  code: number,
  reason: string,
  message: string,
  details?: Status['details'],
): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

export function notFound(type: ResourceType, name: string): Status {
  return failure(404, 'NotFound', `${qualifiedName(type)} "${name}" not found`, {
    name,
    group: type.group,
    kind: type.plural,
  });
}

export function alreadyExists(type: ResourceType, name: string): Status {
  return failure(409, 'AlreadyExists', `${qualifiedName(type)} "${name}" already exists`, {
    name,
    group: type.group,
    kind: type.plural,
  });
}

export function conflict(type: ResourceType, name: string): Status {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: type.group, kind: type.plural },
  );
}

/** What a watch or list from a compacted resourceVersion gets. */
export function tooOld(requested: number, oldest: number): Status {
  return failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

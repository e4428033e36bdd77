import { randomUUID } from 'node:crypto';
import {
  alreadyExists,
  apiVersionOf,
  conflict,
  notFound,
  type ResourceType,
  type Status,
} from './api-resources.ts';
import type { ApiObject } from './object-builders.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, as etcd keeps it: the revision it made and the object after it. */
export interface Change {
  readonly resourceVersion: number;
  readonly type: WatchEventType;
  readonly resource: ResourceType;
  readonly object: ApiObject;
  /** The object before the change (undefined for ADDED): watches with a selector need it. */
  readonly previous: ApiObject | undefined;
}

export type StoreResult = { ok: true; object: ApiObject } | { ok: false; status: Status };

/**
 * The storage of the test API server, with etcd's versioning: one revision counter for
 * every object, each write stamps the object's resourceVersion with the new revision and
 * appends a Change to the history that watches replay. Compaction forgets the history up
 * to a revision; a watch from before it must relist (410). Objects are copied in and out,
 * so no caller can change what is stored.
 */
export class ApiStore {
  private revision = 100;
  private oldestWatchable = 100;
  private readonly objects = new Map<ResourceType, Map<string, ApiObject>>();
  private history: Change[] = [];
  private readonly subscribers = new Set<(change: Change) => void>();

  /** historyLimit: the store compacts itself to keep at most this many changes. */
  constructor(private readonly historyLimit = 100_000) {}

  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch may start from. */
  get compactedAt(): number {
    return this.oldestWatchable;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): ApiObject | undefined {
    const object = this.table(type).get(key(namespace, name));
    return object && structuredClone(object);
  }

  /** Every object of a type (in one namespace if given), sorted by namespace/name. */
  list(type: ResourceType, namespace?: string): ApiObject[] {
    const entries = [...this.table(type).entries()]
      .filter(([, o]) => namespace === undefined || o.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return entries.map(([, o]) => structuredClone(o));
  }

  create(type: ResourceType, object: ApiObject): StoreResult {
    const name = object.metadata.name;
    const table = this.table(type);
    const k = key(object.metadata.namespace, name);
    if (table.has(k)) return { ok: false, status: alreadyExists(type, name) };
    const stored = this.stamp(type, structuredClone(object), {
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    });
    table.set(k, stored);
    this.record('ADDED', type, stored, undefined);
    return { ok: true, object: structuredClone(stored) };
  }

  /** Replaces an object; a resourceVersion in it must be the stored one (else 409). */
  update(type: ResourceType, object: ApiObject): StoreResult {
    const name = object.metadata.name;
    const table = this.table(type);
    const k = key(object.metadata.namespace, name);
    const current = table.get(k);
    if (current === undefined) return { ok: false, status: notFound(type, name) };
    const expected = object.metadata.resourceVersion;
    if (
      expected !== undefined &&
      expected !== '' &&
      expected !== current.metadata.resourceVersion
    ) {
      return { ok: false, status: conflict(type, name) };
    }
    const stored = this.stamp(type, structuredClone(object), {
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
    });
    table.set(k, stored);
    this.record('MODIFIED', type, stored, current);
    return { ok: true, object: structuredClone(stored) };
  }

  delete(type: ResourceType, namespace: string | undefined, name: string): StoreResult {
    const table = this.table(type);
    const k = key(namespace, name);
    const current = table.get(k);
    if (current === undefined) return { ok: false, status: notFound(type, name) };
    table.delete(k);
    // The DELETED event carries the last state with the revision of the deletion.
    this.revision++;
    const gone = {
      ...current,
      metadata: { ...current.metadata, resourceVersion: String(this.revision) },
    };
    this.record('DELETED', type, gone, current);
    return { ok: true, object: structuredClone(gone) };
  }

  /**
   * The changes of one type after `since`, or undefined when `since` is older than the
   * history (compacted): the caller must answer 410.
   */
  changesSince(type: ResourceType, since: number): Change[] | undefined {
    if (since < this.oldestWatchable) return undefined;
    return this.history.filter((c) => c.resource === type && c.resourceVersion > since);
  }

  /** Called synchronously after every change. Returns the unsubscribe function. */
  subscribe(listener: (change: Change) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** Forgets the history up to now, as etcd compaction does. */
  compact(): void {
    this.history = [];
    this.oldestWatchable = this.revision;
  }

  private table(type: ResourceType): Map<string, ApiObject> {
    let table = this.objects.get(type);
    if (table === undefined) this.objects.set(type, (table = new Map()));
    return table;
  }

  private stamp(type: ResourceType, object: ApiObject, keep: Record<string, unknown>): ApiObject {
    this.revision++;
    object.apiVersion = apiVersionOf(type);
    object.kind = type.kind;
    object.metadata = { ...object.metadata, ...keep, resourceVersion: String(this.revision) };
    if (!type.namespaced) delete object.metadata.namespace;
    return object;
  }

  private record(
    type: WatchEventType,
    resource: ResourceType,
    object: ApiObject,
    previous: ApiObject | undefined,
  ) {
    const change: Change = { resourceVersion: this.revision, type, resource, object, previous };
    this.history.push(change);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.oldestWatchable = dropped[dropped.length - 1]!.resourceVersion;
    }
    for (const listener of this.subscribers) listener(change);
  }
}

function key(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { z } from 'zod';
import { silentLogger, type Logger } from '../base/logger.ts';
import type { Counter, MetricsRegistry } from '../metrics/registry.ts';
import { Backoff } from '../p4rt/backoff.ts';
import type { ApiClient } from './api-client.ts';
import type { InvalidObjectReporter } from './invalid-object-reporter.ts';
import { objectIdentity } from './objects/meta.ts';
import type { WatchedResource } from './resources.ts';

export interface InformerOptions {
  /** Objects per list page (the API's `limit`). Default 500. */
  readonly pageSize?: number;
  /**
   * Server-side length of one watch: each watch asks for a random timeoutSeconds in
   * [t, 2t), so that replicas do not reconnect in step. Default 300.
   */
  readonly watchTimeoutSeconds?: number;
  /**
   * A watch that delivers nothing (no event, no bookmark) for this long is considered
   * stalled, dropped and resumed from its resourceVersion. Default 90 s (bookmarks
   * arrive about once a minute from a real API server).
   */
  readonly inactivityTimeoutMs?: number;
  /** Restart delays after errors. Default 1 s doubling to 30 s, with ±20 % jitter. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly reporter?: InvalidObjectReporter;
  readonly logger?: Logger;
  readonly metrics?: InformerMetrics;
}

/** Callbacks of an informer; called synchronously, with objects nobody may mutate. */
export interface InformerHandlers<T> {
  upsert(object: T): void;
  /** The object is gone (or its new version is invalid). */
  delete(key: { readonly namespace?: string; readonly name: string }): void;
}

export interface InformerStats {
  lists: number;
  watches: number;
  restarts: number;
  events: number;
  bookmarks: number;
}

const listEnvelope = z.object({
  metadata: z.object({ resourceVersion: z.string(), continue: z.string().nullish() }),
  items: z.array(z.unknown()).nullish(),
});

/**
 * An informer for one resource on client-node's ListWatch: it lists, then watches from
 * the list's resourceVersion (with bookmarks), relists on 410 Gone and emits deletes for
 * what vanished. What this class adds, for ListWatch's known gaps:
 * - every object is validated (zod) before it enters the cache; a bad one is reported
 *   and treated as absent (its last good version is removed), so the cache is always a
 *   function of the API's current objects, whatever the order of events;
 * - after any error other than 410 ListWatch stops: it is restarted with backoff and
 *   resumes from its resourceVersion (a relist if that is too old);
 * - watches have a server-side timeout and a client-side inactivity timeout, so a
 *   stalled connection is noticed;
 * - `synced` turns true once the first list is in the cache (nothing may act before).
 */
export class Informer<T extends { metadata: { name: string; namespace?: string } }> {
  readonly stats: InformerStats = { lists: 0, watches: 0, restarts: 0, events: 0, bookmarks: 0 };
  private readonly listWatch: ListWatch<KubernetesObject>;
  private readonly backoff: Backoff;
  private readonly logger: Logger;
  private stopped = true;
  private isSynced = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(
    private readonly client: ApiClient,
    private readonly resource: WatchedResource<T>,
    private readonly handlers: InformerHandlers<T>,
    private readonly options: InformerOptions = {},
  ) {
    this.logger = (options.logger ?? silentLogger).child('informer');
    this.backoff = new Backoff({
      initialMs: options.backoff?.initialMs ?? 1000,
      maxMs: options.backoff?.maxMs ?? 30_000,
      multiplier: 2,
    });
    const watch = new ObservedWatch(
      client.kubeConfig,
      this,
      options.inactivityTimeoutMs ?? 90_000,
      options.watchTimeoutSeconds ?? 300,
    );
    this.listWatch = new ListWatch(
      resource.path,
      watch,
      () => this.list(),
      false,
      undefined,
      undefined,
      {
        delayFn: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
      },
    );
    this.listWatch.on('add', (object) => handlers.upsert(object as unknown as T));
    this.listWatch.on('update', (object) => handlers.upsert(object as unknown as T));
    this.listWatch.on('delete', (object) => {
      const meta = object.metadata!;
      handlers.delete({ namespace: meta.namespace, name: meta.name! });
      options.reporter?.forget(resource.kind, meta.namespace, meta.name!);
    });
    this.listWatch.on('error', (error) => this.restartAfter(error));
  }

  get synced(): boolean {
    return this.isSynced;
  }

  get name(): string {
    return this.resource.name;
  }

  /** Resolves once the first list is in the cache. */
  whenSynced(): Promise<void> {
    if (this.isSynced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.listWatch.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.listWatch.stop();
  }

  /** The resourceVersion the next watch resumes from ('' when the next step is a list). */
  get resourceVersion(): string {
    return this.listWatch.latestResourceVersion();
  }

  /** Every object in the cache (validated). */
  objects(): T[] {
    return this.listWatch.list() as unknown as T[];
  }

  /** Called by ObservedWatch when a watch is about to start: the list before it is done. */
  watchStarting(): boolean {
    if (this.stopped) return false;
    this.stats.watches++;
    this.options.metrics?.watches.inc({ resource: this.resource.name });
    if (!this.isSynced) {
      this.isSynced = true;
      this.logger.info('cache synced', {
        resource: this.resource.name,
        objects: this.objects().length,
      });
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
    return true;
  }

  /**
   * Validates one watch event and forwards what ListWatch should see: a valid object as
   * is; an invalid one as a DELETED of its name (so a previous good version leaves the
   * cache), or as a BOOKMARK when not even its name can be read.
   */
  watchEvent(phase: string, raw: unknown, forward: (phase: string, object: unknown) => void): void {
    if (phase === 'BOOKMARK') {
      this.stats.bookmarks++;
      forward(phase, raw);
      return;
    }
    if (phase === 'ERROR') {
      this.logger.info('watch ended by the server', { resource: this.resource.name, status: raw });
      forward(phase, raw);
      return;
    }
    this.stats.events++;
    this.options.metrics?.events.inc({ resource: this.resource.name, type: phase });
    this.backoff.reset();
    const identity = objectIdentity.safeParse(raw);
    if (phase === 'DELETED') {
      if (identity.success) forward(phase, identity.data);
      return;
    }
    const parsed = this.resource.schema.safeParse(raw);
    if (parsed.success) {
      forward(phase, parsed.data);
      return;
    }
    this.options.reporter?.report({ kind: this.resource.kind, raw, error: parsed.error });
    if (identity.success) forward('DELETED', identity.data);
    else {
      const version = (raw as { metadata?: { resourceVersion?: unknown } } | null)?.metadata
        ?.resourceVersion;
      if (typeof version === 'string')
        forward('BOOKMARK', { metadata: { resourceVersion: version } });
    }
  }

  /** ListWatch's list function: every page, each object validated. */
  private async list(): Promise<{
    metadata: { resourceVersion: string };
    items: KubernetesObject[];
  }> {
    this.stats.lists++;
    this.options.metrics?.lists.inc({ resource: this.resource.name });
    const items: KubernetesObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const result = await this.client.request({
        method: 'GET',
        path: this.resource.path,
        query: { limit: this.options.pageSize ?? 500, continue: continueToken },
      });
      if (!result.ok)
        throw Object.assign(new Error(`list ${this.resource.name}: ${result.message}`), {
          statusCode: result.status,
        });
      const page = listEnvelope.safeParse(result.body);
      if (!page.success)
        throw new Error(`list ${this.resource.name}: not a list: ${page.error.message}`);
      for (const raw of page.data.items ?? []) {
        const parsed = this.resource.schema.safeParse(raw);
        if (parsed.success) items.push(parsed.data as KubernetesObject);
        else this.options.reporter?.report({ kind: this.resource.kind, raw, error: parsed.error });
      }
      continueToken = page.data.metadata.continue || undefined;
      resourceVersion = page.data.metadata.resourceVersion;
    } while (continueToken !== undefined);
    this.backoff.reset();
    return { metadata: { resourceVersion }, items };
  }

  private restartAfter(error: unknown): void {
    if (this.stopped) return;
    const delay = this.backoff.next();
    this.stats.restarts++;
    this.options.metrics?.restarts.inc({ resource: this.resource.name });
    this.logger.warn('watch failed, restarting', {
      resource: this.resource.name,
      error: error instanceof Error ? error.message : String(error),
      delayMs: delay,
      resumeFrom: this.resourceVersion || 'a new list',
    });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) void this.listWatch.start();
    }, delay);
  }
}

/**
 * client-node's Watch with what ListWatch cannot ask for itself: bookmarks, a server-side
 * timeout, an inactivity timeout, validation of each event, and the "list done" signal.
 */
class ObservedWatch<T extends { metadata: { name: string; namespace?: string } }> extends Watch {
  constructor(
    config: KubeConfig,
    private readonly informer: Informer<T>,
    inactivityTimeoutMs: number,
    private readonly timeoutSeconds: number,
  ) {
    super(config);
    // Watch's inactivity timer (private in its typings): a stalled watch ends with a
    // TimeoutError, on which ListWatch resumes from its resourceVersion at once.
    (this as unknown as { requestTimeoutMs: number }).requestTimeoutMs = inactivityTimeoutMs;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (!this.informer.watchStarting()) {
      done(null);
      return new AbortController();
    }
    const params = {
      ...queryParams,
      allowWatchBookmarks: true,
      timeoutSeconds: this.timeoutSeconds + Math.floor(Math.random() * this.timeoutSeconds),
    };
    return super.watch(
      path,
      params,
      (phase, object) => this.informer.watchEvent(phase, object, callback),
      done,
    );
  }
}

/** The informers' metrics, shared by all of them (labelled by resource). */
export interface InformerMetrics {
  readonly lists: Counter;
  readonly watches: Counter;
  readonly restarts: Counter;
  readonly events: Counter;
}

export function informerMetrics(registry: MetricsRegistry): InformerMetrics {
  return {
    lists: registry.counter('talaria_k8s_lists_total', 'Full lists of a watched resource'),
    watches: registry.counter('talaria_k8s_watches_total', 'Watches started'),
    restarts: registry.counter(
      'talaria_k8s_informer_restarts_total',
      'Informer restarts after errors',
    ),
    events: registry.counter('talaria_k8s_watch_events_total', 'Watch events received'),
  };
}

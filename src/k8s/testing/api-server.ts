import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import {
  apiVersionOf,
  failure,
  notFound,
  RESOURCE_TYPES,
  resourceTypeOfKind,
  tooOld,
  type ResourceType,
  type Status,
} from './api-resources.ts';
import { ApiStore, type Change, type StoreResult, type WatchEventType } from './api-store.ts';
import { parseLabelSelector, type LabelSelector } from './label-selector.ts';
import type { ApiObject } from './object-builders.ts';

/**
 * A small Kubernetes API server for tests and the demo: real HTTP on 127.0.0.1 that answers
 * like kube-apiserver for what Talaria uses (docs/kubernetes.md, "The test API server"):
 * - list (with labelSelector, limit/continue) answering the current resourceVersion;
 * - watch from a resourceVersion, replaying the history after it, with bookmarks when
 *   allowWatchBookmarks=true, ending after timeoutSeconds; from a compacted
 *   resourceVersion it answers 410 Expired, as an ERROR event or as HTTP 410;
 * - get, create, update (409 Conflict on a stale resourceVersion, 409 AlreadyExists)
 *   and delete of every type it knows (Services, EndpointSlices, Nodes, Leases, Events,
 *   ConfigMaps, Secrets).
 * It stores what it is given without the real server's validation: that is how tests
 * put bad objects in front of the controller. Faults are injected with cutWatches,
 * expireWatches, stallWatches and failNextRequests.
 */

export interface TestApiServerOptions {
  /**
   * How a watch from a compacted resourceVersion is refused: 'event' (HTTP 200, then an
   * ERROR event with the 410 Status, as the watch cache does) or 'status' (HTTP 410).
   */
  readonly expiredWatch?: 'event' | 'status';
  /** How often a watch that allows bookmarks gets one (ms). */
  readonly bookmarkIntervalMs?: number;
  /** The history kept for watches; older changes are compacted away. */
  readonly historyLimit?: number;
}

/** One request the server answered, for tests that check what the client asked. */
export interface RequestRecord {
  readonly method: string;
  readonly resource: string;
  readonly watch: boolean;
  readonly query: Readonly<Record<string, string>>;
}

interface Route {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

interface InjectedFailure {
  remaining: number;
  readonly status: number;
  readonly method: string | undefined;
  readonly resource: string | undefined;
}

/** Default watch length when the client sets no timeoutSeconds (the real default is 30-60 min). */
const DEFAULT_WATCH_SECONDS = 1800;

export class TestApiServer {
  readonly store: ApiStore;
  readonly requests: RequestRecord[] = [];
  private readonly watches = new Set<WatchStream>();
  private readonly failures: InjectedFailure[] = [];
  private readonly listSnapshots = new Map<string, ApiObject[]>();
  private readonly bookmarkTimer: NodeJS.Timeout;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: TestApiServerOptions,
  ) {
    this.store = new ApiStore(options.historyLimit);
    this.bookmarkTimer = setInterval(
      () => this.sendBookmarks(),
      options.bookmarkIntervalMs ?? 1000,
    );
    this.bookmarkTimer.unref();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendStatus(res, failure(500, 'InternalError', String(error)));
        else res.destroy();
      });
    });
  }

  /** Starts a server on 127.0.0.1 on a free port (or `port`). */
  static async start(options: TestApiServerOptions = {}, port = 0): Promise<TestApiServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    const address = server.address() as AddressInfo;
    return new TestApiServer(server, `http://127.0.0.1:${address.port}`, options);
  }

  /** A client-node KubeConfig for this server (plain http on loopback, a dummy token). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'talaria-test', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'talaria-test', token: 'talaria-test-token' }],
      contexts: [{ name: 'talaria-test', cluster: 'talaria-test', user: 'talaria-test' }],
      currentContext: 'talaria-test',
    });
    return kc;
  }

  /** Creates the object, or replaces it if it exists (as `kubectl apply` would, roughly). */
  apply(object: ApiObject): ApiObject {
    const type = resourceTypeOfKind(object.kind);
    const current = this.store.get(type, object.metadata.namespace, object.metadata.name);
    const copy = { ...object, metadata: { ...object.metadata, resourceVersion: undefined } };
    return unwrap(current ? this.store.update(type, copy) : this.store.create(type, copy));
  }

  /** Deletes an object; false when it did not exist. */
  remove(kind: string, namespace: string | undefined, name: string): boolean {
    return this.store.delete(resourceTypeOfKind(kind), namespace, name).ok;
  }

  list(kind: string): ApiObject[] {
    return this.store.list(resourceTypeOfKind(kind));
  }

  /** Forgets the history up to now: every watch from an older resourceVersion gets 410. */
  compact(): void {
    this.store.compact();
    this.listSnapshots.clear();
  }

  get openWatches(): number {
    return this.watches.size;
  }

  /**
   * Cuts every open watch connection (the socket, without ending the response). With
   * midEvent, half of an event line is sent first, as when a connection breaks mid-write.
   */
  cutWatches(options: { midEvent?: boolean } = {}): number {
    const cut = [...this.watches];
    for (const watch of cut) watch.cut(options.midEvent ?? false);
    return cut.length;
  }

  /** Sends every open watch an ERROR event with 410 Expired and ends it. */
  expireWatches(): number {
    const expired = [...this.watches];
    for (const watch of expired) watch.expire(this.store.resourceVersion);
    return expired.length;
  }

  /**
   * The watches open now stay connected but get nothing more, as over a stuck
   * connection; watches opened later are served normally.
   */
  stallWatches(): number {
    for (const watch of this.watches) watch.stall();
    return this.watches.size;
  }

  /** Answers the next `count` requests (matching method/resource if given) with `status`. */
  failNextRequests(
    count: number,
    status: number,
    match: { method?: string; resource?: string } = {},
  ): void {
    this.failures.push({
      remaining: count,
      status,
      method: match.method,
      resource: match.resource,
    });
  }

  sendBookmarks(): void {
    for (const watch of this.watches) watch.bookmark(this.store.resourceVersion);
  }

  async stop(): Promise<void> {
    clearInterval(this.bookmarkTimer);
    for (const watch of this.watches) watch.cut(false);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const route = parseRoute(url.pathname);
    const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    const method = req.method ?? 'GET';
    if (route === undefined) {
      sendStatus(res, failure(404, 'NotFound', `the server could not find the requested resource`));
      return;
    }
    this.requests.push({
      method,
      resource: route.type.plural,
      watch,
      query: Object.fromEntries(url.searchParams),
    });
    const injected = this.failures.find(
      (f) =>
        f.remaining > 0 &&
        (f.method ?? method) === method &&
        (f.resource ?? route.type.plural) === route.type.plural,
    );
    if (injected) {
      injected.remaining--;
      sendStatus(res, failure(injected.status, 'InternalError', 'injected failure'));
      return;
    }
    if (method === 'GET' && route.name !== undefined) {
      const object = this.store.get(route.type, route.namespace, route.name);
      if (object) sendJson(res, 200, object);
      else sendStatus(res, notFound(route.type, route.name));
      return;
    }
    if (method === 'GET' && watch) return this.serveWatch(route, url, req, res);
    if (method === 'GET') return this.serveList(route, url, res);
    if (method === 'DELETE' && route.name !== undefined) {
      respond(res, this.store.delete(route.type, route.namespace, route.name), 200);
      return;
    }
    if (method === 'POST' || method === 'PUT') {
      const body = await readJson(req);
      if (!isApiObject(body)) {
        sendStatus(res, failure(400, 'BadRequest', 'the body is not an object with metadata'));
        return;
      }
      const checked = checkBody(route, body, method);
      if (checked) {
        sendStatus(res, checked);
        return;
      }
      if (route.namespace !== undefined) body.metadata.namespace = route.namespace;
      if (method === 'POST') {
        if (!body.metadata.name && typeof body.metadata.generateName === 'string') {
          body.metadata.name = `${body.metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
        }
        respond(res, this.store.create(route.type, body), 201);
      } else {
        respond(res, this.store.update(route.type, body), 200);
      }
      return;
    }
    sendStatus(res, failure(405, 'MethodNotAllowed', `${method} is not supported here`));
  }

  private serveList(route: Route, url: URL, res: ServerResponse): void {
    const selector = selectorOf(url, res);
    if (selector === undefined) return;
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const token = url.searchParams.get('continue');
    let items: ApiObject[];
    let resourceVersion: string;
    if (token) {
      const snapshot = this.listSnapshots.get(token);
      if (snapshot === undefined) {
        sendStatus(
          res,
          failure(
            410,
            'Expired',
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          ),
        );
        return;
      }
      this.listSnapshots.delete(token);
      items = snapshot;
      resourceVersion = token.split('.')[0]!;
    } else {
      items = this.store
        .list(route.type, route.namespace)
        .filter((o) => selector(o.metadata.labels));
      resourceVersion = String(this.store.resourceVersion);
    }
    const metadata: Record<string, unknown> = { resourceVersion };
    if (limit > 0 && items.length > limit) {
      const next = `${resourceVersion}.${randomBytes(6).toString('hex')}`;
      this.listSnapshots.set(next, items.slice(limit));
      metadata.continue = next;
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
    }
    sendJson(res, 200, {
      kind: `${route.type.kind}List`,
      apiVersion: apiVersionOf(route.type),
      metadata,
      // A list's items carry no kind and apiVersion of their own.
      items: items.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest),
    });
  }

  private serveWatch(route: Route, url: URL, req: IncomingMessage, res: ServerResponse): void {
    const selector = selectorOf(url, res);
    if (selector === undefined) return;
    const fromText = url.searchParams.get('resourceVersion') ?? '';
    const matches = (o: ApiObject | undefined) =>
      o !== undefined &&
      (route.namespace === undefined || o.metadata.namespace === route.namespace) &&
      selector(o.metadata.labels);
    let backlog: { type: WatchEventType; object: ApiObject }[];
    if (fromText === '' || fromText === '0') {
      // No resourceVersion: the current objects as ADDED events, then what follows.
      backlog = this.store
        .list(route.type, route.namespace)
        .filter(matches)
        .map((object) => ({ type: 'ADDED', object }));
    } else {
      const from = Number(fromText);
      if (!Number.isSafeInteger(from) || from < 0) {
        sendStatus(res, failure(400, 'BadRequest', `invalid resourceVersion '${fromText}'`));
        return;
      }
      const changes = this.store.changesSince(route.type, from);
      if (changes === undefined) {
        const status = tooOld(from, this.store.compactedAt);
        if (this.options.expiredWatch === 'status') sendStatus(res, status);
        else {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
        }
        return;
      }
      backlog = changes.flatMap((c) => eventFor(c, matches));
    }
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? DEFAULT_WATCH_SECONDS);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const stream = new WatchStream(
      route.type,
      res,
      url.searchParams.get('allowWatchBookmarks') === 'true',
    );
    this.watches.add(stream);
    const unsubscribe = this.store.subscribe((change) => {
      if (change.resource !== route.type) return;
      for (const event of eventFor(change, matches)) stream.send(event.type, event.object);
    });
    const timer = setTimeout(() => res.end(), Math.max(0, timeoutSeconds) * 1000);
    const finish = () => {
      clearTimeout(timer);
      unsubscribe();
      this.watches.delete(stream);
    };
    res.on('close', finish);
    req.on('close', finish);
    for (const event of backlog) stream.send(event.type, event.object);
  }
}

/** One open watch response. */
class WatchStream {
  private stalled = false;

  constructor(
    private readonly type: ResourceType,
    private readonly res: ServerResponse,
    private readonly bookmarks: boolean,
  ) {}

  stall(): void {
    this.stalled = true;
  }

  send(type: WatchEventType | 'BOOKMARK' | 'ERROR', object: unknown): void {
    if (this.stalled || this.res.writableEnded || this.res.destroyed) return;
    this.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  bookmark(resourceVersion: number): void {
    if (!this.bookmarks) return;
    this.send('BOOKMARK', {
      kind: this.type.kind,
      apiVersion: apiVersionOf(this.type),
      metadata: { resourceVersion: String(resourceVersion) },
    });
  }

  /** Ends the watch with 410, stalled or not (the server closes it either way). */
  expire(resourceVersion: number): void {
    if (!this.res.writableEnded && !this.res.destroyed) {
      this.res.write(
        `${JSON.stringify({ type: 'ERROR', object: tooOld(resourceVersion - 1, resourceVersion) })}\n`,
      );
    }
    this.res.end();
  }

  cut(midEvent: boolean): void {
    if (midEvent && !this.res.destroyed) this.res.write('{"type":"MODIFIED","object":{"kind":');
    // Destroy after the partial write has reached the socket.
    setImmediate(() => this.res.socket?.destroy());
  }
}

/** The watch events one change means for a watcher that sees objects `matches` accepts. */
function eventFor(
  change: Change,
  matches: (o: ApiObject | undefined) => boolean,
): { type: WatchEventType; object: ApiObject }[] {
  const now = change.type !== 'DELETED' && matches(change.object);
  const before = matches(change.previous);
  if (change.type === 'DELETED') return before ? [{ type: 'DELETED', object: change.object }] : [];
  if (now && before) return [{ type: 'MODIFIED', object: change.object }];
  if (now) return [{ type: 'ADDED', object: change.object }];
  // Moved out of the selector: the watcher sees it go.
  if (before) return [{ type: 'DELETED', object: change.object }];
  return [];
}

function parseRoute(pathname: string): Route | undefined {
  const segments = pathname.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (segments[0] === 'api' && segments[1] === 'v1') {
    group = '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    group = segments[1]!;
    rest = segments.slice(3);
    if (!RESOURCE_TYPES.some((t) => t.group === group && t.version === segments[2]))
      return undefined;
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const type = RESOURCE_TYPES.find((t) => t.group === group && t.plural === rest[0]);
  if (type === undefined || rest.length > 2 || (namespace !== undefined && !type.namespaced))
    return undefined;
  return { type, namespace, name: rest[1] };
}

function selectorOf(url: URL, res: ServerResponse): LabelSelector | undefined {
  try {
    return parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
  } catch (error) {
    sendStatus(res, failure(400, 'BadRequest', (error as Error).message));
    return undefined;
  }
}

/** What the real server refuses before storing: mismatched names, incomplete Events. */
function checkBody(route: Route, body: ApiObject, method: string): Status | undefined {
  const meta = body.metadata;
  if (
    route.namespace !== undefined &&
    meta.namespace !== undefined &&
    meta.namespace !== route.namespace
  ) {
    return failure(
      400,
      'BadRequest',
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  if (method === 'PUT' && meta.name !== route.name) {
    return failure(400, 'BadRequest', 'the name of the object does not match the name on the URL');
  }
  if (method === 'POST' && route.name !== undefined) {
    return failure(405, 'MethodNotAllowed', 'POST to a named object');
  }
  if (!meta.name && typeof meta.generateName !== 'string') {
    return failure(
      422,
      'Invalid',
      'metadata.name: Required value: name or generateName is required',
    );
  }
  if (route.type.kind === 'Event') {
    const missing = [
      'eventTime',
      'reportingController',
      'reportingInstance',
      'action',
      'reason',
    ].filter((field) => typeof body[field] !== 'string' || body[field] === '');
    if (!['Normal', 'Warning'].includes(String(body.type))) missing.push('type');
    if (missing.length > 0) {
      return failure(
        422,
        'Invalid',
        `Event "${meta.name ?? ''}" is invalid: ${missing.map((f) => `${f}: Required value`).join(', ')}`,
      );
    }
  }
  return undefined;
}

function isApiObject(body: unknown): body is ApiObject {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { metadata?: unknown }).metadata === 'object' &&
    (body as { metadata?: unknown }).metadata !== null
  );
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function respond(res: ServerResponse, result: StoreResult, okCode: number): void {
  if (result.ok) sendJson(res, okCode, result.object);
  else sendStatus(res, result.status);
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendStatus(res: ServerResponse, status: Status): void {
  sendJson(res, status.code, status);
}

function unwrap(result: StoreResult): ApiObject {
  if (!result.ok) throw new Error(result.status.message);
  return result.object;
}

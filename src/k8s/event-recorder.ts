import { randomBytes } from 'node:crypto';
import type { ApiClient, ApiResult } from './api-client.ts';

/** The object an Event is about. */
export interface EventSubject {
  readonly kind: string;
  readonly apiVersion: string;
  /** Undefined for cluster-scoped objects (their Events go to the 'default' namespace). */
  readonly namespace: string | undefined;
  readonly name: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
}

export interface EventRecorderOptions {
  /** reportingController: who reports, e.g. 'talaria.dev/controller'. */
  readonly controller: string;
  /** reportingInstance: which replica (pod name). */
  readonly instance: string;
  /** At most this many Events per minute; more are dropped (the log and metrics keep them). */
  readonly perMinute?: number;
  readonly now?: () => number;
}

/** The API's limit on an Event's note. */
const MAX_NOTE_LENGTH = 1024;

/**
 * Writes events.k8s.io/v1 Events, the ones `kubectl describe` and `kubectl events` show
 * beside the object. Rate-limited, so that a relist full of bad objects cannot flood the
 * API server; failures are returned, never thrown (an Event is never worth stopping for).
 */
export class EventRecorder {
  private windowStart = 0;
  private sentInWindow = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly options: EventRecorderOptions,
  ) {}

  async record(
    subject: EventSubject,
    event: { type: 'Normal' | 'Warning'; reason: string; action: string; note: string },
  ): Promise<ApiResult | 'rate-limited'> {
    const now = (this.options.now ?? Date.now)();
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.sentInWindow = 0;
    }
    if (this.sentInWindow >= (this.options.perMinute ?? 30)) return 'rate-limited';
    this.sentInWindow++;
    const namespace = subject.namespace ?? 'default';
    const note =
      event.note.length > MAX_NOTE_LENGTH
        ? `${event.note.slice(0, MAX_NOTE_LENGTH - 3)}...`
        : event.note;
    return this.client.request({
      method: 'POST',
      path: `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
      body: {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: `${subject.name}.${randomBytes(8).toString('hex')}`, namespace },
        eventTime: microTime(now),
        reportingController: this.options.controller,
        reportingInstance: this.options.instance,
        action: event.action,
        reason: event.reason,
        type: event.type,
        note,
        regarding: {
          kind: subject.kind,
          apiVersion: subject.apiVersion,
          ...(subject.namespace ? { namespace: subject.namespace } : {}),
          name: subject.name,
          ...(subject.uid ? { uid: subject.uid } : {}),
          ...(subject.resourceVersion ? { resourceVersion: subject.resourceVersion } : {}),
        },
      },
    });
  }
}

/** The API's MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

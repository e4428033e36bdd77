import type { z } from 'zod';
import type { Logger } from '../base/logger.ts';
import type { Counter, MetricsRegistry } from '../metrics/registry.ts';
import type { EventRecorder, EventSubject } from './event-recorder.ts';
import { SERVICE_NAME_LABEL } from './objects/endpoint-slice.ts';
import { objectIdentity } from './objects/meta.ts';
import { describeIssue } from '../validation/zod-issue.ts';

/** A watched object that failed validation. */
export interface InvalidObject {
  readonly kind: 'Service' | 'EndpointSlice' | 'Node';
  /** The object as it came from the API. */
  readonly raw: unknown;
  readonly error: z.ZodError;
}

/**
 * Reports objects that failed validation, once per object version: a log line, the
 * metric talaria_k8s_invalid_objects_total{kind}, and a Warning Event on the Service (an
 * EndpointSlice's Event goes to the Service its label names; a Node's to the Node).
 */
export class InvalidObjectReporter {
  private readonly seen = new Set<string>();
  private readonly counter: Counter | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly events: EventRecorder | undefined,
    metrics: MetricsRegistry | undefined,
  ) {
    this.counter = metrics?.counter(
      'talaria_k8s_invalid_objects_total',
      'Objects from the API that failed validation and were skipped',
    );
  }

  report(invalid: InvalidObject): void {
    const identity = objectIdentity.safeParse(invalid.raw);
    const meta = identity.success ? identity.data.metadata : undefined;
    const name = meta ? `${meta.namespace ? `${meta.namespace}/` : ''}${meta.name}` : '(no name)';
    const dedupeKey = `${invalid.kind}|${name}|${meta?.resourceVersion ?? ''}`;
    if (this.seen.has(dedupeKey)) return;
    this.seen.add(dedupeKey);
    const problems = describeIssues(invalid.error);
    this.counter?.inc({ kind: invalid.kind });
    this.logger.warn('skipped an invalid object', { kind: invalid.kind, name, problems });
    if (this.events === undefined || meta === undefined) return;
    void this.events
      .record(subjectOf(invalid.kind, meta), {
        type: 'Warning',
        reason: 'InvalidObject',
        action: 'Validate',
        note: `Talaria skipped ${invalid.kind} ${name}: ${problems}`,
      })
      .then((result) => {
        if (result !== 'rate-limited' && !result.ok) {
          this.logger.warn('could not record an Event', {
            name,
            reason: result.reason,
            message: result.message,
          });
        }
      });
  }

  /** Forgets an object's versions (it was deleted), so the set does not grow forever. */
  forget(kind: InvalidObject['kind'], namespace: string | undefined, name: string): void {
    const prefix = `${kind}|${namespace ? `${namespace}/` : ''}${name}|`;
    for (const key of this.seen) if (key.startsWith(prefix)) this.seen.delete(key);
  }
}

/** "spec.ports.0.port: Too big: expected number to be <=65535; ..." */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => describeIssue(issue, '(object)'))
    .join('; ')
    .concat(error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : '');
}

function subjectOf(
  kind: InvalidObject['kind'],
  meta: z.output<typeof objectIdentity>['metadata'],
): EventSubject {
  const serviceName = kind === 'EndpointSlice' ? meta.labels?.[SERVICE_NAME_LABEL] : undefined;
  if (serviceName) {
    return { kind: 'Service', apiVersion: 'v1', namespace: meta.namespace, name: serviceName };
  }
  return {
    kind,
    apiVersion: kind === 'EndpointSlice' ? 'discovery.k8s.io/v1' : 'v1',
    namespace: meta.namespace,
    name: meta.name,
    uid: meta.uid,
    resourceVersion: meta.resourceVersion,
  };
}

import { z } from 'zod';
import type { ApiClient } from '../k8s/api-client.ts';
import type { DesiredState, NotOffloaded } from '../model/desired-state.ts';
import type { Logger } from '../base/logger.ts';

/**
 * The ConfigMap the host agents mount as their frontends file (deploy/agent,
 * src/agent/frontends-file.ts): the frontends every switch serves, so agents send only
 * those the fast way. Written by the leader only, when its text changes.
 */

export const FRONTENDS_CONFIGMAP = 'talaria-frontends';
export const FRONTENDS_FILE_KEY = 'frontends.json';

/** Attempts of one write when another writer keeps winning (409 Conflict). */
const MAX_CONFLICTS = 5;

const configMapObject = z.object({
  metadata: z.object({ resourceVersion: z.string() }).passthrough(),
  data: z.record(z.string(), z.string()).optional(),
});

/**
 * The frontends file text: the frontends of `state` minus the Service ports in
 * `notOffloaded` (the reconciler's list: refused by a switch, IPv6, or not in the model's
 * offload), sorted so the same set always gives the same text. Only what the agent reads
 * is written (no backends): endpoint churn does not rewrite the ConfigMap.
 */
export function offloadedFrontendsFile(
  state: DesiredState,
  notOffloaded: readonly NotOffloaded[],
): string {
  const portKey = (s: NotOffloaded['service']) => `${s.namespace}/${s.name}:${s.portName}`;
  const excluded = new Set(notOffloaded.map((item) => portKey(item.service)));
  const frontends = [...state.frontends.values()]
    .filter((frontend) => !excluded.has(portKey(frontend.service)))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ ip, protocol, port, family }) => ({ ip, protocol, port, family }));
  return JSON.stringify({ frontends });
}

/**
 * Keeps ConfigMap `talaria-frontends` in `namespace` holding the newest text handed to
 * publish(): one write at a time, calls made meanwhile collapse into the newest. Reads
 * before writing (nothing is written when the text is already there), creates the
 * ConfigMap when absent and updates it with the resourceVersion read, re-reading on a 409.
 */
export class FrontendsConfigMap {
  private wanted: string | undefined;
  private written: string | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly client: ApiClient,
    private readonly namespace: string,
    private readonly logger: Logger,
  ) {}

  /** Resolves once the ConfigMap holds `text` (or a newer text), or the write failed (logged). */
  publish(text: string): Promise<void> {
    this.wanted = text;
    // Read again even for the text last written: someone may have reset the ConfigMap.
    this.written = undefined;
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops writing (leadership lost): a write under way finishes, no other starts. */
  close(): void {
    this.closed = true;
  }

  private async drain(): Promise<void> {
    while (!this.closed && this.wanted !== undefined && this.wanted !== this.written) {
      const text = this.wanted;
      const error = await this.write(text);
      if (error !== undefined) {
        // The next publish() tries again.
        this.logger.warn('cannot write the frontends ConfigMap', {
          configMap: `${this.namespace}/${FRONTENDS_CONFIGMAP}`,
          reason: error,
        });
        return;
      }
      this.written = text;
    }
  }

  /** Writes `text`; undefined on success, else why not. */
  private async write(text: string): Promise<string | undefined> {
    const collection = `/api/v1/namespaces/${this.namespace}/configmaps`;
    const path = `${collection}/${FRONTENDS_CONFIGMAP}`;
    const metadata = { name: FRONTENDS_CONFIGMAP, namespace: this.namespace };
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const read = await this.client.request({ method: 'GET', path });
      let result;
      if (!read.ok && read.status === 404) {
        result = await this.client.request({
          method: 'POST',
          path: collection,
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata,
            data: { [FRONTENDS_FILE_KEY]: text },
          },
        });
      } else if (!read.ok) {
        return `GET: ${read.reason}: ${read.message}`;
      } else {
        const current = configMapObject.safeParse(read.body);
        if (!current.success) return `unreadable ConfigMap: ${current.error.message}`;
        if (current.data.data?.[FRONTENDS_FILE_KEY] === text) return undefined;
        result = await this.client.request({
          method: 'PUT',
          path,
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { ...current.data.metadata, ...metadata },
            data: { ...current.data.data, [FRONTENDS_FILE_KEY]: text },
          },
        });
      }
      if (result.ok) return undefined;
      if (result.status !== 409) return `write: ${result.reason}: ${result.message}`;
    }
    return `still conflicting after ${MAX_CONFLICTS} attempts`;
  }
}

import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * JSON requests to the Kubernetes API with the credentials of a client-node KubeConfig
 * (kubeconfig file, in-cluster service account, exec plugins: whatever it supports).
 * Answers are raw JSON: every object is validated with zod by its user, never trusted
 * through a generated class. Failures come back as results, not exceptions.
 */

export type ApiResult =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  | {
      readonly ok: false;
      /** HTTP status, or 0 when no answer came (connection refused, timeout). */
      readonly status: number;
      /** The Status object's reason ('Conflict', 'NotFound', ...), or 'Unreachable'. */
      readonly reason: string;
      readonly message: string;
    };

export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
}

export class ApiClient {
  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly timeoutMs = 30_000,
  ) {}

  get server(): string {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    return cluster.server;
  }

  async request(req: ApiRequest): Promise<ApiResult> {
    const url = new URL(this.server.replace(/\/$/, '') + req.path);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const options: RequestOptions & { headers: Record<string, string> } = {
      method: req.method,
      headers: { Accept: 'application/json' },
      timeout: this.timeoutMs,
    };
    try {
      await this.kubeConfig.applyToHTTPSOptions(options);
    } catch (error) {
      return {
        ok: false,
        status: 0,
        reason: 'Unauthorized',
        message: `credentials: ${(error as Error).message}`,
      };
    }
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (payload !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<ApiResult>((resolve) => {
      const clientRequest = send(url, options, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => resolve(unreachable(error)));
        response.on('end', () => resolve(answer(response.statusCode ?? 0, Buffer.concat(chunks))));
      });
      clientRequest.on('timeout', () =>
        clientRequest.destroy(new Error(`no answer within ${this.timeoutMs} ms`)),
      );
      clientRequest.on('error', (error) => resolve(unreachable(error)));
      clientRequest.end(payload);
    });
  }
}

function answer(status: number, raw: Buffer): ApiResult {
  let body: unknown;
  try {
    body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
  } catch {
    body = undefined;
  }
  if (status >= 200 && status < 300) {
    if (body === undefined && raw.length > 0) {
      return { ok: false, status, reason: 'BadResponse', message: 'the answer is not JSON' };
    }
    return { ok: true, status, body };
  }
  const statusObject = (body ?? {}) as { reason?: unknown; message?: unknown };
  return {
    ok: false,
    status,
    reason: typeof statusObject.reason === 'string' ? statusObject.reason : `HTTP${status}`,
    message: typeof statusObject.message === 'string' ? statusObject.message : `HTTP ${status}`,
  };
}

function unreachable(error: Error): ApiResult {
  return { ok: false, status: 0, reason: 'Unreachable', message: error.message };
}

import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient } from '../../src/k8s/api-client.ts';
import { resourceTypeOfKind } from '../../src/k8s/testing/api-resources.ts';
import { TestApiServer, type TestApiServerOptions } from '../../src/k8s/testing/api-server.ts';
import type { ApiObject } from '../../src/k8s/testing/object-builders.ts';
import { TcpProxy } from './tcp-proxy.ts';

/**
 * The API server a Kubernetes test runs against: our test API server, or a real one (k3s)
 * where a Docker engine answers. The controller under test connects through a TCP proxy
 * (so a test can cut its connections on either); the test itself writes directly.
 */
export interface ApiTarget {
  readonly name: string;
  /** Our server (fault injection, compaction); undefined against a real one. */
  readonly testServer: TestApiServer | undefined;
  readonly proxy: TcpProxy;
  /** Direct client, for the test's own reads and writes. */
  readonly client: ApiClient;
  /** A KubeConfig that reaches the API through the proxy, for the code under test. */
  proxiedKubeConfig(): KubeConfig;
  stop(): Promise<void>;
}

export async function testServerTarget(options: TestApiServerOptions = {}): Promise<ApiTarget> {
  const server = await TestApiServer.start(options);
  return targetFor('test API server', server.kubeConfig(), server, () => server.stop());
}

/** A target for any kubeconfig (k3s's), with a proxy in front of its server. */
export async function targetFor(
  name: string,
  kubeConfig: KubeConfig,
  testServer: TestApiServer | undefined,
  stopServer: () => Promise<void>,
): Promise<ApiTarget> {
  const server = new URL(kubeConfig.getCurrentCluster()!.server);
  const proxy = await TcpProxy.start(server.hostname, Number(server.port || 443));
  return {
    name,
    testServer,
    proxy,
    client: new ApiClient(kubeConfig),
    proxiedKubeConfig() {
      const current = kubeConfig.getCurrentCluster()!;
      const url = new URL(current.server);
      url.host = `127.0.0.1:${proxy.port}`;
      const proxied = new KubeConfig();
      proxied.loadFromOptions({
        clusters: kubeConfig.clusters.map((c) =>
          c.name === current.name ? { ...c, server: url.origin } : c,
        ),
        users: kubeConfig.users,
        contexts: kubeConfig.contexts,
        currentContext: kubeConfig.currentContext,
      });
      return proxied;
    },
    async stop() {
      await proxy.stop();
      await stopServer();
    },
  };
}

export function collectionPath(kind: string, namespace?: string): string {
  const type = resourceTypeOfKind(kind);
  const base = type.group ? `/apis/${type.group}/${type.version}` : '/api/v1';
  return type.namespaced && namespace
    ? `${base}/namespaces/${namespace}/${type.plural}`
    : `${base}/${type.plural}`;
}

/** Creates or replaces an object (replace: with the current resourceVersion). */
export async function applyObject(client: ApiClient, object: ApiObject): Promise<ApiObject> {
  const path = collectionPath(object.kind, object.metadata.namespace);
  const current = await client.request({ method: 'GET', path: `${path}/${object.metadata.name}` });
  const result = current.ok
    ? await client.request({
        method: 'PUT',
        path: `${path}/${object.metadata.name}`,
        body: {
          ...object,
          metadata: {
            ...object.metadata,
            resourceVersion: (current.body as ApiObject).metadata.resourceVersion,
          },
        },
      })
    : await client.request({ method: 'POST', path, body: object });
  if (!result.ok)
    throw new Error(`apply ${object.kind} ${object.metadata.name}: ${result.message}`);
  return result.body as ApiObject;
}

export async function deleteObject(
  client: ApiClient,
  kind: string,
  namespace: string | undefined,
  name: string,
): Promise<void> {
  const result = await client.request({
    method: 'DELETE',
    path: `${collectionPath(kind, namespace)}/${name}`,
  });
  if (!result.ok) throw new Error(`delete ${kind} ${name}: ${result.message}`);
}

export async function listObjects(client: ApiClient, kind: string): Promise<ApiObject[]> {
  const result = await client.request({ method: 'GET', path: collectionPath(kind) });
  if (!result.ok) throw new Error(`list ${kind}: ${result.message}`);
  return (result.body as { items: ApiObject[] }).items;
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/k8s/api-client.ts';
import { TestApiServer } from '../../src/k8s/testing/api-server.ts';
import { parseLabelSelector } from '../../src/k8s/testing/label-selector.ts';
import { serviceObject } from '../../src/k8s/testing/object-builders.ts';

/** The test API server's own contract, the parts the informer tests rely on implicitly. */
describe('test API server', () => {
  let server: TestApiServer;
  let client: ApiClient;
  beforeAll(async () => {
    server = await TestApiServer.start();
    client = new ApiClient(server.kubeConfig());
  });
  afterAll(() => server.stop());

  const leases = '/apis/coordination.k8s.io/v1/namespaces/default/leases';

  it('refuses a stale update with 409 Conflict and a duplicate create with 409 AlreadyExists', async () => {
    const created = await client.request({
      method: 'POST',
      path: leases,
      body: { metadata: { name: 'l1' }, spec: { holderIdentity: 'a' } },
    });
    expect(created).toMatchObject({ ok: true, status: 201 });
    const version = (created as { body: { metadata: { resourceVersion: string } } }).body.metadata
      .resourceVersion;
    const again = await client.request({
      method: 'POST',
      path: leases,
      body: { metadata: { name: 'l1' } },
    });
    expect(again).toEqual({
      ok: false,
      status: 409,
      reason: 'AlreadyExists',
      message: 'leases.coordination.k8s.io "l1" already exists',
    });
    const first = await client.request({
      method: 'PUT',
      path: `${leases}/l1`,
      body: { metadata: { name: 'l1', resourceVersion: version }, spec: { holderIdentity: 'b' } },
    });
    expect(first.ok).toBe(true);
    const stale = await client.request({
      method: 'PUT',
      path: `${leases}/l1`,
      body: { metadata: { name: 'l1', resourceVersion: version }, spec: { holderIdentity: 'c' } },
    });
    expect(stale).toMatchObject({ ok: false, status: 409, reason: 'Conflict' });
    expect(await client.request({ method: 'GET', path: `${leases}/nope` })).toMatchObject({
      status: 404,
      reason: 'NotFound',
    });
  });

  it('lists with a label selector at the current resourceVersion, page by page', async () => {
    for (const [name, tier] of [
      ['a', 'web'],
      ['b', 'db'],
      ['c', 'web'],
    ] as const) {
      const object = serviceObject({ name, clusterIPs: [], ports: [{ port: 80 }] });
      object.metadata.labels = { tier };
      server.apply(object);
    }
    const page = await client.request({
      method: 'GET',
      path: '/api/v1/services',
      query: { labelSelector: 'tier in (web)', limit: 1 },
    });
    const body = (
      page as {
        body: {
          metadata: { resourceVersion: string; continue: string };
          items: { metadata: { name: string } }[];
        };
      }
    ).body;
    expect(body.items.map((i) => i.metadata.name)).toEqual(['a']);
    expect(body.metadata.resourceVersion).toBe(String(server.store.resourceVersion));
    const rest = await client.request({
      method: 'GET',
      path: '/api/v1/services',
      query: { continue: body.metadata.continue },
    });
    expect(
      (rest as { body: { items: { metadata: { name: string } }[] } }).body.items.map(
        (i) => i.metadata.name,
      ),
    ).toEqual(['c']);
  });

  it('parses the selectors the API accepts', () => {
    const labels = { app: 'web', tier: 'front' };
    expect(parseLabelSelector('app=web,tier!=db')(labels)).toBe(true);
    expect(parseLabelSelector('app==db')(labels)).toBe(false);
    expect(parseLabelSelector('tier notin (front, back)')(labels)).toBe(false);
    expect(parseLabelSelector('app,!version')(labels)).toBe(true);
    expect(() => parseLabelSelector('app=(x')).toThrow("unable to parse requirement: 'app=(x'");
  });

  it('answers a watch from a compacted resourceVersion with 410 Expired', async () => {
    const before = server.store.resourceVersion;
    server.apply(serviceObject({ name: 'z', clusterIPs: [], ports: [{ port: 80 }] }));
    server.compact();
    const response = await fetch(
      `${server.url}/api/v1/services?watch=true&resourceVersion=${before}`,
    );
    const line = JSON.parse((await response.text()).trim()) as {
      type: string;
      object: { code: number; reason: string; message: string };
    };
    expect(response.status).toBe(200);
    expect(line).toEqual({
      type: 'ERROR',
      object: expect.objectContaining({
        code: 410,
        reason: 'Expired',
        message: `too old resource version: ${before} (${server.store.resourceVersion})`,
      }),
    });
  });
});

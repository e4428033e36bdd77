import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { insert, modify, P4RuntimeClient, remove } from '../../src/p4rt/client.ts';
import { EntityCodec } from '../../src/p4rt/entity-codec.ts';
import { P4RuntimeRpcError } from '../../src/p4rt/errors.ts';
import type { Entity } from '../../src/p4rt/generated/p4/v1/Entity.ts';
import { P4InfoIndex } from '../../src/p4rt/p4info-index.ts';
import { pipelineOf } from '../../src/p4rt/pipeline.ts';
import { p4RuntimeService } from '../../src/p4rt/schema.ts';
import type { SessionState } from '../../src/p4rt/stream-session.ts';
import { loadPipeline } from '../../src/softswitch/index.ts';
import { startSwitch, type RunningSwitch } from '../../src/softswitch/p4runtime/software-switch.ts';
import { fixturePipeline } from '../support/conformance/pipelines.ts';

// The P4Runtime client over real gRPC against the embedded switch target (and, for TLS, a
// TLS gRPC server of our own answering Capabilities), using the conformance fixture program.

const files = fixturePipeline();
const pipeline = pipelineOf(files.p4info, files.json);
const codec = new EntityCodec(new P4InfoIndex(files.p4info));

const targets: RunningSwitch[] = [];
const clients: P4RuntimeClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(targets.splice(0).map((t) => t.stop()));
});

async function startTarget(address = '127.0.0.1:0'): Promise<RunningSwitch> {
  const target = await startSwitch({ deviceId: 1n, grpcAddress: address, ports: [], loadPipeline });
  targets.push(target);
  return target;
}

function clientOf(address: string, electionId: bigint): P4RuntimeClient {
  const client = new P4RuntimeClient({
    address,
    deviceId: 1n,
    electionId,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  clients.push(client);
  return client;
}

async function primaryClient(address: string, electionId = 1n): Promise<P4RuntimeClient> {
  const client = clientOf(address, electionId);
  client.start();
  await client.waitForPrimary(5_000);
  return client;
}

async function waitForState(client: P4RuntimeClient, state: SessionState): Promise<void> {
  await eventually(() => expect(client.state).toBe(state));
}

const route = (n: number, port = 1): Entity =>
  codec.tableEntry({
    table: 'FixtureIngress.route_table',
    match: { dst_addr: { kind: 'lpm', value: (0x0a000000 + n * 256) >>> 0, prefixLen: 24 } },
    action: { kind: 'action', action: { name: 'FixtureIngress.forward', params: { port } } },
  });

describe('P4RuntimeClient against the embedded switch', () => {
  it('claims primary; a higher election id takes over; the first is primary again when it leaves', async () => {
    const target = await startTarget();
    const first = await primaryClient(target.address, 1n);
    const second = await primaryClient(target.address, 2n);
    await waitForState(first, 'backup');
    expect(second.isPrimary).toBe(true);
    second.close();
    await waitForState(first, 'primary');
  });

  it('has a write from a backup refused with PERMISSION_DENIED, as a session failure', async () => {
    const target = await startTarget();
    const first = await primaryClient(target.address, 1n);
    await first.ensurePipeline(pipeline);
    await primaryClient(target.address, 5n);
    await waitForState(first, 'backup');
    const error = await first.write([insert(route(1))]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(P4RuntimeRpcError);
    expect(error).toMatchObject({
      rpc: 'Write',
      code: 'PERMISSION_DENIED',
      isSessionFailure: true,
    });
  });

  it('pushes the pipeline only when the device cookie differs', async () => {
    const target = await startTarget();
    const client = await primaryClient(target.address);
    expect(await client.getPipelineCookie()).toBeUndefined();
    expect(await client.ensurePipeline(pipeline)).toBe('pushed');
    expect(await client.getPipelineCookie()).toBe(pipeline.cookie);
    await client.write([insert(route(1))]);
    expect(await client.ensurePipeline(pipeline)).toBe('unchanged');
    expect(await client.read([codec.readTable('route_table')])).toHaveLength(1);
    expect(await client.ensurePipeline({ ...pipeline, cookie: pipeline.cookie ^ 1n })).toBe(
      'pushed',
    );
    expect(await client.read([codec.readTable('route_table')])).toHaveLength(0);
    expect((await client.getP4Info())?.tables?.length).toBe(files.p4info.tables?.length);
  });

  it('writes in bounded batches and reports each refused update at its index', async () => {
    const target = await startTarget();
    const client = await primaryClient(target.address);
    await client.ensurePipeline(pipeline);
    const many = Array.from({ length: 250 }, (_, n) => insert(route(n)));
    expect((await client.write(many, { batchSize: 40, concurrency: 3 })).failures).toEqual([]);
    const result = await client.write([
      insert(route(300)),
      insert(route(5)),
      remove(route(400)),
      modify(route(6, 7)),
    ]);
    expect(result.failures.map((f) => [f.index, f.code])).toEqual([
      [1, 'ALREADY_EXISTS'],
      [2, 'NOT_FOUND'],
    ]);
    expect(result.failures[0]!.update).toEqual(insert(route(5)));
    const held = (await client.read([codec.readTable('route_table')])).map((e) => codec.decode(e));
    expect(held).toHaveLength(251);
    expect(held).toContainEqual({
      kind: 'tableEntry',
      entry: {
        table: 'FixtureIngress.route_table',
        match: { dst_addr: { kind: 'lpm', value: 0x0a000600n, prefixLen: 24 } },
        action: {
          kind: 'action',
          action: { name: 'FixtureIngress.forward', params: { port: 7n } },
        },
      },
    });
  });

  it('reads with wildcards: one table, or every table with table id 0', async () => {
    const target = await startTarget();
    const client = await primaryClient(target.address);
    await client.ensurePipeline(pipeline);
    const mac = codec.tableEntry({
      table: 'FixtureIngress.ether_type_table',
      match: { ether_type: 0x0800 },
      action: { kind: 'action', action: { name: 'FixtureIngress.drop', params: {} } },
    });
    await client.write([insert(route(1)), insert(route(2)), insert(mac)]);
    expect(await client.read([codec.readTable('route_table')])).toHaveLength(2);
    const all = (await client.read([codec.readAllTables()])).map((e) => codec.decode(e));
    const tables = all.map((n) => (n.kind === 'tableEntry' ? n.entry.table : n.kind));
    // The program's const entries come along: the wildcard covers every table.
    expect(tables).toContain('FixtureIngress.const_table');
    expect(tables.filter((t) => t !== 'FixtureIngress.const_table').sort()).toEqual([
      'FixtureIngress.ether_type_table',
      'FixtureIngress.route_table',
      'FixtureIngress.route_table',
    ]);
  });

  it('reconnects with backoff and claims primary again after the server restarts', async () => {
    const target = await startTarget();
    const client = await primaryClient(target.address);
    const seen: SessionState[] = [];
    client.onStateChange(({ state }) => seen.push(state));
    await target.stop();
    targets.splice(targets.indexOf(target), 1);
    await waitForState(client, 'disconnected');
    const error = await client.getPipelineCookie().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', isSessionFailure: true });
    await startTarget(target.address);
    await waitForState(client, 'primary');
    expect(seen[0]).toBe('disconnected');
    expect(seen.at(-1)).toBe('primary');
    expect(await client.capabilities()).toBe('1.5.0');
  });

  it('validates its options and names the one that is wrong', () => {
    const options = { address: '127.0.0.1:9559', deviceId: 1n, electionId: 1n };
    expect(() => new P4RuntimeClient({ ...options, deviceId: 0 })).toThrow(
      'P4Runtime client: deviceId: must be in 1..2^64-1',
    );
    expect(() => new P4RuntimeClient({ ...options, address: 'switch' })).toThrow(
      'P4Runtime client: address: must be host:port',
    );
    expect(() => new P4RuntimeClient({ ...options, electionId: 1n << 128n })).toThrow(
      'P4Runtime client: electionId: must fit in 128 bits',
    );
    expect(() => new P4RuntimeClient({ ...options, tls: { privateKey: 'x' } })).toThrow(
      'P4Runtime client: tls: mutual TLS needs both privateKey and certChain',
    );
  });
});

describe('P4RuntimeClient over TLS', () => {
  let dir: string;
  let pem: (name: string) => Buffer;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'talaria-tls-'));
    const openssl = (...args: string[]) =>
      execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=test-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    );
    for (const name of ['server', 'client']) {
      openssl(
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        `/CN=${name}.talaria.test`,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
      );
      execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:${name}.talaria.test' > ${name}.ext`], {
        cwd: dir,
      });
      openssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '1',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.pem`,
      );
    }
    pem = (name) => readFileSync(path.join(dir, name));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A TLS server that answers Capabilities only; `requireClientCert` makes it mutual TLS. */
  async function tlsServer(
    requireClientCert: boolean,
  ): Promise<{ address: string; stop: () => void }> {
    const server = new Server();
    server.addService(p4RuntimeService().service, {
      Capabilities: (_call: unknown, callback: (e: null, v: object) => void) =>
        callback(null, { p4runtimeApiVersion: 'tls-ok' }),
    });
    const credentials = ServerCredentials.createSsl(
      pem('ca.pem'),
      [{ cert_chain: pem('server.pem'), private_key: pem('server.key') }],
      requireClientCert,
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', credentials, (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
  }

  it('verifies the server against the given root CA', async () => {
    const server = await tlsServer(false);
    const client = new P4RuntimeClient({
      address: server.address,
      deviceId: 1n,
      electionId: 1n,
      tls: { rootCerts: pem('ca.pem'), serverNameOverride: 'server.talaria.test' },
    });
    clients.push(client);
    try {
      expect(await client.capabilities()).toBe('tls-ok');
    } finally {
      server.stop();
    }
  });

  it('presents a client certificate for mutual TLS, and is refused without one', async () => {
    const server = await tlsServer(true);
    const tls = { rootCerts: pem('ca.pem'), serverNameOverride: 'server.talaria.test' };
    const mutual = new P4RuntimeClient({
      address: server.address,
      deviceId: 1n,
      electionId: 1n,
      tls: { ...tls, privateKey: pem('client.key'), certChain: pem('client.pem') },
    });
    const anonymous = new P4RuntimeClient({
      address: server.address,
      deviceId: 1n,
      electionId: 1n,
      rpcTimeoutMs: 3_000,
      tls,
    });
    clients.push(mutual, anonymous);
    try {
      expect(await mutual.capabilities()).toBe('tls-ok');
      await expect(anonymous.capabilities()).rejects.toBeInstanceOf(P4RuntimeRpcError);
    } finally {
      server.stop();
    }
  });
});

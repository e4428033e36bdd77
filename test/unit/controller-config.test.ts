import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfigMap,
  agentHostPortsOf,
  modelConfigOf,
  parseControllerConfig,
  resolveTagKey,
} from '../../src/controller/config.ts';
import { ApiClient } from '../../src/k8s/api-client.ts';
import { TestApiServer } from '../../src/k8s/testing/api-server.ts';

const example = readFileSync(
  new URL('../../deploy/controller/talaria.yaml', import.meta.url),
  'utf8',
);

const minimal = {
  switches: [
    {
      name: 'tor1',
      address: '127.0.0.1:9559',
      deviceId: 1,
      mac: '02:00:00:00:00:01',
      insecure: true,
    },
  ],
};

function issuesOf(document: unknown): string[] {
  try {
    parseControllerConfig(JSON.stringify(document), 'test.json');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('controller configuration', () => {
  it('parses the documented example (deploy/controller/talaria.yaml)', () => {
    const config = parseControllerConfig(example, 'talaria.yaml');
    expect(config.switches).toEqual([
      {
        name: 'tor1',
        address: '10.0.0.1:9559',
        deviceId: 1n,
        mac: '02:00:0a:00:00:01',
        agentHostPorts: [1, 2, 3],
        tls: {
          caFile: '/etc/talaria/tls/ca.crt',
          certFile: '/etc/talaria/tls/tls.crt',
          keyFile: '/etc/talaria/tls/tls.key',
        },
        insecure: false,
      },
    ]);
    expect(config.tagKey).toEqual({
      source: 'secret',
      namespace: 'talaria-system',
      name: 'talaria-tag-key',
      key: 'tagKey',
    });
    expect(config.leaderElection).toEqual({
      namespace: 'talaria-system',
      leaseName: 'talaria-controller',
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
    });
    expect(modelConfigOf(config).nodes.get('worker-2')).toEqual({
      switchName: 'tor1',
      port: 2,
      hostMac: '0c:42:a1:00:00:02',
      switchMac: '02:00:0a:00:00:01',
    });
  });

  it('is the example docs/operations.md shows', () => {
    const docs = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    const body = example.split('\n').slice(2).join('\n');
    expect(docs).toContain(`\`\`\`yaml\n${body}\`\`\``);
  });

  it('takes agent host ports from the switch, else from the nodes attached to it', () => {
    const config = parseControllerConfig(example, 'talaria.yaml');
    expect(agentHostPortsOf(config, 'tor1')).toEqual([1, 2, 3]);
    const derived = parseControllerConfig(
      JSON.stringify({
        ...minimal,
        nodes: {
          b: { switch: 'tor1', port: 7, mac: '0c:42:a1:00:00:02' },
          a: { switch: 'tor1', port: 4, mac: '0c:42:a1:00:00:01' },
        },
      }),
      'derived.json',
    );
    expect(agentHostPortsOf(derived, 'tor1')).toEqual([4, 7]);
    expect(
      agentHostPortsOf(parseControllerConfig(JSON.stringify(minimal), 'm.json'), 'tor1'),
    ).toEqual([]);
  });

  it('fills defaults for what is left out', () => {
    const config = parseControllerConfig(JSON.stringify(minimal), 'minimal.json');
    expect(config).toMatchObject({
      nodes: {},
      tagKey: { source: 'switch' },
      drainSeconds: 120,
      selectorMode: 'groups',
      httpListen: '0.0.0.0:8080',
      leaderElection: { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 },
    });
  });

  it('chooses bucket tables by default and validates their sizes', () => {
    const config = parseControllerConfig(JSON.stringify(minimal), 'minimal.json');
    expect(config.backendChoice).toBe('buckets');
    expect(config.buckets).toEqual({ minBuckets: 256, bucketsPerBackend: 32, maxBuckets: 16384 });
    expect(
      issuesOf({
        ...minimal,
        backendChoice: 'maglev',
        buckets: { minBuckets: 300, maxBuckets: 131072 },
      }),
    ).toMatchInlineSnapshot(`
      [
        "backendChoice: Invalid option: expected one of "buckets"|"selector"",
        "buckets.minBuckets: must be a power of two",
        "buckets.maxBuckets: Too big: expected number to be <=65536",
      ]
    `);
    expect(issuesOf({ ...minimal, buckets: { minBuckets: 1024, maxBuckets: 512 } })).toEqual([
      'buckets.minBuckets: minBuckets must not exceed maxBuckets',
    ]);
  });

  it('names the path and the problem of every mistake', () => {
    expect(
      issuesOf({
        switches: [
          { name: 'tor1', address: 'tor1', deviceId: 0, mac: '02:00:00:00:00:01', insecure: true },
          {
            name: 'tor1',
            address: '10.0.0.2:9559',
            deviceId: 2,
            mac: 'zz:00:00:00:00:01',
            insecure: true,
          },
        ],
        nodes: { 'worker-1': { switch: 'tor9', port: 1, mac: '0c:42:a1:00:00:01' } },
        leaderElection: { leaseDurationSeconds: 10, renewDeadlineSeconds: 10 },
        selectorMode: 'maglev',
      }),
    ).toMatchInlineSnapshot(`
      [
        "switches.0.address: must be host:port",
        "switches.0.deviceId: Too small: expected number to be >=1",
        "switches.1.mac: must be a MAC address like 02:00:00:00:00:01",
        "selectorMode: Invalid option: expected one of "groups"|"one-shot"",
        "leaderElection: renewDeadlineSeconds must be shorter than leaseDurationSeconds",
      ]
    `);
    expect(
      issuesOf({ ...minimal, nodes: { w: { switch: 'tor9', port: 1, mac: '0c:42:a1:00:00:01' } } }),
    ).toEqual(["nodes.w.switch: no switch named 'tor9' in switches"]);
    expect(
      issuesOf({
        switches: [{ ...minimal.switches[0], agentHostPorts: [1, 1, 512] }],
      }),
    ).toEqual([
      'switches.0.agentHostPorts.2: Too big: expected number to be <=511',
      'switches.0.agentHostPorts: a port is listed twice',
    ]);
    expect(
      issuesOf({
        switches: [{ ...minimal.switches[0], agentHostPorts: [1] }],
        nodes: { w: { switch: 'tor1', port: 2, mac: '0c:42:a1:00:00:01' } },
      }),
    ).toEqual([
      "nodes.w.port: port 2 is not in switches.0.agentHostPorts: the switch would drop this node's cookies",
    ]);
    expect(
      issuesOf({ ...minimal, tagKey: { source: 'env', name: 'K', rotateEverySeconds: 3600 } }),
    ).toEqual(['tagKey: Unrecognized key: "rotateEverySeconds"']);
    expect(issuesOf({ switches: [minimal.switches[0], minimal.switches[0]] })).toEqual([
      "switches.1.name: duplicate switch name 'tor1'",
    ]);
    expect(issuesOf({ ...minimal, extra: true })).toEqual([
      '(document): Unrecognized key: "extra"',
    ]);
    expect(() => parseControllerConfig('switches: [', 'broken.yaml')).toThrow(
      /^broken.yaml: \(document\): /,
    );
  });

  it('refuses a plaintext switch unless the configuration allows it, naming the switch', () => {
    const plaintext = {
      name: 'tor7',
      address: '10.0.0.7:9559',
      deviceId: 1,
      mac: '02:00:00:00:00:07',
    };
    expect(issuesOf({ switches: [plaintext] })).toEqual([
      "switches.0: switch 'tor7' has no tls: plaintext P4Runtime is refused; give tls (caFile; certFile and keyFile for mutual TLS) or set insecure: true",
    ]);
    expect(issuesOf({ switches: [{ ...plaintext, insecure: true }] })).toEqual([]);
    expect(
      issuesOf({ switches: [{ ...plaintext, insecure: true, tls: { caFile: '/ca.crt' } }] }),
    ).toEqual(["switches.0.insecure: switch 'tor7': insecure: true and tls contradict each other"]);
    expect(issuesOf({ switches: [{ ...plaintext, tls: { caFile: '/ca.crt' } }] })).toEqual([]);
  });

  describe('tag key sources', () => {
    let server: TestApiServer;
    let dir: string;
    beforeAll(async () => {
      server = await TestApiServer.start();
      dir = mkdtempSync(join(tmpdir(), 'talaria-config-'));
    });
    afterAll(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('reads the key from a file, a variable or a Secret, decimal or hex', async () => {
      const client = new ApiClient(server.kubeConfig());
      writeFileSync(join(dir, 'key'), '0xdeadbeef01234567\n');
      expect(await resolveTagKey({ source: 'file', path: join(dir, 'key') }, client)).toBe(
        0xdeadbeef01234567n,
      );
      expect(await resolveTagKey({ source: 'env', name: 'TAG' }, client, { TAG: '12345' })).toBe(
        12345n,
      );
      server.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'talaria-tag-key', namespace: 'talaria-system' },
        data: { tagKey: Buffer.from('777').toString('base64') },
      });
      expect(
        await resolveTagKey(
          { source: 'secret', namespace: 'talaria-system', name: 'talaria-tag-key', key: 'tagKey' },
          client,
        ),
      ).toBe(777n);
      expect(await resolveTagKey({ source: 'switch' }, client)).toBeUndefined();
    });

    it('refuses a missing or unusable key with its source named', async () => {
      const client = new ApiClient(server.kubeConfig());
      await expect(resolveTagKey({ source: 'env', name: 'NOPE' }, client, {})).rejects.toThrow(
        'tag key variable NOPE: (value): not set',
      );
      await expect(resolveTagKey({ source: 'env', name: 'K' }, client, { K: '0' })).rejects.toThrow(
        'must be in 1..2^64-1',
      );
      await expect(
        resolveTagKey({ source: 'env', name: 'K' }, client, { K: '0x1ffffffffffffffff' }),
      ).rejects.toThrow('must be a decimal or 0x-hex 64-bit number');
      await expect(
        resolveTagKey(
          { source: 'secret', namespace: 'talaria-system', name: 'missing', key: 'tagKey' },
          client,
        ),
      ).rejects.toThrow('secrets "missing" not found');
    });

    it('loads the configuration from a ConfigMap key', async () => {
      const client = new ApiClient(server.kubeConfig());
      server.apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'talaria-config', namespace: 'talaria-system' },
        data: { 'talaria.yaml': example },
      });
      const config = await loadConfigMap(client, 'talaria-system', 'talaria-config');
      expect(config.switches[0]!.name).toBe('tor1');
      await expect(
        loadConfigMap(client, 'talaria-system', 'talaria-config', 'other.yaml'),
      ).rejects.toThrow(
        'ConfigMap talaria-system/talaria-config key other.yaml: other.yaml: no such key',
      );
    });
  });
});

import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { runHostCommand } from '../../src/agent/host-command.ts';
import { P4RuntimeClient } from '../../src/p4rt/client.ts';
import { EntityCodec } from '../../src/p4rt/entity-codec.ts';
import { P4InfoIndex } from '../../src/p4rt/p4info-index.ts';
import { readPipelineFiles } from '../../src/p4rt/pipeline.ts';
import { TABLES } from '../../src/reconcile/p4-names.ts';
import { TestApiServer } from '../../src/k8s/testing/api-server.ts';
import {
  endpointSliceObject,
  nodeObject,
  serviceObject,
} from '../../src/k8s/testing/object-builders.ts';
import { docker, dockerLogs, freePort, until } from '../support/docker-cli.ts';
import { BASE_IMAGES, describeTier } from '../support/tiers.ts';

// The image as a cluster runs it (Dockerfile; docs/operations.md): built from this tree,
// then the switch and the controller started from it as the manifests start them, each
// with a read-only root filesystem, no capabilities and its unprivileged user. Both use the
// host's network so that they meet on 127.0.0.1, where the test's API server listens too.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMAGE = `talaria:test-${process.pid}`;
const PIPELINE = {
  json: '/opt/talaria/p4/build/talaria.json',
  p4info: '/opt/talaria/p4/build/talaria.p4info.txtpb',
};
const LOCKED_DOWN = ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];

describeTier('image', 'the talaria image', () => {
  const containers: string[] = [];
  let switchPort: number;
  let switchContainer: string;
  let dir: string;
  let api: TestApiServer;

  beforeAll(async () => {
    // The layers are cached by the engine: only the first build of a tree takes minutes.
    await docker(
      [
        'build',
        '--network=host',
        '--build-arg',
        `BASE_IMAGE=${BASE_IMAGES.base}`,
        '--build-arg',
        `BUILD_IMAGE=${BASE_IMAGES.build}`,
        '-t',
        IMAGE,
        ROOT,
      ],
      900_000,
    );
    dir = await mkdtemp(join(tmpdir(), 'talaria-image-'));
    // Mounted into the containers, whose user is not the test's.
    await chmod(dir, 0o755);
  }, 900_000);

  afterAll(async () => {
    for (const id of containers) await docker(['rm', '-f', id]).catch(() => undefined);
    await api?.stop();
    await docker(['rmi', IMAGE]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function start(args: readonly string[], network = 'host'): Promise<string> {
    const id = await docker(['run', '-d', '--network', network, ...LOCKED_DOWN, ...args]);
    containers.push(id);
    return id;
  }

  const logsOf = (id: string) => async () => `container log:\n${await dockerLogs(id)}`;

  it('runs the switch with its pipeline, as an unprivileged user on a read-only root', async () => {
    switchPort = await freePort();
    switchContainer = await start([
      IMAGE,
      'switch',
      '--pipeline',
      PIPELINE.json,
      '--p4info',
      PIPELINE.p4info,
      '--grpc',
      `127.0.0.1:${switchPort}`,
    ]);
    const inspect = await docker([
      'inspect',
      '-f',
      '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}',
      switchContainer,
    ]);
    expect(inspect).toBe('65532:65532 true');

    const expected = await readPipelineFiles(
      join(ROOT, 'p4/build/talaria.json'),
      join(ROOT, 'p4/build/talaria.p4info.txtpb'),
    );
    const client = new P4RuntimeClient({
      address: `127.0.0.1:${switchPort}`,
      deviceId: 1n,
      electionId: 1n,
      rpcTimeoutMs: 5_000,
    });
    try {
      let installed: Buffer | undefined;
      await until(
        'the switch in the container to serve P4Runtime',
        async () => {
          installed = (await client.getPipelineConfig('ALL'))?.p4DeviceConfig;
          return true;
        },
        60_000,
        logsOf(switchContainer),
      );
      // The image carries the same compiled pipeline as the tree, at the manifests' path.
      expect(installed?.equals(expected.deviceConfig)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('runs the controller, which leads and programs the switch in the other container', async () => {
    api = await TestApiServer.start();
    api.apply(
      nodeObject({ name: 'n1', internalIPs: ['192.168.77.11'], podCIDRs: ['10.42.0.0/24'] }),
    );
    api.apply(
      serviceObject({
        name: 'web',
        clusterIPs: ['10.96.0.10'],
        ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      }),
    );
    api.apply(
      endpointSliceObject({
        name: 'web-1',
        service: 'web',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ ip: '10.42.0.5', node: 'n1' }],
      }),
    );
    const httpPort = await freePort();
    await writeFile(
      join(dir, 'talaria.yaml'),
      toYaml({
        switches: [
          {
            name: 'tor1',
            address: `127.0.0.1:${switchPort}`,
            deviceId: 1,
            mac: '02:00:0a:00:00:01',
            // The switch container serves plaintext on loopback.
            insecure: true,
          },
        ],
        nodes: { n1: { switch: 'tor1', port: 1, mac: '0c:42:a1:00:00:01' } },
        tagKey: { source: 'env', name: 'TALARIA_TAG_KEY' },
        pipeline: PIPELINE,
        httpListen: `127.0.0.1:${httpPort}`,
      }),
    );
    await writeFile(join(dir, 'kubeconfig'), api.kubeConfig().exportConfig());
    const controller = await start([
      '-v',
      `${dir}:/etc/talaria:ro`,
      '-e',
      'TALARIA_TAG_KEY=12345',
      '-e',
      'POD_NAME=talaria-controller-test',
      IMAGE,
      'run',
      '--config',
      '/etc/talaria/talaria.yaml',
      '--kubeconfig',
      '/etc/talaria/kubeconfig',
    ]);

    // A ready leader: informers synced and the switch session primary (a standby is ready
    // with warm caches alone).
    const http = `http://127.0.0.1:${httpPort}`;
    await until(
      'the controller to lead and be ready',
      async () =>
        /^talaria_leader 1$/m.test(await (await fetch(`${http}/metrics`)).text()) &&
        (await fetch(`${http}/readyz`)).status === 200,
      120_000,
      logsOf(controller),
    );

    // The Service's frontend is in the switch: read back over P4Runtime.
    const pipeline = await readPipelineFiles(
      join(ROOT, 'p4/build/talaria.json'),
      join(ROOT, 'p4/build/talaria.p4info.txtpb'),
    );
    const codec = new EntityCodec(new P4InfoIndex(pipeline.p4info));
    const client = new P4RuntimeClient({
      address: `127.0.0.1:${switchPort}`,
      deviceId: 1n,
      electionId: 1n,
      rpcTimeoutMs: 5_000,
    });
    try {
      await until(
        'the frontend of default/web in the switch',
        async () => {
          const entries = (await client.read([codec.readTable(TABLES.frontends)])).map((e) =>
            codec.decode(e),
          );
          return entries.length === 1;
        },
        60_000,
        logsOf(controller),
      );
    } finally {
      client.close();
    }
    // Its log is JSON lines (pino), one object per event.
    const lines = (await dockerLogs(controller)).split('\n').filter(Boolean);
    const events = lines.map((line) => JSON.parse(line) as { msg: string; module: string });
    expect(events).toContainEqual(
      expect.objectContaining({ module: 'talaria', msg: 'leading: programming the switches' }),
    );
  });

  // The agent as the DaemonSet runs it: root, read-only root filesystem, no privileged
  // mode. This engine (docker 20.10) does not know CAP_BPF and CAP_PERFMON, so it runs with
  // the set for such runtimes (docs/operations.md, "Agent privileges"): SYS_ADMIN in their
  // place; and without SYS_RESOURCE, which kernels from 5.11 on do not need (nor can this
  // machine grant it). Its own network namespace holds a veth end named uplink; bpffs is
  // one of ours.
  const notRoot = process.getuid?.() === 0 ? undefined : 'needs root (bpffs, veth)';
  it.skipIf(notRoot)(
    `runs the agent with only NET_ADMIN and SYS_ADMIN; it attaches and serves /metrics${notRoot ? ` [skipped: ${notRoot}]` : ''}`,
    async () => {
      const bpffs = join(dir, 'bpffs');
      const run = join(dir, 'run');
      const peerNs = `tlimg-${process.pid}`;
      await mkdir(bpffs, { recursive: true });
      await mkdir(run, { recursive: true });
      await host(['mount', '-t', 'bpf', 'bpf', bpffs]);
      await host(['ip', 'netns', 'add', peerNs]);
      try {
        const agent = await start(
          [
            '--user',
            '0',
            '--cap-add',
            'NET_ADMIN',
            '--cap-add',
            'SYS_ADMIN',
            // As the DaemonSet's emptyDir: bpftool's batch files.
            '--tmpfs',
            '/tmp',
            '-v',
            `${bpffs}:/sys/fs/bpf`,
            '-v',
            `${run}:/run/talaria`,
            '--entrypoint',
            'sh',
            IMAGE,
            '-c',
            // The uplink is moved in after the start: wait for it, then run the agent.
            'until ip link show uplink >/dev/null 2>&1; do sleep 0.1; done; exec node ' +
              '/opt/talaria/dist/cli/talaria.js agent --uplink uplink --switch-mac 02:00:00:00:00:fe ' +
              '--frontends /run/talaria/frontends.json --pods-dir /run/talaria/pods --bpffs /sys/fs/bpf ' +
              '--http-listen 127.0.0.1:9465',
          ],
          'none',
        );
        const pid = await docker(['inspect', '-f', '{{.State.Pid}}', agent]);
        await host([
          'ip',
          '-n',
          peerNs,
          'link',
          'add',
          'wire',
          'type',
          'veth',
          'peer',
          'name',
          'uplink',
          'netns',
          pid,
        ]);
        await host(['ip', '-n', peerNs, 'link', 'set', 'wire', 'up']);
        await host(['nsenter', '-t', pid, '-n', 'ip', 'link', 'set', 'uplink', 'up']);

        const get = async (path: string) =>
          docker([
            'exec',
            agent,
            'node',
            '-e',
            `fetch('http://127.0.0.1:9465${path}').then(async (r) => process.stdout.write(r.status + ' ' + (await r.text())))`,
          ]);
        await until(
          'the agent in the container to be ready',
          async () => (await get('/readyz')) === '200 ok',
          120_000,
          logsOf(agent),
        );
        const metrics = await get('/metrics');
        expect(metrics).toMatch(/^talaria_agent_fast_path_enabled 1$/m);
        expect(metrics).toMatch(/^talaria_agent_passes_total [1-9]/m);
        // Its programs are on the uplink's TC ingress hook.
        const filters = await host([
          'nsenter',
          '-t',
          pid,
          '-n',
          'tc',
          'filter',
          'show',
          'dev',
          'uplink',
          'ingress',
        ]);
        expect(filters).toMatch(/talaria_from_upl/);
      } finally {
        for (const id of containers.splice(0))
          await docker(['rm', '-f', id]).catch(() => undefined);
        await host(['ip', 'netns', 'del', peerNs]).catch(() => undefined);
        await host(['umount', bpffs]).catch(() => undefined);
      }
    },
  );
});

async function host(argv: readonly string[]): Promise<string> {
  const { stdout } = await runHostCommand(argv);
  return stdout;
}

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { chartValuesSchemaText, SCHEMA_FILE } from '../../scripts/gen-chart-schema.ts';
import { parseControllerConfig } from '../../src/controller/config.ts';
import { chartValues, helmTemplate, renderChart } from '../support/helm-template.ts';
import { manifestProblems } from '../support/k8s-schema.ts';
import { commandExists } from '../support/tiers.ts';

// The two ways to deploy (docs/operations.md): the Helm chart (charts/talaria) and the
// kustomize bases (deploy/). Both are validated offline against Kubernetes' OpenAPI
// definitions, and the chart's defaults must render what kustomize renders.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = `${ROOT}charts/talaria`;
const NAMESPACE = 'talaria-system';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form YAML, read by path
type Loose = any;

type Manifest = Record<string, unknown> & {
  kind: string;
  metadata: { name: string; namespace?: string };
};

function parseDocs(docs: readonly string[]): Manifest[] {
  return docs.map((doc) => parseYaml(doc) as Manifest).filter(Boolean);
}

/** The chart rendered by helm where installed, else by the test's renderer. */
function chartManifests(values: object = {}): Manifest[] {
  const viaHelm =
    Object.keys(values).length === 0 ? helmTemplate(CHART, { namespace: NAMESPACE }) : undefined;
  return parseDocs(viaHelm ?? renderChart(CHART, { namespace: NAMESPACE, values }));
}

const kustomizeMissing = commandExists('kubectl')
  ? undefined
  : 'needs kubectl (its built-in kustomize) on PATH';

function kustomizeManifests(): Manifest[] {
  return ['deploy/controller', 'deploy/agent'].flatMap((dir) =>
    parseDocs(
      execFileSync('kubectl', ['kustomize', `${ROOT}${dir}`], { encoding: 'utf8' }).split(/^---$/m),
    ),
  );
}

const byKey = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;

/** For comparing: ConfigMap YAML payloads as data, objects in a stable order. */
function normalized(manifests: readonly Manifest[]): Manifest[] {
  return manifests
    .map((m) => {
      const data = (m as { data?: Record<string, string> }).data;
      if (m.kind !== 'ConfigMap' || !data?.['talaria.yaml']) return m;
      return { ...m, data: { ...data, 'talaria.yaml': parseYaml(data['talaria.yaml']) } };
    })
    .sort((a, b) => byKey(a).localeCompare(byKey(b)));
}

async function allProblems(manifests: readonly Manifest[]): Promise<string[]> {
  return (await Promise.all(manifests.map((m) => manifestProblems(m)))).flat();
}

const find = (manifests: readonly Manifest[], kind: string, name: string) =>
  manifests.find((m) => m.kind === kind && m.metadata.name === name) as Loose;

describe('Kubernetes schema check (the validator itself)', () => {
  it('refuses a wrong type, a missing required field and an unknown field', async () => {
    const problems = await manifestProblems({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {
        selector: {},
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'b', ports: [{ containerPort: 'http' }], securityContxt: {} },
              { image: 'no-name' },
            ],
          },
        },
      },
    });
    expect(problems.join('\n')).toMatch(/containerPort must be integer/);
    expect(problems.join('\n')).toMatch(/containers\/1 must have required property name/);
    expect(problems).toContain(
      'Deployment/x.spec.template.spec.containers[0].securityContxt: unknown field of V1Container',
    );
  });
});

describe('Helm chart (charts/talaria)', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object;
  const validate = ajv.compile(schema);

  it('values.schema.json is generated from the controller configuration schema and fresh', async () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(await chartValuesSchemaText());
  });

  it('its default values pass values.schema.json and the controller configuration parses', () => {
    const values = chartValues(CHART) as { controller: { config: object } };
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    expect(() =>
      parseControllerConfig(JSON.stringify(values.controller.config), 'values'),
    ).not.toThrow();
  });

  it('values.schema.json refuses bad values, naming where', () => {
    const bad = chartValues(CHART, {
      controller: {
        replicas: 0,
        config: {
          switches: [{ name: 'tor1', address: 'nowhere', deviceId: 1, mac: '02:00:00:00:00:01' }],
        },
      },
      agent: { podMtu: 100, privileged: true },
    });
    expect(validate(bad)).toBe(false);
    const where = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    expect(where).toEqual(
      expect.arrayContaining([
        '/controller/replicas must be >= 1',
        expect.stringMatching(/^\/controller\/config\/switches\/0\/address must match pattern/),
        '/agent/podMtu must be >= 576',
        '/agent must NOT have additional properties',
      ]),
    );
  });

  it('renders manifests that pass the Kubernetes schemas', async () => {
    const manifests = chartManifests();
    expect(manifests.map(byKey).sort()).toEqual([
      'ClusterRole//talaria-controller',
      'ClusterRoleBinding//talaria-controller',
      'ConfigMap/talaria-system/talaria-agent',
      'ConfigMap/talaria-system/talaria-config',
      'DaemonSet/talaria-system/talaria-agent',
      'Deployment/talaria-system/talaria-controller',
      'Role/talaria-system/talaria-controller',
      'RoleBinding/talaria-system/talaria-controller',
      'ServiceAccount/talaria-system/talaria-controller',
    ]);
    expect(await allProblems(manifests)).toEqual([]);
  });

  it('renders other values too: another image, no agent, another TLS Secret', async () => {
    const manifests = chartManifests({
      image: { repository: 'registry.example/talaria', tag: '1.2.3' },
      agent: { enabled: false },
      controller: { switchTlsSecret: 'fabric-tls', replicas: 3 },
    });
    expect(manifests.some((m) => m.kind === 'DaemonSet')).toBe(false);
    const deployment = find(manifests, 'Deployment', 'talaria-controller');
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers[0].image).toBe(
      'registry.example/talaria:1.2.3',
    );
    expect(deployment.spec.template.spec.volumes[1].secret).toEqual({
      secretName: 'fabric-tls',
      optional: true,
    });
    expect(await allProblems(manifests)).toEqual([]);
  });

  it('carries the same install-cni.sh as deploy/agent', () => {
    expect(readFileSync(`${CHART}/files/install-cni.sh`, 'utf8')).toBe(
      readFileSync(`${ROOT}deploy/agent/install-cni.sh`, 'utf8'),
    );
  });
});

describe.skipIf(kustomizeMissing)(
  `kustomize (deploy/)${kustomizeMissing ? ` [skipped: ${kustomizeMissing}]` : ''}`,
  () => {
    it('renders manifests that pass the Kubernetes schemas', async () => {
      expect(await allProblems(kustomizeManifests())).toEqual([]);
    });

    it('renders what the chart renders with its default values (the Namespace aside)', () => {
      const kustomize = kustomizeManifests().filter((m) => m.kind !== 'Namespace');
      expect(normalized(chartManifests())).toEqual(normalized(kustomize));
    });
  },
);

describe('what the manifests grant and how they run the image', () => {
  const manifests = chartManifests();

  it('RBAC: only what the controller uses, no wildcard, Secrets by name only', () => {
    const clusterRole = find(manifests, 'ClusterRole', 'talaria-controller');
    const role = find(manifests, 'Role', 'talaria-controller');
    const grants = (rules: Loose[]) =>
      rules.flatMap((r) =>
        r.resources.map(
          (res: string) =>
            `${r.apiGroups[0] || 'core'}/${res}${r.resourceNames ? `(${r.resourceNames})` : ''}: ${r.verbs.join(',')}`,
        ),
      );
    expect(grants(clusterRole.rules)).toEqual([
      'core/services: get,list,watch',
      'core/nodes: get,list,watch',
      'core/pods: get,list,watch',
      'discovery.k8s.io/endpointslices: get,list,watch',
      'networking.k8s.io/networkpolicies: get,list,watch',
      'events.k8s.io/events: create',
    ]);
    expect(grants(role.rules)).toEqual([
      'coordination.k8s.io/leases: get,create,update',
      'core/configmaps(talaria-config): get',
      'core/configmaps(talaria-frontends): get,update',
      'core/configmaps: create',
      'core/secrets(talaria-tag-key): get',
    ]);
  });

  it('the controller: unprivileged, read-only root, TLS Secret optional, the pipeline where the image has it', () => {
    const pod = find(manifests, 'Deployment', 'talaria-controller').spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.volumes.find((v: Loose) => v.name === 'switch-tls').secret.optional).toBe(true);
    const configMap = find(manifests, 'ConfigMap', 'talaria-config');
    const config = parseYaml(configMap.data['talaria.yaml']) as {
      pipeline: Record<string, string>;
    };
    // The Dockerfile copies p4/build/ to /opt/talaria/p4/build/.
    for (const path of Object.values(config.pipeline)) {
      expect(path.startsWith('/opt/talaria/p4/build/')).toBe(true);
      expect(existsSync(`${ROOT}${path.slice('/opt/talaria/'.length)}`)).toBe(true);
    }
  });

  it('the agent: probes, requests, the capabilities it needs and no privileged mode', () => {
    const pod = find(manifests, 'DaemonSet', 'talaria-agent').spec.template.spec;
    const agent = pod.containers[0];
    expect(agent.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(agent.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(agent.args).toContain('--http-listen=0.0.0.0:9465');
    expect(agent.resources.requests).toEqual({ cpu: '50m', memory: '128Mi' });
    expect(agent.securityContext.privileged).toBeUndefined();
    expect(agent.securityContext.capabilities).toEqual({
      drop: ['ALL'],
      add: ['BPF', 'PERFMON', 'NET_ADMIN', 'SYS_RESOURCE'],
    });
    expect(agent.securityContext.readOnlyRootFilesystem).toBe(true);
    const init = pod.initContainers[0];
    expect(init.securityContext.privileged).toBeUndefined();
    expect(init.securityContext.capabilities).toEqual({ drop: ['ALL'] });
  });
});

describe('Grafana dashboard (deploy/grafana/talaria-dashboard.json)', () => {
  it('queries only metrics the controller and the agent export', () => {
    const dashboard = readFileSync(`${ROOT}deploy/grafana/talaria-dashboard.json`, 'utf8');
    const exprs = (JSON.parse(dashboard) as { panels: { targets?: { expr: string }[] }[] }).panels
      .flatMap((p) => p.targets ?? [])
      .map((t) => t.expr);
    const queried = new Set(
      exprs.flatMap((e) =>
        (e.match(/talaria_[a-z_]+/g) ?? []).map((m) => m.replace(/_(bucket|sum|count)$/, '')),
      ),
    );
    expect(queried.size).toBeGreaterThan(10);
    const sources = execFileSync('grep', ['-rhoE', "'talaria_[a-z_]+'", `${ROOT}src`], {
      encoding: 'utf8',
    });
    const exported = new Set(sources.split('\n').map((s) => s.replace(/'/g, '')));
    expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
  });
});

import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ApiClient } from '../k8s/api-client.ts';
import { DEFAULT_LEASE_TIMING } from '../k8s/leader-election.ts';
import type { ModelConfig } from '../model/model-config.ts';
import { DEFAULT_BUCKET_SIZING } from '../reconcile/bucket-sizing.ts';
import { bucketSizingSchema } from '../reconcile/reconciler-options.ts';
import { issuePath } from '../validation/zod-issue.ts';

/**
 * The controller's configuration: the fabric (switches, where each node is attached), the
 * cookie tag key's source and the controller's own settings. One YAML or JSON document,
 * from a file or a ConfigMap key, parsed once at start (docs/operations.md has an example).
 */

const mac = z
  .string()
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'must be a MAC address like 02:00:00:00:00:01')
  .transform((v) => v.toLowerCase());

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^\s:]+):\d{1,5}$/, 'must be host:port');

const switchConfig = z
  .object({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lower-case DNS label'),
    /** P4Runtime server, host:port. */
    address: hostPort,
    deviceId: z.union([z.int().min(1), z.string().regex(/^[1-9]\d*$/)]).transform((v) => BigInt(v)),
    /** The switch's own MAC: the source address of frames it sends to hosts. */
    mac,
    /**
     * The ports whose hosts run the agent: the only ports the switch accepts a Talaria
     * header on (docs/security.md). Absent: the ports of the nodes attached to it.
     */
    agentHostPorts: z
      .array(z.int().min(0).max(511))
      .refine((ports) => new Set(ports).size === ports.length, 'a port is listed twice')
      .optional(),
    /** caFile alone: TLS; with certFile and keyFile: mutual TLS. Absent: see insecure. */
    tls: z
      .object({
        caFile: z.string().min(1).optional(),
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        serverName: z.string().min(1).optional(),
      })
      .strict()
      .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), {
        message: 'certFile and keyFile go together',
      })
      .optional(),
    /**
     * true: plaintext P4Runtime to this switch is allowed (a lab, a switch on loopback).
     * Without tls and without this, the configuration is refused: whoever can reach a
     * plaintext P4Runtime server reads the tag key and rewrites every table.
     */
    insecure: z.boolean().default(false),
  })
  .strict();

const nodeAttachment = z
  .object({
    /** The switch (by name) the node's uplink is connected to. */
    switch: z.string().min(1),
    port: z.int().min(0).max(511),
    /** The MAC address of the node's uplink NIC. */
    mac,
  })
  .strict();

const tagKeySource = z.discriminatedUnion('source', [
  /**
   * Adopted from a switch that has one, else drawn at random; rotated to a fresh random key
   * every rotateEverySeconds (absent: only on demand, `talaria rotate-key`).
   */
  z
    .object({
      source: z.literal('switch'),
      rotateEverySeconds: z
        .int()
        .min(60)
        .max(365 * 86_400)
        .optional(),
    })
    .strict(),
  z.object({ source: z.literal('file'), path: z.string().min(1) }).strict(),
  z.object({ source: z.literal('env'), name: z.string().min(1) }).strict(),
  z
    .object({
      source: z.literal('secret'),
      namespace: z.string().min(1),
      name: z.string().min(1),
      key: z.string().min(1).default('tagKey'),
    })
    .strict(),
]);

const seconds = (fallbackMs: number) =>
  z
    .number()
    .positive()
    .default(fallbackMs / 1000);

export const controllerConfigSchema = z
  .object({
    switches: z.array(switchConfig).min(1, 'at least one switch'),
    nodes: z.record(z.string().min(1), nodeAttachment).default({}),
    tagKey: tagKeySource.default({ source: 'switch' }),
    /** How long a terminating or removed backend keeps its connections (seconds). */
    drainSeconds: z.number().int().min(0).max(86_400).default(120),
    /** Selector programming: action profile members and groups, or one-shot action sets. */
    selectorMode: z.enum(['groups', 'one-shot']).default('groups'),
    /**
     * Backend choice of packets without a cookie: per-Service bucket tables where the switch
     * has room ('buckets'), or only the action selectors ('selector': targets without the
     * table space). Bucket table sizes: docs/reconcile.md, "Bucket tables".
     */
    backendChoice: z.enum(['buckets', 'selector']).default('buckets'),
    buckets: bucketSizingSchema.default(DEFAULT_BUCKET_SIZING),
    /** Push this pipeline where a switch runs another one (paths of p4c's outputs). */
    pipeline: z
      .object({ json: z.string().min(1), p4info: z.string().min(1) })
      .strict()
      .optional(),
    leaderElection: z
      .object({
        namespace: z.string().min(1).default('talaria-system'),
        leaseName: z.string().min(1).default('talaria-controller'),
        leaseDurationSeconds: seconds(DEFAULT_LEASE_TIMING.leaseDurationMs),
        renewDeadlineSeconds: seconds(DEFAULT_LEASE_TIMING.renewDeadlineMs),
        retryPeriodSeconds: seconds(DEFAULT_LEASE_TIMING.retryPeriodMs),
      })
      .strict()
      .refine((l) => l.renewDeadlineSeconds < l.leaseDurationSeconds, {
        message: 'renewDeadlineSeconds must be shorter than leaseDurationSeconds',
      })
      .default({
        namespace: 'talaria-system',
        leaseName: 'talaria-controller',
        leaseDurationSeconds: 15,
        renewDeadlineSeconds: 10,
        retryPeriodSeconds: 2,
      }),
    /**
     * Where NetworkPolicies are enforced. 'hosts' (default): by the CNI on the nodes, so a
     * Service whose backends an ingress policy selects is not offloaded. 'fast-path': the
     * fabric enforces them for offloaded traffic too, and such Services are offloaded.
     */
    networkPolicyEnforcement: z.enum(['hosts', 'fast-path']).default('hosts'),
    /** Address of the probes and metrics server (/healthz, /readyz, /metrics). */
    httpListen: hostPort.default('0.0.0.0:8080'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    config.switches.forEach((s, i) => {
      if (!s.tls && !s.insecure) {
        ctx.addIssue({
          code: 'custom',
          path: ['switches', i],
          message:
            `switch '${s.name}' has no tls: plaintext P4Runtime is refused; give tls ` +
            '(caFile; certFile and keyFile for mutual TLS) or set insecure: true',
        });
      }
      if (s.tls && s.insecure) {
        ctx.addIssue({
          code: 'custom',
          path: ['switches', i, 'insecure'],
          message: `switch '${s.name}': insecure: true and tls contradict each other`,
        });
      }
      if (names.has(s.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['switches', i, 'name'],
          message: `duplicate switch name '${s.name}'`,
        });
      }
      names.add(s.name);
    });
    for (const [node, attachment] of Object.entries(config.nodes)) {
      const index = config.switches.findIndex((s) => s.name === attachment.switch);
      if (index < 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', node, 'switch'],
          message: `no switch named '${attachment.switch}' in switches`,
        });
        continue;
      }
      const listed = config.switches[index]!.agentHostPorts;
      if (listed !== undefined && !listed.includes(attachment.port)) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', node, 'port'],
          message: `port ${attachment.port} is not in switches.${index}.agentHostPorts: the switch would drop this node's cookies`,
        });
      }
    }
  });

export type ControllerConfig = z.output<typeof controllerConfigSchema>;

/** A configuration that does not parse: where (a path like switches.0.address) and what. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly issues: readonly { readonly path: string; readonly message: string }[],
  ) {
    super(`${source}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/** Parses a YAML or JSON document (JSON is YAML) into a validated configuration. */
export function parseControllerConfig(text: string, source: string): ControllerConfig {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(source, [{ path: '(document)', message: (error as Error).message }]);
  }
  const parsed = controllerConfigSchema.safeParse(document);
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.map((issue) => ({
        path: issuePath(issue, '(document)'),
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}

export async function loadConfigFile(path: string): Promise<ControllerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [{ path: '(file)', message: (error as Error).message }]);
  }
  return parseControllerConfig(text, path);
}

/** Reads the configuration from a key of a ConfigMap (default key: talaria.yaml). */
export async function loadConfigMap(
  client: ApiClient,
  namespace: string,
  name: string,
  key = 'talaria.yaml',
): Promise<ControllerConfig> {
  const source = `ConfigMap ${namespace}/${name} key ${key}`;
  const result = await client.request({
    method: 'GET',
    path: `/api/v1/namespaces/${namespace}/configmaps/${name}`,
  });
  if (!result.ok) throw new ConfigError(source, [{ path: '(read)', message: result.message }]);
  const data = z
    .object({ data: z.record(z.string(), z.string()).nullish() })
    .safeParse(result.body);
  const text = data.success ? data.data.data?.[key] : undefined;
  if (text === undefined) throw new ConfigError(source, [{ path: key, message: 'no such key' }]);
  return parseControllerConfig(text, source);
}

/** The ports of `switchName` the switch accepts Talaria headers on. */
export function agentHostPortsOf(config: ControllerConfig, switchName: string): number[] {
  const listed = config.switches.find((s) => s.name === switchName)?.agentHostPorts;
  if (listed !== undefined) return [...listed];
  const ports = Object.values(config.nodes)
    .filter((attachment) => attachment.switch === switchName)
    .map((attachment) => attachment.port);
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** The model's view of the configuration: where each node is attached. */
export function modelConfigOf(config: ControllerConfig): ModelConfig {
  const switches = new Map(config.switches.map((s) => [s.name, s]));
  return {
    nodes: new Map(
      Object.entries(config.nodes).map(([node, attachment]) => [
        node,
        {
          switchName: attachment.switch,
          port: attachment.port,
          hostMac: attachment.mac,
          switchMac: switches.get(attachment.switch)!.mac,
        },
      ]),
    ),
    networkPolicyEnforcedOnFastPath: config.networkPolicyEnforcement === 'fast-path',
  };
}

const tagKeyText = z
  .string()
  .trim()
  .regex(/^(0x[0-9a-fA-F]{1,16}|\d{1,20})$/, 'must be a decimal or 0x-hex 64-bit number')
  .transform((v) => BigInt(v))
  .refine((v) => v >= 1n && v < 1n << 64n, 'must be in 1..2^64-1');

/**
 * The cookie tag key from its configured source, or undefined for 'switch' (the
 * reconciler adopts a switch's key or draws one). Every replica must read the same key.
 */
export async function resolveTagKey(
  source: ControllerConfig['tagKey'],
  client: ApiClient | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<bigint | undefined> {
  let text: string | undefined;
  let where: string;
  switch (source.source) {
    case 'switch':
      return undefined;
    case 'file':
      where = `tag key file ${source.path}`;
      text = await readFile(source.path, 'utf8').catch((error: Error) => {
        throw new ConfigError(where, [{ path: '(file)', message: error.message }]);
      });
      break;
    case 'env':
      where = `tag key variable ${source.name}`;
      text = env[source.name];
      break;
    case 'secret': {
      where = `tag key Secret ${source.namespace}/${source.name} key ${source.key}`;
      if (client === undefined)
        throw new ConfigError(where, [{ path: '(read)', message: 'no API client' }]);
      const result = await client.request({
        method: 'GET',
        path: `/api/v1/namespaces/${source.namespace}/secrets/${source.name}`,
      });
      if (!result.ok) throw new ConfigError(where, [{ path: '(read)', message: result.message }]);
      const secret = z
        .object({ data: z.record(z.string(), z.string()).nullish() })
        .safeParse(result.body);
      const encoded = secret.success ? secret.data.data?.[source.key] : undefined;
      text = encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
      break;
    }
  }
  if (text === undefined) throw new ConfigError(where, [{ path: '(value)', message: 'not set' }]);
  const parsed = tagKeyText.safeParse(text);
  if (!parsed.success)
    throw new ConfigError(where, [{ path: '(value)', message: parsed.error.issues[0]!.message }]);
  return parsed.data;
}

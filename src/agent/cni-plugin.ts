import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { HostCommandError, runHostCommand } from './host-command.ts';
import { listLinks } from './links.ts';
import {
  readPodRecord,
  removePodRecord,
  writeKernelPathRecord,
  writePodRecord,
  type PodRecord,
} from './pod-records.ts';
import { createLogger } from '../base/logger.ts';
import { describeFirstIssue } from '../validation/zod-issue.ts';

/**
 * The chained CNI plugin (`talaria agent --mode cni`, installed as /opt/cni/bin/talaria-cni
 * after the cluster's own CNI plugin in its conflist): how the agent learns of pod veths
 * (docs/host-path.md says why a chained plugin rather than a Pod watch).
 *
 * On ADD it finds the host side of the pod's veth, turns off transmit checksum offload in
 * the pod (a packet leaving a pod must carry a complete checksum, because no NIC can offload
 * it behind the Talaria shim, and TSO goes with it), optionally sets the pod's MTU, and
 * writes a pod record for the agent; it passes the previous result through unchanged. DEL
 * removes the record; CHECK verifies it; VERSION lists the spec versions.
 *
 * The plugin only adds a fast path, so it never stands in the way of a pod's network: when
 * any step of ADD fails (no nsenter or ethtool on the node, the veth not found, ...), the pod
 * keeps the kernel's path, the failure is reported (a `.kernel-path` record the agent logs
 * and counts, and a line on stderr) and the previous result still passes through. Only a
 * configuration the runtime got wrong (not JSON, no prevResult: not chained) is an error.
 */

export const CNI_SUPPORTED_VERSIONS = ['0.4.0', '1.0.0', '1.1.0'] as const;

const cniConfigSchema = z
  .object({
    cniVersion: z.string(),
    name: z.string(),
    type: z.string(),
    /** Where pod records go; the agent's --pods-dir. */
    podsDir: z.string().default('/run/talaria/pods'),
    /** MTU for the pod interface: the uplink's minus the 16-byte header, when the main plugin does not set it. */
    podMtu: z.number().int().min(576).max(65_535).optional(),
    prevResult: z
      .object({
        interfaces: z
          .array(
            z.object({
              name: z.string(),
              mac: z.string().optional(),
              sandbox: z.string().optional(),
            }),
          )
          .default([]),
        ips: z
          .array(z.object({ address: z.string(), interface: z.number().int().optional() }))
          .default([]),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

type CniConfig = z.infer<typeof cniConfigSchema>;

/** A CNI error result (spec: "Error"); codes 1-99 are the spec's, 100+ the plugin's. */
export class CniError extends Error {
  override readonly name = 'CniError';
  constructor(
    readonly code: number,
    message: string,
    readonly details = '',
  ) {
    super(message);
  }
}

export interface CniInvocation {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: string;
}

function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new CniError(4, `${name} is not set`);
  return value;
}

function parseConfig(stdin: string): CniConfig {
  let json: unknown;
  try {
    json = JSON.parse(stdin);
  } catch (error) {
    throw new CniError(6, 'network configuration on stdin is not JSON', (error as Error).message);
  }
  const parsed = cniConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new CniError(7, `invalid network configuration: ${describeFirstIssue(parsed.error)}`);
  }
  return parsed.data;
}

/** The pod's IPv4 address from the previous plugin's result. */
function podAddress(
  result: NonNullable<CniConfig['prevResult']>,
  ifName: string,
  netns: string,
): string {
  const podInterface = result.interfaces.findIndex((i) => i.name === ifName && i.sandbox === netns);
  const candidates = result.ips.filter(
    (ip) => ip.interface === undefined || podInterface < 0 || ip.interface === podInterface,
  );
  const address = candidates.map((ip) => ip.address.split('/')[0]!).find((a) => isIPv4(a));
  if (!address) throw new CniError(100, `prevResult has no IPv4 address for ${ifName}`);
  return address;
}

async function podSideCommand(netns: string, argv: readonly string[]): Promise<string> {
  const { stdout } = await runHostCommand(['nsenter', `--net=${netns}`, ...argv]);
  return stdout;
}

interface PodIdentity {
  readonly containerId: string;
  readonly ifName: string;
  readonly netns: string;
  readonly podIp: string;
}

/** Finds the host side of the pod's veth from the pod side's peer index. */
async function describePod(pod: PodIdentity): Promise<PodRecord> {
  const { containerId, ifName, netns, podIp } = pod;
  const podLinks = await listLinks(['nsenter', `--net=${netns}`]);
  const podLink = podLinks.find((link) => link.name === ifName);
  if (!podLink) throw new CniError(100, `no interface ${ifName} in ${netns}`);
  if (podLink.peerIfindex === undefined) {
    throw new CniError(100, `${ifName} in ${netns} is not a veth (no peer): nothing to attach to`);
  }
  const hostLink = (await listLinks()).find((link) => link.ifindex === podLink.peerIfindex);
  if (!hostLink) {
    throw new CniError(
      100,
      `the peer of ${ifName} (ifindex ${podLink.peerIfindex}) is not in this namespace`,
    );
  }
  return {
    containerId,
    ifName,
    netns,
    podIp,
    podMac: podLink.mac,
    hostIfname: hostLink.name,
    hostIfindex: hostLink.ifindex,
    hostMac: hostLink.mac,
  };
}

async function add(config: CniConfig, env: NodeJS.ProcessEnv): Promise<string> {
  const containerId = requireEnv(env, 'CNI_CONTAINERID');
  const ifName = requireEnv(env, 'CNI_IFNAME');
  const netns = requireEnv(env, 'CNI_NETNS');
  if (!config.prevResult) {
    throw new CniError(
      7,
      'no prevResult: talaria-cni is a chained plugin and runs after the main one',
    );
  }
  const result = JSON.stringify({ ...config.prevResult, cniVersion: config.cniVersion });
  try {
    const podIp = podAddress(config.prevResult, ifName, netns);
    const record = await describePod({ containerId, ifName, netns, podIp });
    await podSideCommand(netns, ['ethtool', '-K', ifName, 'tx', 'off']);
    if (config.podMtu !== undefined) {
      await podSideCommand(netns, ['ip', 'link', 'set', ifName, 'mtu', String(config.podMtu)]);
    }
    await writePodRecord(config.podsDir, record);
  } catch (error) {
    const reason = (error as Error).message;
    createLogger('cni').warn('pod left on the kernel path', { containerId, ifName, reason });
    await writeKernelPathRecord(config.podsDir, { containerId, ifName, reason }).catch(
      (recordError: Error) =>
        createLogger('cni').error('cannot record the kernel-path pod', { error: recordError }),
    );
  }
  return result;
}

/** Runs one plugin invocation; returns what goes to stdout. Throws CniError. */
export async function runCniPlugin(invocation: CniInvocation): Promise<string> {
  const command = requireEnv(invocation.env, 'CNI_COMMAND');
  if (command === 'VERSION') {
    return JSON.stringify({ cniVersion: '1.0.0', supportedVersions: CNI_SUPPORTED_VERSIONS });
  }
  const config = parseConfig(invocation.stdin);
  try {
    switch (command) {
      case 'ADD':
        return await add(config, invocation.env);
      case 'DEL':
        await removePodRecord(
          config.podsDir,
          requireEnv(invocation.env, 'CNI_CONTAINERID'),
          requireEnv(invocation.env, 'CNI_IFNAME'),
        );
        return '';
      case 'CHECK': {
        const containerId = requireEnv(invocation.env, 'CNI_CONTAINERID');
        const ifName = requireEnv(invocation.env, 'CNI_IFNAME');
        if (!(await readPodRecord(config.podsDir, containerId, ifName))) {
          throw new CniError(100, `no talaria pod record for ${containerId}/${ifName}`);
        }
        return '';
      }
      default:
        throw new CniError(4, `unknown CNI_COMMAND '${command}'`);
    }
  } catch (error) {
    if (error instanceof CniError) throw error;
    if (error instanceof HostCommandError) throw new CniError(100, error.message);
    throw new CniError(100, (error as Error).message);
  }
}

/** The spec's error result for stdout. */
export function cniErrorResult(error: CniError, cniVersion = '1.0.0'): string {
  return JSON.stringify({
    cniVersion,
    code: error.code,
    msg: error.message,
    details: error.details,
  });
}

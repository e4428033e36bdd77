import { text } from 'node:stream/consumers';
import { z } from 'zod';
import { cniErrorResult, CniError, runCniPlugin } from '../../agent/cni-plugin.ts';
import { agentOptionsSchema, detachDatapath, NodeAgent } from '../../agent/node-agent.ts';
import { AgentMetrics } from '../../agent/agent-metrics.ts';
import { createLogger } from '../../base/logger.ts';
import { ProbeServer } from '../../base/probe-server.ts';
import { defineCommand } from '../command.ts';

const MODES = ['run', 'detach', 'cni'] as const;

/** The agent's options need these in run mode only. */
const RUN_ONLY = ['uplink', 'switch-mac', 'frontends'] as const;

const schema = z
  .object({
    mode: z.enum(MODES).default('run'),
    uplink: z.string().optional(),
    'switch-mac': z.string().optional(),
    frontends: z.string().optional(),
    'pods-dir': z.string().optional(),
    bpffs: z.string().optional(),
    'client-flows': z.string().optional(),
    'backend-flows': z.string().optional(),
    'half-open-flows': z.string().optional(),
    vips: z.string().optional(),
    'local-pods': z.string().optional(),
    'tcp-idle-timeout': z.string().optional(),
    'udp-idle-timeout': z.string().optional(),
    'poll-interval-ms': z.string().optional(),
    'http-listen': z
      .string()
      .regex(/^\S+:\d{1,5}$/, 'expected HOST:PORT')
      .default('0.0.0.0:9465'),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (options.mode !== 'run') return;
    for (const name of RUN_ONLY) {
      if (options[name] === undefined)
        ctx.addIssue({ code: 'custom', path: [name], message: 'required' });
    }
    const parsed = agentOptionsSchema.safeParse(toAgentOptions(options));
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const option = String(issue.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
        ctx.addIssue({ code: 'custom', path: [optionName(option)], message: issue.message });
      }
    }
  });

type CliOptions = z.infer<typeof schema>;

/** Option names whose schema field is spelled differently. */
function optionName(field: string): string {
  if (field === 'tcp-idle-timeout-seconds') return 'tcp-idle-timeout';
  if (field === 'udp-idle-timeout-seconds') return 'udp-idle-timeout';
  return field;
}

function toAgentOptions(options: Omit<CliOptions, 'http-listen'>) {
  const defined = Object.entries({
    uplink: options.uplink,
    switchMac: options['switch-mac'],
    frontends: options.frontends,
    podsDir: options['pods-dir'],
    bpffs: options.bpffs,
    clientFlows: options['client-flows'],
    backendFlows: options['backend-flows'],
    halfOpenFlows: options['half-open-flows'],
    vips: options.vips,
    localPods: options['local-pods'],
    tcpIdleTimeoutSeconds: options['tcp-idle-timeout'],
    udpIdleTimeoutSeconds: options['udp-idle-timeout'],
    pollIntervalMs: options['poll-interval-ms'],
  }).filter(([, value]) => value !== undefined);
  return Object.fromEntries(defined);
}

/** The agent's log: JSON lines on stdout (the CNI mode logs nothing: stdout is its result). */
const log = createLogger('agent', { output: 'stdout' });

async function runAgent(options: CliOptions): Promise<number> {
  // Probes and metrics first, so that a slow or failing start is visible.
  const metrics = new AgentMetrics();
  let agent: NodeAgent | undefined;
  const probes = await ProbeServer.start({
    listen: options['http-listen'],
    live: () => true,
    ready: { datapath: () => agent?.ready ?? false },
    metrics: async () => {
      if (!agent) return metrics.registry.render();
      return agent.metrics.scrape(agent.datapath).catch((error: Error) => {
        log.warn('metrics-read-failed', { error });
        throw error;
      });
    },
  });
  log.info('probes-listening', { address: probes.address });
  try {
    agent = await NodeAgent.start(agentOptionsSchema.parse(toAgentOptions(options)), log, metrics);
  } catch (error) {
    await probes.close();
    throw error;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await agent.stop();
  await probes.close();
  log.info('stopped', { datapath: 'left attached and pinned; --mode detach removes it' });
  return 0;
}

async function runCni(): Promise<number> {
  try {
    const out = await runCniPlugin({ env: process.env, stdin: await text(process.stdin) });
    if (out) process.stdout.write(`${out}\n`);
    return 0;
  } catch (error) {
    const cniError =
      error instanceof CniError ? error : new CniError(100, (error as Error).message);
    process.stdout.write(`${cniErrorResult(cniError)}\n`);
    return 1;
  }
}

export const agentCommand = defineCommand({
  name: 'agent',
  summary: 'Run the host agent (eBPF fast path) on a node',
  options: {
    mode: { type: 'string' },
    uplink: { type: 'string' },
    'switch-mac': { type: 'string' },
    frontends: { type: 'string' },
    'pods-dir': { type: 'string' },
    bpffs: { type: 'string' },
    'client-flows': { type: 'string' },
    'backend-flows': { type: 'string' },
    'half-open-flows': { type: 'string' },
    vips: { type: 'string' },
    'local-pods': { type: 'string' },
    'tcp-idle-timeout': { type: 'string' },
    'udp-idle-timeout': { type: 'string' },
    'poll-interval-ms': { type: 'string' },
    'http-listen': { type: 'string' },
  },
  schema,
  details: [
    'Modes:',
    '  run (default)  load and attach the data path, keep its maps in step; needs --uplink,',
    '                 --switch-mac and --frontends. Stopping it (SIGTERM) leaves the data',
    '                 path attached, so established flows survive a restart.',
    '  detach         remove the filters and every pin under --bpffs (default /sys/fs/bpf).',
    '  cni            the chained CNI plugin (CNI_* environment, configuration on stdin).',
    '',
    'Defaults: --pods-dir /run/talaria/pods, --bpffs /sys/fs/bpf, flow/VIP map sizes 65536,',
    '--half-open-flows 16384 (each side), --local-pods 4096, --tcp-idle-timeout 0 (LRU only), --udp-idle-timeout 120 (seconds),',
    '--poll-interval-ms 1000, --http-listen 0.0.0.0:9465 (/healthz, /readyz, /metrics).',
    'See docs/host-path.md.',
  ].join('\n'),
  async run(options: CliOptions) {
    switch (options.mode) {
      case 'run':
        return runAgent(options);
      case 'detach':
        await detachDatapath(options.bpffs ?? '/sys/fs/bpf', log);
        return 0;
      case 'cni':
        return runCni();
    }
  },
});

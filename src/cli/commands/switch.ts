import { z } from 'zod';
import { createLogger } from '../../base/logger.ts';
import { readPipelineFiles } from '../../p4rt/pipeline.ts';
import { loadPipeline } from '../../softswitch/dataplane/load-pipeline.ts';
import { readServerTlsFiles } from '../../softswitch/p4runtime/server-tls.ts';
import { startSwitch } from '../../softswitch/p4runtime/software-switch.ts';
import { portSpecsSchema } from '../../softswitch/ports/port-spec.ts';
import { defineCommand } from '../command.ts';

const hostPort = /^(\[[0-9a-fA-F:]+\]|[^\s:]+):(\d{1,5})$/;

const schema = z
  .object({
    pipeline: z.string().min(1).optional(),
    p4info: z.string().min(1).optional(),
    grpc: z
      .string()
      .refine(
        (v) =>
          /^unix:\/\S+$/.test(v) ||
          (hostPort.test(v) && Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535),
        'expected HOST:PORT (port up to 65535) or unix:/PATH',
      )
      .default('127.0.0.1:9559'),
    'device-id': z
      .string()
      .regex(/^[1-9]\d{0,19}$/, 'expected a device id > 0')
      .transform(BigInt)
      .refine((id) => id < 2n ** 64n, 'device id above 2^64-1')
      .default(1n),
    port: portSpecsSchema.default([]),
    'tls-cert': z.string().min(1).optional(),
    'tls-key': z.string().min(1).optional(),
    'tls-client-ca': z.string().min(1).optional(),
  })
  .strict()
  .refine((o) => (o.pipeline === undefined) === (o.p4info === undefined), {
    message: '--pipeline and --p4info go together',
    path: ['pipeline'],
  })
  .refine((o) => (o['tls-cert'] === undefined) === (o['tls-key'] === undefined), {
    message: '--tls-cert and --tls-key go together',
    path: ['tls-cert'],
  })
  .refine((o) => o['tls-client-ca'] === undefined || o['tls-cert'] !== undefined, {
    message: '--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key',
    path: ['tls-client-ca'],
  });

export const switchCommand = defineCommand({
  name: 'switch',
  summary: 'Run the embedded P4Runtime software switch',
  options: {
    pipeline: { type: 'string' },
    p4info: { type: 'string' },
    grpc: { type: 'string' },
    'device-id': { type: 'string' },
    port: { type: 'string', multiple: true },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-client-ca': { type: 'string' },
  },
  schema,
  details: [
    '--pipeline FILE   BMv2 JSON from p4c to run from the start (with --p4info); without',
    '                  it packets drop until a controller pushes a pipeline',
    '--p4info FILE     its P4Info (.txtpb text format, or binary)',
    '--grpc ADDRESS    P4Runtime server address, HOST:PORT or unix:/PATH (default 127.0.0.1:9559)',
    '--device-id N     P4Runtime device id (default 1)',
    '--tls-cert FILE   serve TLS with this certificate chain (PEM), with --tls-key FILE;',
    '                  without them the server is plaintext (controllers refuse it unless',
    '                  their configuration says insecure: true)',
    '--tls-client-ca FILE  mutual TLS: only clients with a certificate this CA signed',
    '--port N@IF       switch port N on Linux interface IF (raw AF_PACKET, needs root and',
    '                  a C compiler on first use), or N@mem for an unconnected port',
  ].join('\n'),
  async run(options) {
    // stdout, as the agent's: the line that says it serves is what a supervisor waits for.
    const log = createLogger('switch', { output: 'stdout' });
    let pipeline;
    let tls;
    try {
      if (options.pipeline && options.p4info) {
        const files = await readPipelineFiles(options.pipeline, options.p4info);
        pipeline = { p4DeviceConfig: files.deviceConfig, p4info: files.p4info };
      }
      if (options['tls-cert'] && options['tls-key']) {
        tls = await readServerTlsFiles({
          cert: options['tls-cert'],
          key: options['tls-key'],
          clientCa: options['tls-client-ca'],
        });
      }
    } catch (error) {
      log.error('cannot read the pipeline', { error: error as Error });
      return 1;
    }
    let running;
    try {
      running = await startSwitch({
        deviceId: options['device-id'],
        grpcAddress: options.grpc,
        ...(tls ? { tls } : {}),
        ports: options.port,
        loadPipeline,
        ...(pipeline ? { pipeline } : {}),
        onError: (error) => log.error('port failed', { error }),
      });
    } catch (error) {
      log.error('cannot start', { error: error as Error });
      return 1;
    }
    const ports = options.port.map(
      (p) => `${p.number}@${p.kind === 'memory' ? 'mem' : p.interfaceName}`,
    );
    log.info('serving P4Runtime', {
      deviceId: running.deviceId,
      address: running.address,
      transport: tls ? (tls.clientCa ? 'mutual TLS' : 'TLS') : 'plaintext',
      ports: ports.join(', ') || 'none',
      pipeline: pipeline ? options.pipeline : 'none (awaiting a controller)',
    });
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    await running.stop();
    const { received, sent, dropped } = running.stats;
    log.info('stopped', { signal, framesIn: received, framesOut: sent, dropped });
    return 0;
  },
});

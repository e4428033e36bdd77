import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import {
  ConfigError,
  loadConfigFile,
  loadConfigMap,
  resolveTagKey,
} from '../../controller/config.ts';
import { Controller } from '../../controller/controller.ts';
import { createLogger } from '../../base/logger.ts';
import { readPipelineFiles } from '../../p4rt/pipeline.ts';
import { ApiClient } from '../../k8s/api-client.ts';
import { defineCommand } from '../command.ts';
import { ROTATE_KEY_SIGNAL } from './rotate-key.ts';

const configMapRef = /^([a-z0-9-]+)\/([a-z0-9.-]+)(?::(.+))?$/;

const schema = z
  .object({
    config: z.string().min(1).optional(),
    'config-map': z.string().regex(configMapRef, 'expected NAMESPACE/NAME[:KEY]').optional(),
    kubeconfig: z.string().min(1).optional(),
    identity: z.string().min(1).max(128).optional(),
    'http-listen': z
      .string()
      .regex(/^\S+:\d{1,5}$/, 'expected HOST:PORT')
      .optional(),
    'log-level': z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict()
  .refine((o) => (o.config === undefined) !== (o['config-map'] === undefined), {
    message: 'give exactly one of --config and --config-map',
    path: ['config'],
  });

/** The Lease holder identity: the pod name (or host name) and a suffix unique to this process. */
function defaultIdentity(): string {
  return `${process.env.POD_NAME ?? hostname()}_${randomBytes(4).toString('hex')}`;
}

export const runCommand = defineCommand({
  name: 'run',
  summary: 'Run the controller against a Kubernetes cluster',
  options: {
    config: { type: 'string' },
    'config-map': { type: 'string' },
    kubeconfig: { type: 'string' },
    identity: { type: 'string' },
    'http-listen': { type: 'string' },
    'log-level': { type: 'string' },
  },
  schema,
  details: [
    '--config FILE            controller configuration, YAML or JSON (docs/operations.md)',
    '--config-map NS/NAME[:KEY]  read it from a ConfigMap instead (key default talaria.yaml)',
    '--kubeconfig FILE        cluster credentials; default $KUBECONFIG, ~/.kube/config, or',
    '                         the in-cluster service account',
    '--identity NAME          Lease holder identity (default $POD_NAME or host name + suffix)',
    '--http-listen HOST:PORT  probes and metrics (overrides httpListen of the configuration)',
    '--log-level LEVEL        debug, info, warn or error (default info; debug lines also',
    '                         need TALARIA_TRACE=<module>|all)',
    '',
    'SIGUSR2 (talaria rotate-key) rotates the cookie tag key.',
    'Exits 0 on SIGINT/SIGTERM (the Lease is released), 1 when leadership is lost or the',
    'start fails: Kubernetes restarts the pod, which campaigns again.',
  ].join('\n'),
  async run(options) {
    const logger = createLogger('talaria', { level: options['log-level'] });
    const kubeConfig = new KubeConfig();
    let controller: Controller;
    try {
      if (options.kubeconfig) kubeConfig.loadFromFile(options.kubeconfig);
      else kubeConfig.loadFromDefault();
      const client = new ApiClient(kubeConfig);
      logger.info('connecting to the cluster', { server: client.server });
      let config;
      if (options.config) config = await loadConfigFile(options.config);
      else {
        const [, namespace, name, key] = configMapRef.exec(options['config-map']!)!;
        config = await loadConfigMap(client, namespace!, name!, key);
      }
      const tagKey = await resolveTagKey(config.tagKey, client);
      const pipeline = config.pipeline
        ? await readPipelineFiles(config.pipeline.json, config.pipeline.p4info)
        : undefined;
      controller = await Controller.start({
        client,
        config,
        identity: options.identity ?? defaultIdentity(),
        logger,
        ...(pipeline ? { pipeline } : {}),
        ...(tagKey === undefined ? {} : { tagKey }),
        ...(options['http-listen'] ? { httpListen: options['http-listen'] } : {}),
      });
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : (error as Error).message;
      console.error(`talaria run: ${message}`);
      return 1;
    }
    const rotate = () => controller.rotateTagKey('talaria rotate-key');
    process.on(ROTATE_KEY_SIGNAL, rotate);
    const outcome = await new Promise<{ code: number; why: string }>((resolve) => {
      process.once('SIGINT', () => resolve({ code: 0, why: 'SIGINT' }));
      process.once('SIGTERM', () => resolve({ code: 0, why: 'SIGTERM' }));
      void controller
        .whenLeadershipLost()
        .then((reason) => resolve({ code: 1, why: `leadership lost: ${reason}` }));
    });
    process.off(ROTATE_KEY_SIGNAL, rotate);
    logger.info('stopping', { why: outcome.why });
    await controller.stop();
    return outcome.code;
  },
});

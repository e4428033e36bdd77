import { existsSync } from 'node:fs';
import { z } from 'zod';
import { createLogger } from '../../base/logger.ts';
import {
  DEMO_PIPELINE_FILES,
  startDemoRuntime,
  type DemoRuntime,
} from '../../controller/demo/demo-runtime.ts';
import { SAMPLE_NODES } from '../../controller/demo/sample-cluster.ts';
import { runScenario } from '../../controller/demo/scenario.ts';
import { SwitchReader } from '../../controller/demo/switch-reader.ts';
import { defineCommand } from '../command.ts';

/** Short, so that the end of a drain is seen within the demo. */
const DRAIN_SECONDS = 2;

const schema = z
  .object({
    'keep-running': z.boolean().default(false),
    'step-ms': z
      .string()
      .regex(/^\d{1,5}$/, 'expected milliseconds')
      .transform(Number)
      .default(1200),
    verbose: z.boolean().default(false),
  })
  .strict();

/** Resolves on the first SIGINT or SIGTERM, with its name. */
function interrupted(): { promise: Promise<string>; dispose: () => void } {
  let dispose = () => {};
  const promise = new Promise<string>((resolve) => {
    const onInt = () => resolve('SIGINT');
    const onTerm = () => resolve('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    dispose = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  });
  return { promise, dispose };
}

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'Run controller, embedded switch and a sample cluster in one process',
  options: {
    'keep-running': { type: 'boolean' },
    'step-ms': { type: 'string' },
    verbose: { type: 'boolean' },
  },
  schema,
  details: [
    'Starts a Kubernetes API server of ours filled with a sample cluster, the embedded P4',
    'switch and the controller, then tells what happens: the desired state, the switch',
    'tables read back over P4Runtime, a TCP connection through the switch, and a Service',
    'scaled up and down with the tables following. Ends by itself (exit 0 when the switch',
    'did everything the story says, 1 otherwise) unless --keep-running; Ctrl-C stops it.',
    '',
    '--keep-running  stay up after the story until Ctrl-C (probes, metrics, talaria status)',
    '--step-ms N     pause between steps (default 1200; 0 for tests)',
    "--verbose       the controller's own log lines on stderr",
  ].join('\n'),
  async run(options) {
    // After Ctrl-C the story may still be mid-step: it goes quiet while we shut down.
    let quiet = false;
    const write = (line: string) => {
      if (!quiet) process.stdout.write(`${line}\n`);
    };
    const started = performance.now();
    if (!existsSync(DEMO_PIPELINE_FILES.json) || !existsSync(DEMO_PIPELINE_FILES.p4info)) {
      console.error(
        `talaria demo: the compiled P4 program is missing (${DEMO_PIPELINE_FILES.json}); run npm run p4:build`,
      );
      return 1;
    }
    const stop = interrupted();
    write(
      'Talaria demo: a Kubernetes API server, a P4 switch and the Talaria controller, in this process.',
    );
    write('');
    write('[1/6] Starting');
    let runtime: DemoRuntime | undefined;
    let reader: SwitchReader | undefined;
    try {
      const logger = createLogger('talaria', { level: options.verbose ? 'info' : 'error' });
      runtime = await startDemoRuntime({
        logger,
        drainSeconds: DRAIN_SECONDS,
        httpListen: '127.0.0.1:0',
      });
      const { apiServer, switch: sw, controller } = runtime;
      const counts = controller.watcher.cache.counts();
      write(
        `  ✓ test API server ${apiServer.url}: ${counts.nodes} nodes, ${counts.services} Services, ${counts.endpointSlices} EndpointSlices`,
      );
      write(
        `  ✓ embedded switch: P4Runtime on ${sw.address}, device 1, ${SAMPLE_NODES.map((n) => `port ${n.port} = ${n.name}`).join(', ')}`,
      );
      let poll: NodeJS.Timeout | undefined;
      const leading = await Promise.race([
        new Promise<boolean>((resolve) => {
          poll = setInterval(() => {
            if (controller.leadership && controller.reconciler) resolve(true);
          }, 10);
        }),
        stop.promise.then(() => false),
      ]).finally(() => clearInterval(poll));
      if (!leading) throw new Error('interrupted');
      write(
        `  ✓ controller: caches synced, Lease talaria-system/talaria-controller held (P4Runtime election id ${controller.leadership!.electionId}), probes and metrics on http://${controller.probeAddress}`,
      );
      reader = new SwitchReader(sw.address, sw.deviceId);
      const failures = await Promise.race([
        runScenario(runtime, reader, {
          write,
          stepMs: options['step-ms'],
          drainSeconds: DRAIN_SECONDS,
        }),
        stop.promise.then((signal) => {
          throw new Error(`stopped by ${signal}`);
        }),
      ]);
      write('');
      if (options['keep-running']) {
        write(`Running until Ctrl-C. Try: curl http://${controller.probeAddress}/metrics, or`);
        write(`  npx talaria status --switch ${sw.address}`);
        const signal = await stop.promise;
        write(`stopping on ${signal}`);
      }
      write(
        failures === 0
          ? `Done in ${((performance.now() - started) / 1000).toFixed(1)} s: the switch followed the cluster at every step.`
          : `Done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${failures} check(s) failed (marked ✗ above).`,
      );
      return failures === 0 ? 0 : 1;
    } catch (error) {
      const message = (error as Error).message;
      if (message.startsWith('stopped by') || message === 'interrupted') {
        write(`\n${message}: shutting down`);
        quiet = true;
        return 0;
      }
      console.error(`talaria demo: ${message}`);
      return 1;
    } finally {
      stop.dispose();
      reader?.close();
      await runtime?.stop();
    }
  },
});

import { fileURLToPath } from 'node:url';
import { TestApiServer } from '../../k8s/testing/api-server.ts';
import { readPipelineFiles, type Pipeline } from '../../p4rt/pipeline.ts';
import { loadPipeline } from '../../softswitch/dataplane/load-pipeline.ts';
import { startSwitch, type RunningSwitch } from '../../softswitch/p4runtime/software-switch.ts';
import { ApiClient } from '../../k8s/api-client.ts';
import { parseControllerConfig } from '../config.ts';
import { Controller } from '../controller.ts';
import type { Logger } from '../../base/logger.ts';
import { SAMPLE_NODES, sampleCluster, sampleFabricConfig } from './sample-cluster.ts';

/** The compiled P4 program the demo pushes to its switch (committed under p4/build). */
export const DEMO_PIPELINE_FILES = {
  json: fileURLToPath(new URL('../../../p4/build/talaria.json', import.meta.url)),
  p4info: fileURLToPath(new URL('../../../p4/build/talaria.p4info.txtpb', import.meta.url)),
};

export interface DemoRuntime {
  readonly apiServer: TestApiServer;
  readonly switch: RunningSwitch;
  readonly controller: Controller;
  readonly pipeline: Pipeline;
  stop(): Promise<void>;
}

export interface DemoRuntimeOptions {
  readonly logger: Logger;
  /** How long a removed or terminating backend keeps its slot (short, to see it happen). */
  readonly drainSeconds: number;
  /** Where the probes and metrics listen ('127.0.0.1:0' for a free port; false for none). */
  readonly httpListen: string | false;
}

/**
 * Everything `talaria demo` runs, in this process: the test API server filled with the
 * sample cluster, the embedded switch with one in-memory port per node, and the
 * controller (leader election, caches, model, reconciler) between them.
 */
export async function startDemoRuntime(options: DemoRuntimeOptions): Promise<DemoRuntime> {
  const pipeline = await readPipelineFiles(DEMO_PIPELINE_FILES.json, DEMO_PIPELINE_FILES.p4info);
  const apiServer = await TestApiServer.start();
  for (const object of sampleCluster()) apiServer.apply(object);
  let sw: RunningSwitch | undefined;
  try {
    sw = await startSwitch({
      deviceId: 1n,
      grpcAddress: '127.0.0.1:0',
      ports: SAMPLE_NODES.map((node) => ({ number: node.port, kind: 'memory' as const })),
      loadPipeline,
      onError: (error) => options.logger.error('switch port failed', { error }),
    });
    const config = parseControllerConfig(
      JSON.stringify({
        ...sampleFabricConfig(sw.address),
        drainSeconds: options.drainSeconds,
        leaderElection: { namespace: 'talaria-system' },
      }),
      'demo configuration',
    );
    const controller = await Controller.start({
      client: new ApiClient(apiServer.kubeConfig()),
      config,
      identity: 'talaria-demo',
      logger: options.logger,
      pipeline,
      timing: { coalesceMs: 20 },
      httpListen: options.httpListen,
    });
    const running = sw;
    return {
      apiServer,
      switch: running,
      controller,
      pipeline,
      async stop() {
        await controller.stop();
        await running.stop();
        await apiServer.stop();
      },
    };
  } catch (error) {
    await sw?.stop();
    await apiServer.stop();
    throw error;
  }
}

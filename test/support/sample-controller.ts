import { createLogger } from '../../src/base/logger.ts';
import { parseControllerConfig } from '../../src/controller/config.ts';
import { Controller } from '../../src/controller/controller.ts';
import { sampleFabricConfig } from '../../src/controller/demo/sample-cluster.ts';
import { ApiClient } from '../../src/k8s/api-client.ts';
import type { TestApiServer } from '../../src/k8s/testing/api-server.ts';
import { pipelineOf } from '../../src/p4rt/pipeline.ts';
import type { PipelineFiles } from './conformance/pipelines.ts';

/**
 * One controller replica ('replica-a') over the test API server and the sample fabric with
 * its one switch at `switchAddress`, on short leader-election timings so tests do not wait
 * long for it to lead. `httpListen`: false for no probe server.
 */
export function startSampleController(
  server: TestApiServer,
  switchAddress: string,
  files: PipelineFiles,
  httpListen: string | false = false,
): Promise<Controller> {
  return Controller.start({
    client: new ApiClient(server.kubeConfig()),
    config: parseControllerConfig(
      JSON.stringify({
        ...sampleFabricConfig(switchAddress),
        leaderElection: { namespace: 'talaria-system' },
      }),
      'test',
    ),
    identity: 'replica-a',
    logger: createLogger('replica-a', { level: 'error', trace: '' }),
    pipeline: pipelineOf(files.p4info, files.json),
    timing: { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100, coalesceMs: 10 },
    httpListen,
  });
}

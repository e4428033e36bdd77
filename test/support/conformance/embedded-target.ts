import { expect } from 'vitest';
import { loadPipeline } from '../../../src/softswitch/dataplane/load-pipeline.ts';
import { startSwitch } from '../../../src/softswitch/p4runtime/software-switch.ts';
import { eventually } from '../eventually.ts';
import type { ConformanceTarget, OutputFrame } from './target.ts';

/** The embedded switch in this process, on 127.0.0.1:<free port>, with in-memory ports. */
export async function startEmbeddedTarget(ports: readonly number[]): Promise<ConformanceTarget> {
  const running = await startSwitch({
    deviceId: 1n,
    grpcAddress: '127.0.0.1:0',
    ports: ports.map((number) => ({ number, kind: 'memory' as const })),
    loadPipeline,
  });
  return {
    name: 'embedded',
    address: running.address,
    deviceId: running.deviceId,
    ports,
    // The pipeline runs synchronously inside inject: every output is there when it returns.
    async send(port, frame) {
      running.memoryPort(port).inject(frame);
      const outputs: OutputFrame[] = [];
      for (const number of ports) {
        for (const bytes of running.memoryPort(number).takeSent())
          outputs.push({ port: number, bytes });
      }
      return outputs;
    },
    streamsForgotten: () =>
      eventually(() => expect(running.device.arbitration.liveControllers()).toBe(0)),
    stop: () => running.stop(),
  };
}

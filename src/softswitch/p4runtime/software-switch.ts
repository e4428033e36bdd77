import type { ForwardingPipelineConfig__Output } from '../../p4rt/generated/p4/v1/ForwardingPipelineConfig.ts';
import type { Dataplane, LoadPipeline } from '../dataplane/api.ts';
import { MemoryPort } from '../ports/memory-port.ts';
import { openPorts } from '../ports/open-ports.ts';
import type { Port } from '../ports/port.ts';
import type { PortSpec } from '../ports/port-spec.ts';
import { P4RuntimeDevice } from './p4runtime-device.ts';
import { P4RuntimeServer } from './p4runtime-server.ts';
import type { ServerTls } from './server-tls.ts';

export interface SoftwareSwitchOptions {
  /** The P4Runtime device id (BMv2's --device-id); must be > 0. */
  readonly deviceId: bigint;
  /** host:port for the gRPC server; port 0 picks a free one (see RunningSwitch.address). */
  readonly grpcAddress: string;
  /** TLS (mutual with a client CA) of the P4Runtime server; absent, plaintext. */
  readonly tls?: ServerTls;
  readonly ports: readonly PortSpec[];
  /** Loads BMv2 JSON into a data plane pipeline (the embedded interpreter). */
  readonly loadPipeline: LoadPipeline;
  /** A pipeline to run from the start; without one, packets drop until a controller pushes one. */
  readonly pipeline?: ForwardingPipelineConfig__Output;
  /** Hears of failures that do not stop the switch (a port relay that died). */
  readonly onError?: (error: Error) => void;
}

/** What the switch did with the frames its ports received. */
export interface PacketStats {
  received: number;
  /** Frames sent out (one received frame may leave on several ports). */
  sent: number;
  /** Dropped by the pipeline (mark_to_drop, parser errors the program drops on, ...). */
  dropped: number;
  /** Dropped because no pipeline was committed yet. */
  noPipeline: number;
  /** Sent by the pipeline to a port number the switch does not have. */
  unknownPort: number;
}

export interface RunningSwitch {
  readonly deviceId: bigint;
  /** host:port the P4Runtime server listens on. */
  readonly address: string;
  readonly ports: ReadonlyMap<number, Port>;
  readonly device: P4RuntimeDevice;
  readonly stats: Readonly<PacketStats>;
  /** The in-memory port with this number (throws if it is not one). */
  memoryPort(number: number): MemoryPort;
  /** Stops the server (ending every stream) and closes the ports. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded software switch: one P4Runtime device served over gRPC, with its
 * ports feeding frames through the committed pipeline. The programmatic twin of
 * `talaria switch` for tests and the demo.
 */
export async function startSwitch(options: SoftwareSwitchOptions): Promise<RunningSwitch> {
  const stats: PacketStats = { received: 0, sent: 0, dropped: 0, noPipeline: 0, unknownPort: 0 };
  let dataplane: Dataplane | undefined;
  const device = new P4RuntimeDevice(options.deviceId, options.loadPipeline, (committed) => {
    dataplane = committed;
  });
  if (options.pipeline) device.commitLocalConfig(options.pipeline);

  const onError = options.onError ?? (() => {});
  const portList = await openPorts(options.ports, onError);
  const ports = new Map(portList.map((p) => [p.number, p]));
  const forward = (ingress: Port, frame: Buffer): void => {
    stats.received++;
    if (!dataplane) {
      stats.noPipeline++;
      return;
    }
    const result = dataplane.process(ingress.number, frame);
    if (result.outputs.length === 0) stats.dropped++;
    for (const output of result.outputs) {
      const egress = ports.get(output.port);
      if (!egress) {
        stats.unknownPort++;
        continue;
      }
      // A copy: ports may keep the frame (memory ports) after the data plane reuses buffers.
      egress.send(Buffer.from(output.bytes));
      stats.sent++;
    }
  };
  for (const port of portList) port.onReceive((frame) => forward(port, frame));

  let server: P4RuntimeServer;
  try {
    server = await P4RuntimeServer.start(device, options.grpcAddress, options.tls);
  } catch (error) {
    await Promise.all(portList.map((p) => p.close()));
    throw error;
  }
  return {
    deviceId: options.deviceId,
    address: server.address,
    ports,
    device,
    stats,
    memoryPort(number) {
      const port = ports.get(number);
      if (!(port instanceof MemoryPort)) throw new Error(`port ${number} is not an in-memory port`);
      return port;
    },
    async stop() {
      await server.stop();
      await Promise.all(portList.map((p) => p.close()));
    },
  };
}

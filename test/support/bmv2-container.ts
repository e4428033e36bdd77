import { GenericContainer, Wait } from 'testcontainers';
import { BMV2_IMAGE, containerTier } from './tiers.ts';

/**
 * simple_switch_grpc in a container (testcontainers), for the bmv2 container tier: the
 * image is $TALARIA_BMV2_IMAGE, default p4lang/behavioral-model (scripts/build-bmv2-image.sh
 * makes one from a local build where no registry is reachable). P4Runtime only: the switch
 * has no ports, its gRPC server is published on a host port.
 */

/** testcontainers' reaper; without it (no registry to pull it from) tests stop their containers. */
const REAPER_IMAGE = 'testcontainers/ryuk:0.14.0';

export interface RunningBmv2Container {
  /** host:port of its P4Runtime server. */
  readonly grpcAddress: string;
  stop(): Promise<void>;
}

export async function startBmv2Container(image = BMV2_IMAGE): Promise<RunningBmv2Container> {
  if (!containerTier('reaper', [REAPER_IMAGE]).available) {
    process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  }
  const container = await new GenericContainer(image)
    .withCommand([
      'simple_switch_grpc',
      '--device-id',
      '1',
      '--no-p4',
      '--',
      '--grpc-server-addr',
      '0.0.0.0:9559',
    ])
    .withExposedPorts(9559)
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(60_000)
    .start();
  const host = container.getHost() === 'localhost' ? '127.0.0.1' : container.getHost();
  return {
    grpcAddress: `${host}:${container.getMappedPort(9559)}`,
    async stop() {
      await container.stop({ timeout: 1_000 });
    },
  };
}

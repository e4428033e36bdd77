import { execFileSync } from 'node:child_process';
import { describe } from 'vitest';

/** Whether a test tier can run on this machine, and if not, why. */
export interface TierAvailability {
  readonly available: boolean;
  readonly reason: string;
}

/** Whether `command` is on PATH. */
export function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function kernelTier(): TierAvailability {
  if (process.getuid?.() !== 0) return { available: false, reason: 'kernel tier needs root' };
  const missing = ['ip', 'clang', 'bpftool', 'iptables'].filter((c) => !commandExists(c));
  if (missing.length > 0) {
    return { available: false, reason: `kernel tier needs ${missing.join(', ')} on PATH` };
  }
  return { available: true, reason: 'root, iproute2, clang, bpftool and iptables present' };
}

/** Why no container engine can be used here, or undefined when `docker info` answers. */
function engineProblem(): string | undefined {
  if (!commandExists('docker')) return 'no docker CLI on PATH';
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
    return undefined;
  } catch {
    return 'no container engine answers (docker info failed)';
  }
}

const engine = engineProblem();

/** Whether the engine has `image` already (no registry is assumed reachable). */
function hasImage(image: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** A tier that runs containers of `images`: an engine must answer and hold each image. */
export function containerTier(what: string, images: readonly string[]): TierAvailability {
  if (engine) return { available: false, reason: `${what} needs a container engine: ${engine}` };
  const missing = images.filter((image) => !hasImage(image));
  if (missing.length > 0) {
    return {
      available: false,
      reason: `${what} needs the image${missing.length > 1 ? 's' : ''} ${missing.join(', ')} on the engine (pull or build it; docs/testing.md)`,
    };
  }
  return { available: true, reason: `the engine holds ${images.join(', ')}` };
}

function bmv2Tier(): TierAvailability {
  // BMv2 runs in a network namespace of its own, its ports veths read with AF_PACKET.
  if (process.getuid?.() !== 0) {
    return { available: false, reason: 'bmv2 tier needs root (network namespaces, veth)' };
  }
  const missing = ['simple_switch_grpc', 'ip', 'cc'].filter((c) => !commandExists(c));
  if (missing.length > 0) {
    return { available: false, reason: `bmv2 tier needs ${missing.join(', ')} on PATH` };
  }
  return { available: true, reason: 'root, simple_switch_grpc, iproute2 and cc present' };
}

/** The BMv2 image of the container tier: TALARIA_BMV2_IMAGE, default p4lang's official one. */
export const BMV2_IMAGE = process.env.TALARIA_BMV2_IMAGE ?? 'p4lang/behavioral-model:latest';

/** The bases the Dockerfile builds on (scripts/build-base-images.sh makes them). */
export const BASE_IMAGES = {
  base: process.env.TALARIA_BASE_IMAGE ?? 'talaria-base:bookworm-node20',
  build: process.env.TALARIA_BUILD_IMAGE ?? 'talaria-build:bookworm-node20',
} as const;

export const tiers = {
  kernel: kernelTier(),
  bmv2: bmv2Tier(),
  bmv2Container: containerTier('bmv2 container tier', [BMV2_IMAGE]),
  image: containerTier('image tier', [BASE_IMAGES.base, BASE_IMAGES.build]),
} as const;

/**
 * `describe` for a tier: runs the block when the tier is available, otherwise reports
 * every test in it as skipped with the reason in the block's title.
 */
export function describeTier(tier: keyof typeof tiers, name: string, body: () => void): void {
  const { available, reason } = tiers[tier];
  if (available) describe(name, body);
  else describe.skip(`${name} [skipped: ${reason}]`, body);
}

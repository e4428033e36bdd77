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

export const tiers = {
  kernel: kernelTier(),
  bmv2: bmv2Tier(),
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

import { defineConfig } from 'vitest/config';

// Test tiers (docs/testing.md): `unit` always runs; `kernel` needs root, network
// namespaces and eBPF (CI runs as root); `bmv2` needs simple_switch_grpc on PATH, or a
// container engine holding a BMv2 image; `image` needs a container engine holding the
// base images. Tiers that cannot run on this machine report each test as skipped with the
// reason; they are never counted as passing.
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 } },
      {
        test: {
          name: 'kernel',
          include: ['test/kernel/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Kernel tests share one host's namespaces, links and bpffs: run files one at a time.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'bmv2',
          include: ['test/bmv2/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'image',
          include: ['test/image/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

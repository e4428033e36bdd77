import { describe } from 'vitest';
import { defineInformerSuite } from '../support/k8s-informer-suite.ts';
import { testServerTarget } from '../support/k8s-api-target.ts';

describe('against the test API server (410 as an ERROR event)', () => {
  defineInformerSuite(() => testServerTarget({ bookmarkIntervalMs: 60_000 }), { faults: true });
});

describe('against the test API server (410 as HTTP status)', () => {
  defineInformerSuite(
    () => testServerTarget({ expiredWatch: 'status', bookmarkIntervalMs: 60_000 }),
    { faults: true },
  );
});

import { describe } from 'vitest';
import { testServerTarget } from '../support/k8s-api-target.ts';
import { defineLeaderElectionSuite } from '../support/k8s-leader-election-suite.ts';

describe('against the test API server', () => {
  defineLeaderElectionSuite(() => testServerTarget(), { faults: true });
});

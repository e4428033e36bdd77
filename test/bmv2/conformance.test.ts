import { startBmv2Target } from '../support/conformance/bmv2-target.ts';
import { defineConformanceSuite } from '../support/conformance/suite.ts';
import { describeTier } from '../support/tiers.ts';

// The P4Runtime conformance suite against real BMv2 (simple_switch_grpc): the same cases
// as test/unit/conformance-embedded.test.ts, so every difference shows up as a failure here
// or as a documented one (docs/target.md). BMv2 runs in a network namespace: root needed.

describeTier('bmv2', 'P4Runtime conformance on BMv2', () => {
  defineConformanceSuite('conformance: simple_switch_grpc', startBmv2Target);
});

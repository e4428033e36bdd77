import { startEmbeddedTarget } from '../support/conformance/embedded-target.ts';
import { defineConformanceSuite } from '../support/conformance/suite.ts';

// The P4Runtime conformance suite against the embedded target, over real gRPC on
// 127.0.0.1 (test/bmv2/conformance.test.ts runs the same cases against simple_switch_grpc).
defineConformanceSuite('conformance: embedded target', startEmbeddedTarget);

import { loadPipeline } from '../../src/softswitch/index.ts';
import { startSwitch } from '../../src/softswitch/p4runtime/software-switch.ts';
import { defineReconcileSuite } from '../support/reconcile-suite.ts';

// The reconciler's scenarios (converge from empty and from a wrong state, controller and
// switch restarts, full tables, a switch killed mid-batch, ...) against the embedded
// switch target over real gRPC on 127.0.0.1. test/bmv2/reconcile.test.ts runs the same
// scenarios against simple_switch_grpc.
defineReconcileSuite('reconciler against the embedded switch', {
  timeoutMs: 20_000,
  tableFullCode: 'RESOURCE_EXHAUSTED',
  start: (address = '127.0.0.1:0') =>
    startSwitch({ deviceId: 1n, grpcAddress: address, ports: [], loadPipeline }),
});

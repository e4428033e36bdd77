import { describe, expect, it } from 'vitest';
import type { Controller } from '../../src/controller/controller.ts';
import { sendPacket, type Connection } from '../../src/controller/demo/pod-traffic.ts';
import {
  SAMPLE_NODES,
  sampleCluster,
  SWITCH_MAC,
} from '../../src/controller/demo/sample-cluster.ts';
import { TestApiServer } from '../../src/k8s/testing/api-server.ts';
import { loadPipeline } from '../../src/softswitch/index.ts';
import { startSwitch } from '../../src/softswitch/p4runtime/software-switch.ts';
import { buildPacket } from '../../src/wire/packet.ts';
import { firstPacketHeader } from '../../src/wire/talaria-header.ts';
import { talariaPipeline } from '../support/conformance/pipelines.ts';
import { eventually } from '../support/eventually.ts';
import { startSampleController } from '../support/sample-controller.ts';

// The leader's /metrics carries what the switch counted: per Service frontend (the direct
// counter of its entry) and drops by reason, read over P4Runtime when scraped.

const files = talariaPipeline();

(files ? describe : describe.skip)(
  `switch counters on the controller's /metrics${files ? '' : ' [skipped: p4/build not built]'}`,
  () => {
    it('per-Service packets and bytes, and drops by reason, as the switch counted them', async () => {
      const server = await TestApiServer.start();
      const device = await startSwitch({
        deviceId: 1n,
        grpcAddress: '127.0.0.1:0',
        ports: SAMPLE_NODES.map((node) => ({ number: node.port, kind: 'memory' as const })),
        loadPipeline,
      });
      let controller: Controller | undefined;
      try {
        for (const object of sampleCluster()) server.apply(object);
        controller = await startSampleController(server, device.address, files!, '127.0.0.1:0');
        const running = controller;
        await eventually(async () => {
          const reconciler = running.reconciler;
          expect(reconciler).toBeDefined();
          await reconciler!.whenApplied(reconciler!.status().generation);
        });

        // One connection to web (10.96.0.10:80): SYN, then ACK with the cookie.
        const connection: Connection = {
          node: SAMPLE_NODES[0],
          clientIp: '10.244.1.50',
          clientPort: 40_000,
          vip: '10.96.0.10',
          vipPort: 80,
        };
        expect(sendPacket(device, connection).delivered).toBe(true);
        expect(sendPacket(device, connection).delivered).toBe(true);
        // A Talaria header of a version the switch does not know: dropped, with its reason.
        const bad = buildPacket({
          ethernet: { dst: SWITCH_MAC, src: SAMPLE_NODES[0].mac },
          talaria: { ...firstPacketHeader(), version: 2 },
          ipv4: { src: '10.244.1.50', dst: '10.96.0.10' },
          tcp: { srcPort: 40_001, dstPort: 80, flags: 0x02 },
        });
        device.memoryPort(SAMPLE_NODES[0].port).inject(bad);

        const metrics = await (await fetch(`http://${controller.probeAddress}/metrics`)).text();
        const value = (series: string) => {
          const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
          return line === undefined ? undefined : Number(line.slice(series.length + 1));
        };
        const web =
          '{switch="tor1",namespace="shop",service="web",port="http",frontend="10.96.0.10:80/TCP"}';
        expect(value(`talaria_switch_service_packets_total${web}`)).toBe(2);
        expect(value(`talaria_switch_service_bytes_total${web}`)).toBeGreaterThan(2 * 54);
        expect(value('talaria_switch_drops_total{switch="tor1",reason="BAD_VERSION"}')).toBe(1);
        expect(metrics).not.toMatch(/talaria_switch_counter_reads_failed_total\{/);
      } finally {
        await controller?.stop();
        await device.stop();
        await server.stop();
      }
    });
  },
);

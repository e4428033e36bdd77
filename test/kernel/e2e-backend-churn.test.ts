import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUILD_DIR } from '../../scripts/p4-build-record.ts';
import {
  frontendKey,
  type Backend,
  type DesiredState,
  type Frontend,
} from '../../src/model/desired-state.ts';
import { readPipelineFiles } from '../../src/p4rt/pipeline.ts';
import { TABLES } from '../../src/reconcile/p4-names.ts';
import { Reconciler } from '../../src/reconcile/reconciler.ts';
import {
  echo,
  startEchoClient,
  startEchoServer,
  type EchoReport,
} from '../support/echo-traffic.ts';
import { compareWithState, readSwitch } from '../support/reconcile-fixtures.ts';
import { HostPathLab, type LabPod } from '../support/host-path-lab.ts';
import { describeTier } from '../support/tiers.ts';
import { WireTap } from '../support/wire-tap.ts';
import { eventually } from '../support/eventually.ts';
import { parsePacket } from '../../src/wire/packet.ts';

/**
 * The mission's claim with real kernels, the hosts' programs and the real pipeline: when a
 * Service's backends change, open connections stay on the backend they started on and
 * new ones go only to the active backends. The embedded switch (`talaria switch`, AF_PACKET
 * ports) is programmed by the real Reconciler from DesiredState changes: a third backend
 * is added (its slot appears, the selector group grows: the reconciler runs with
 * backendChoice 'selector'), then an original one is marked
 * terminating (it leaves the group and keeps its slot). Which pod holds a connection is
 * read from the kernel (`ss` in each backend's namespace) and, for short connections, from
 * the backend flow map of the backends' host.
 */

const TAG_KEY = 0x5eed_c0den;
const VIP = '10.96.0.20';
const BACKEND_PORT = 8080;
const LONG_LIVED = 8;
/** Long-lived connections: one line every 200 ms for 25 s, past every change below. */
const LONG_LIVED_LINES = 125;
const LINE_INTERVAL_MS = 200;
const NEW_CONNECTIONS = 16;

/** Rejects naming `what` when `promise` takes longer than `ms`. */
function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describeTier('kernel', 'backend churn through the reconciler and the embedded P4 switch', () => {
  let lab: HostPathLab;
  let client: LabPod;
  let backends: LabPod[];
  let switchAddress: string;
  let reconciler: Reconciler | undefined;
  let toBackendHost: WireTap | undefined;

  const frontendWith = (states: readonly Backend['state'][]): Frontend => ({
    key: frontendKey(VIP, 'TCP', 80),
    ip: VIP,
    family: 4,
    protocol: 'TCP',
    port: 80,
    kind: 'ClusterIP',
    service: { namespace: 'churn', name: 'echo', portName: 'tcp' },
    backends: states.map((state, i) => ({
      ip: backends[i]!.ip,
      port: BACKEND_PORT,
      family: 4,
      nodeName: 'host2',
      state,
    })),
  });

  const desiredState = (states: readonly Backend['state'][]): DesiredState => {
    const frontend = frontendWith(states);
    return {
      frontends: new Map([[frontend.key, frontend]]),
      routes: lab.hosts.map((host) => ({
        prefix: `10.200.${host.index}.0/24`,
        family: 4,
        nodeName: `host${host.index}`,
        port: host.index,
        hostMac: host.uplinkMac,
        switchMac: host.switchMac,
      })),
      notOffloaded: [],
    };
  };

  /**
   * Hands a backend set to the reconciler, waits until it is applied and reads the switch
   * back: one slot entry per backend, a selector group of the active backends' slots only.
   */
  const apply = async (states: readonly Backend['state'][]): Promise<void> => {
    const state = desiredState(states);
    const generation = reconciler!.setDesiredState(state);
    await within(`generation ${generation} on the switch`, 20_000, reconciler!.whenApplied());
    const reading = await within('reading the switch', 10_000, readSwitch(switchAddress, 1n));
    expect(compareWithState(reading, state).problems).toEqual([]);
    expect(reading.entries.filter((e) => e.table === TABLES.backends)).toHaveLength(states.length);
    expect(reading.groups.map((g) => g.members.length)).toEqual([
      states.filter((s) => s === 'active').length,
    ]);
  };

  /** Client port -> address of the backend pod holding that established connection. */
  const establishedOnBackends = async (): Promise<Map<number, string>> => {
    const held = new Map<number, string>();
    for (const backend of backends) {
      const { stdout } = await lab.lab.exec(
        backend.netns,
        ['ss', '-Htn', 'state', 'established', `( sport = :${BACKEND_PORT} )`],
        { timeoutMs: 5_000 },
      );
      for (const line of stdout.split('\n').filter(Boolean)) {
        const peer = line.trim().split(/\s+/).at(-1)!;
        const port = Number(peer.slice(peer.lastIndexOf(':') + 1));
        expect(held.get(port), `client port ${port} on two backends`).toBeUndefined();
        held.set(port, backend.ip);
      }
    }
    return held;
  };

  beforeAll(async () => {
    lab = await HostPathLab.create('churn', { hosts: 2, tagKey: TAG_KEY, switchStandin: false });
    const [h1, h2] = [lab.host(1), lab.host(2)];
    for (const host of [h1, h2])
      await lab.writeFrontends(host, [{ ip: VIP, protocol: 'TCP', port: 80 }]);
    client = await lab.addPod(h1, 'c1');
    backends = [await lab.addPod(h2, 'b1'), await lab.addPod(h2, 'b2'), await lab.addPod(h2, 'b3')];

    ({ address: switchAddress } = await lab.startEmbeddedSwitch([1, 2]));
    reconciler = new Reconciler({
      switches: [{ name: 'embedded', address: switchAddress, deviceId: 1n, agentPorts: [1, 2] }],
      pipeline: await readPipelineFiles(
        join(BUILD_DIR, 'talaria.json'),
        join(BUILD_DIR, 'talaria.p4info.txtpb'),
      ),
      tagKey: TAG_KEY,
      drainMs: 600_000,
      // This test follows the selector path (groups); bucket tables: e2e-external-client.
      backendChoice: 'selector',
    });
    reconciler.start();
    await apply(['active', 'active']);

    for (const backend of backends) {
      await startEchoServer(lab.lab, backend.netns, { tcp: BACKEND_PORT, udp: 5353 });
    }
    for (const host of [h1, h2]) await lab.startAgent(host);
  }, 150_000);

  afterAll(async () => {
    await toBackendHost?.close();
    reconciler?.close();
    await lab?.cleanup();
  });

  it('open connections keep their backend through a scale-up and a termination; new ones avoid the terminating backend', async () => {
    // What the switch sends to the backends' host (captured before that host's programs).
    toBackendHost = await WireTap.open(lab.lab, lab.host(2).netns, 'uplink');
    const longLived: { port: number; child: ChildProcess; report: Promise<EchoReport> }[] = [];
    for (let i = 0; i < LONG_LIVED; i++) {
      const port = 40_001 + i;
      const started = startEchoClient(lab.lab, client.netns, {
        protocol: 'TCP',
        host: VIP,
        port: 80,
        count: LONG_LIVED_LINES,
        intervalMs: LINE_INTERVAL_MS,
        localPort: port,
      });
      longLived.push({ port, ...started });
    }
    const clientPorts = longLived.map((c) => c.port);

    // Where each connection landed, once all are up.
    let before = new Map<number, string>();
    await eventually(async () => {
      before = await establishedOnBackends();
      expect([...before.keys()].sort(), 'long-lived connections established').toEqual(
        [...clientPorts].sort(),
      );
    });
    const onBackend = (ip: string) => clientPorts.filter((port) => before.get(port) === ip);
    // The selector spread them over the two original backends only.
    expect(onBackend(backends[2]!.ip)).toEqual([]);

    const stillHeld = async (step: string) => {
      // Wait until every connection has sent lines through the new switch state: frames
      // of each client port that the switch forwards to the backends' host after the change.
      const tap = toBackendHost!;
      const mark = tap.frames.length;
      await eventually(() => {
        const crossed = tap.frames
          .slice(mark)
          .map((f) => parsePacket(f.bytes))
          .filter((p) => p.payload.length > 0);
        for (const port of clientPorts) {
          expect(
            crossed.filter((p) => p.tcp?.srcPort === port).length,
            `lines of client ${port} after ${step}`,
          ).toBeGreaterThanOrEqual(3);
        }
      }, 20_000);
      for (const { port, child } of longLived) {
        expect(child.exitCode, `client ${port} ended before ${step} was checked`).toBeNull();
      }
      const now = await establishedOnBackends();
      for (const port of clientPorts) {
        expect(now.get(port), `client port ${port} after ${step}`).toBe(before.get(port));
      }
    };

    await apply(['active', 'active', 'active']);
    await stillHeld('adding a third backend');

    // Terminate the original backend that holds the most connections.
    const terminating =
      onBackend(backends[0]!.ip).length >= onBackend(backends[1]!.ip).length ? 0 : 1;
    const states: Backend['state'][] = ['active', 'active', 'active'];
    states[terminating] = 'terminating';
    await apply(states);
    await stillHeld(`terminating ${backends[terminating]!.ip}`);

    const newPorts = Array.from({ length: NEW_CONNECTIONS }, (_, i) => 41_001 + i);
    const newReports = await Promise.all(
      newPorts.map((localPort) =>
        echo(lab.lab, client.netns, {
          protocol: 'TCP',
          host: VIP,
          port: 80,
          count: 3,
          intervalMs: 20,
          localPort,
        }),
      ),
    );
    for (const report of newReports) expect(report).toEqual({ sent: 3, got: 3, reason: 'done' });
    const flows = await lab.host(2).datapath.readFlows('backend');
    const newBackends = newPorts.map((port) => {
      const seen = flows.filter((f) => f.key.clientPort === port).map((f) => f.key.serverAddr);
      expect(seen, `backend flows of new client port ${port}`).toHaveLength(1);
      return seen[0]!;
    });
    const active = backends.filter((_, i) => i !== terminating).map((b) => b.ip);
    for (const ip of newBackends) expect(active).toContain(ip);
    expect(newBackends).toContain(backends[2]!.ip);

    // Every long-lived connection exchanged all its lines: none was reset or moved.
    const reports = await within(
      'long-lived connections',
      LONG_LIVED_LINES * LINE_INTERVAL_MS + 15_000,
      Promise.all(longLived.map((c) => c.report)),
    );
    for (const report of reports) {
      expect(report).toEqual({ sent: LONG_LIVED_LINES, got: LONG_LIVED_LINES, reason: 'done' });
    }
    const finalFlows = await lab.host(2).datapath.readFlows('backend');
    for (const port of clientPorts) {
      const seen = finalFlows.filter((f) => f.key.clientPort === port).map((f) => f.key.serverAddr);
      expect(seen, `backend flows of long-lived client port ${port}`).toEqual([before.get(port)]);
    }
  }, 90_000);
});

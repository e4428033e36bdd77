import type { DesiredState, Frontend } from '../../model/desired-state.ts';
import type { DemoRuntime } from './demo-runtime.ts';
import { sendPacket, type Connection, type Delivery } from './pod-traffic.ts';
import { SAMPLE_NODES, WEB_PODS, webSlice } from './sample-cluster.ts';
import type { SwitchReader, SwitchTables } from './switch-reader.ts';

export interface ScenarioOptions {
  /** The drain time the controller was configured with (seconds). */
  readonly drainSeconds: number;
  /** Where each line of the story goes. */
  readonly write: (line: string) => void;
  /** Pause between steps, so that a reader can follow (0 in tests). */
  readonly stepMs: number;
  /** How long a step may wait for the switch to follow the cluster. */
  readonly settleTimeoutMs?: number;
}

const PROTOCOL_NAMES: Record<number, string> = { 6: 'TCP', 17: 'UDP' };
const WEB_VIP = '10.96.0.10';
const nodeOfPort = new Map<number, string>(SAMPLE_NODES.map((n) => [n.port, n.name]));

/**
 * The demo's story, told while it happens: what the cluster asks for, what the switch
 * holds (read back over P4Runtime), a connection through the switch, and the web Service
 * scaled up and down with the tables following and the open connection kept on its pod.
 * Returns the number of checks that failed (0: the switch did what the story says).
 */
export async function runScenario(
  runtime: DemoRuntime,
  reader: SwitchReader,
  options: ScenarioOptions,
): Promise<number> {
  const { write, drainSeconds } = options;
  const { controller, apiServer } = runtime;
  let failures = 0;
  const check = (ok: boolean, what: string) => {
    write(`  ${ok ? '✓' : '✗'} ${what}`);
    if (!ok) failures++;
  };
  const pause = () => new Promise((resolve) => setTimeout(resolve, options.stepMs));
  /** Waits until the model satisfies `done`, then until every switch has applied it. */
  const settle = async (done: (state: DesiredState) => boolean): Promise<number> => {
    const started = performance.now();
    const deadline = started + (options.settleTimeoutMs ?? 15_000);
    while (!done(controller.pipeline.current()!)) {
      if (performance.now() > deadline)
        throw new Error('the model did not follow the cluster in time');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    controller.pipeline.flush();
    const writers = controller.reconciler;
    if (writers === undefined) throw new Error('the controller is not leading');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        writers.whenApplied(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('the switch did not follow the model in time')),
            deadline - performance.now(),
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return performance.now() - started;
  };

  write('');
  write('[2/6] What the cluster asks for: the desired state the model computed');
  const state = controller.pipeline.current()!;
  for (const line of describeDesiredState(state)) write(`  ${line}`);
  await pause();

  write('');
  write('[3/6] What the switch holds, read back over P4Runtime');
  const firstMs = await settle(() => true);
  let tables = await reader.read();
  const writes = controller.reconcileMetrics.writes.sum();
  for (const line of describeSwitch(tables, state)) write(`  ${line}`);
  write(
    `  (${writes} P4Runtime updates written; switch in sync ${firstMs.toFixed(0)} ms after the last change)`,
  );
  check(
    tables.frontends.length === countIpv4Frontends(state),
    'one frontends entry per IPv4 frontend of the desired state',
  );
  const webService = tables.frontends.find((f) => f.vip === WEB_VIP && f.port === 80)?.serviceId;
  check(webService !== undefined, `the web VIP ${WEB_VIP}:80 has a service id (${webService})`);
  await pause();

  write('');
  write('[4/6] A connection: pod 10.244.1.50 on node-a opens TCP to web, 10.96.0.10:80');
  const connection: Connection = {
    node: SAMPLE_NODES[0],
    clientIp: '10.244.1.50',
    clientPort: 40_000,
    vip: WEB_VIP,
    vipPort: 80,
  };
  const syn = sendPacket(runtime.switch, connection);
  write(`  SYN ${describeDelivery(syn)}`);
  check(
    syn.delivered && WEB_PODS.some((p) => p.ip === syn.ip) && syn.port === 8080,
    'the switch picked a web pod and rewrote the destination to it',
  );
  const chosen = syn.delivered ? syn.ip : '';
  write(`  every later packet of this connection carries the cookie ${describeCookie(connection)}`);
  await pause();

  write('');
  write('[5/6] Scale web up: a third pod, 10.244.1.13 on node-a, joins the EndpointSlice');
  const scaledUp = [...WEB_PODS, { ip: '10.244.1.13', node: 'node-a' }];
  apiServer.apply(webSlice(scaledUp));
  const upMs = await settle((s) => backendsOf(s, WEB_VIP).length === 3);
  tables = await reader.read();
  write(`  switch in sync ${upMs.toFixed(0)} ms after the change; web's backends on the switch:`);
  for (const line of describeBackends(tables, webService)) write(`    ${line}`);
  check(
    tables.backends.filter((b) => b.serviceId === webService).length === 3,
    'three slots for web',
  );
  const ack = sendPacket(runtime.switch, connection);
  write(`  the open connection's next packet (ACK with its cookie) ${describeDelivery(ack)}`);
  check(
    ack.delivered && ack.ip === chosen,
    `it stays on ${chosen}: the cookie, not the new backend set, decides`,
  );
  await pause();

  write('');
  write(`[6/6] Scale web down: ${chosen} is terminating, then gone`);
  const remaining = scaledUp.filter((p) => p.ip !== chosen);
  apiServer.apply(
    webSlice([
      ...remaining,
      { ip: chosen, node: scaledUp.find((p) => p.ip === chosen)!.node!, terminating: true },
    ]),
  );
  const downMs = await settle((s) =>
    backendsOf(s, WEB_VIP).some((b) => b.ip === chosen && b.state === 'terminating'),
  );
  write(
    `  model: ${chosen} terminating (keeps its slot, takes no new connections); switch in sync ${downMs.toFixed(0)} ms after the change`,
  );
  const newConnection: Connection = { ...connection, clientPort: 40_001, cookie: undefined };
  const fresh = Array.from({ length: 8 }, (_, i) =>
    sendPacket(runtime.switch, { ...newConnection, clientPort: 40_001 + i }),
  );
  const freshTargets = [...new Set(fresh.map((d) => (d.delivered ? d.ip : 'dropped')))].sort();
  write(`  8 new connections went to: ${freshTargets.join(', ')}`);
  check(!freshTargets.includes(chosen), `no new connection goes to ${chosen}`);
  const stillThere = sendPacket(runtime.switch, connection);
  write(`  the open connection ${describeDelivery(stillThere)}`);
  check(
    stillThere.delivered && stillThere.ip === chosen,
    'the open connection still reaches its pod while it drains',
  );
  apiServer.apply(webSlice(remaining));
  const goneMs = await settle((s) => !backendsOf(s, WEB_VIP).some((b) => b.ip === chosen));
  tables = await reader.read();
  write(
    `  pod gone from the EndpointSlice: switch in sync ${goneMs.toFixed(0)} ms later; web's backends on the switch:`,
  );
  for (const line of describeBackends(tables, webService)) write(`    ${line}`);
  write(
    `  ${chosen} keeps its slot for the drain time (${drainSeconds} s here), for connections still open`,
  );
  const freed = await waitFor(
    async () => {
      tables = await reader.read();
      return !tables.backends.some((b) => b.serviceId === webService && b.ip === chosen);
    },
    (drainSeconds + 10) * 1000,
  );
  check(
    freed,
    `after the drain time its slot is freed: ${describeBackends(tables, webService).join(', ')}`,
  );
  await pause();
  return failures;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function backendsOf(state: DesiredState, vip: string): Frontend['backends'] {
  return [...state.frontends.values()].find((f) => f.ip === vip && f.port === 80)?.backends ?? [];
}

function countIpv4Frontends(state: DesiredState): number {
  return [...state.frontends.values()].filter((f) => f.family === 4).length;
}

/** The desired state, one block per Service. */
export function describeDesiredState(state: DesiredState): string[] {
  const byService = new Map<string, Frontend[]>();
  for (const frontend of state.frontends.values()) {
    const key = `${frontend.service.namespace}/${frontend.service.name}`;
    byService.set(key, [...(byService.get(key) ?? []), frontend]);
  }
  const lines: string[] = [];
  for (const [service, frontends] of [...byService].sort(([a], [b]) => (a < b ? -1 : 1))) {
    frontends.sort((a, b) => (a.kind + a.ip + a.port < b.kind + b.ip + b.port ? -1 : 1));
    frontends.forEach((f, i) => {
      const affinity = f.clientIpAffinity
        ? ` (ClientIP affinity ${f.clientIpAffinity.timeoutSeconds}s)`
        : '';
      const backends =
        f.backends.length > 0
          ? f.backends
              .map((b) => `${b.ip}:${b.port}${b.state === 'terminating' ? ' (terminating)' : ''}`)
              .join(', ')
          : 'no backends';
      lines.push(
        `${(i === 0 ? service : '').padEnd(22)} ${f.kind.padEnd(9)} ${`${f.ip}:${f.port}/${f.protocol}`.padEnd(24)} -> ${backends}${affinity}`,
      );
    });
  }
  for (const item of state.notOffloaded) {
    lines.push(
      `not offloaded: ${item.service.namespace}/${item.service.name} port '${item.service.portName}': ${item.reason}`,
    );
  }
  const routes = state.routes.map((r) => `${r.prefix} -> ${r.nodeName}`).join(', ');
  lines.push(`routes: ${routes}`);
  return lines;
}

/** The switch tables, summarized with Service names from the desired state. */
function describeSwitch(tables: SwitchTables, state: DesiredState): string[] {
  const names = new Map<number, string>();
  for (const f of tables.frontends) {
    const frontend = state.frontends.get(
      `${f.vip}|${PROTOCOL_NAMES[f.protocol] ?? f.protocol}|${f.port}`,
    );
    if (frontend) names.set(f.serviceId, `${frontend.service.namespace}/${frontend.service.name}`);
  }
  const lines = [
    `frontends (${tables.frontends.length} entries: VIP, protocol, port -> service id):`,
  ];
  for (const f of tables.frontends) {
    lines.push(
      `  ${`${f.vip}:${f.port}/${PROTOCOL_NAMES[f.protocol] ?? f.protocol}`.padEnd(24)} -> service ${f.serviceId} (${names.get(f.serviceId) ?? '?'})`,
    );
  }
  lines.push(`backends (${tables.backends.length} entries: service id, slot -> pod):`);
  const byService = new Map<number, string[]>();
  for (const b of tables.backends)
    byService.set(b.serviceId, [
      ...(byService.get(b.serviceId) ?? []),
      `slot ${b.slot} ${b.ip}:${b.port}`,
    ]);
  for (const [id, slots] of byService) lines.push(`  service ${id}: ${slots.join(', ')}`);
  lines.push(
    `l3_forward (${tables.routes.length} routes): ${tables.routes.map((r) => `${r.prefix} -> port ${r.port} (${nodeOfPort.get(r.port) ?? '?'})`).join(', ')}`,
  );
  return lines;
}

function describeBackends(tables: SwitchTables, serviceId: number | undefined): string[] {
  return tables.backends
    .filter((b) => b.serviceId === serviceId)
    .map((b) => `slot ${b.slot} -> ${b.ip}:${b.port}`);
}

function describeDelivery(delivery: Delivery): string {
  if (!delivery.delivered) return 'was dropped by the switch';
  return `left the switch on ${delivery.nodeName}'s port to ${delivery.ip}:${delivery.port}`;
}

function describeCookie(connection: Connection): string {
  const c = connection.cookie;
  return c
    ? `(service ${c.serviceId}, slot ${c.slot}, tag 0x${c.tag.toString(16).padStart(4, '0')})`
    : '(none: the switch wrote no cookie)';
}

/**
 * Generates test/vectors/pipeline.json: the packet vectors that define the switch's
 * behaviour on the wire (test/vectors/README.md). Run: npm run vectors:gen.
 *
 * Every expected output is written here from the documents, not from the P4 program:
 * docs/wire-format.md (header, tag, drop reasons) and docs/p4-pipeline.md (paths,
 * rewrites, checksum rules). The one thing taken from BMv2 itself is how its action
 * selector picks a member (bmv2SelectorSlot below), which the P4 program leaves to the
 * target.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { ipv4ToNumber } from '../src/wire/addresses.ts';
import type { DropCounterName } from '../src/wire/drop-reasons.ts';
import { buildPacket, IP_PROTOCOL, parsePacket, type PacketSpec } from '../src/wire/packet.ts';
import { computeTag } from '../src/wire/tag.ts';
import {
  cookieHeader,
  ETHERTYPE_IPV6,
  firstPacketHeader,
  TalariaFlag,
  type TalariaHeader,
} from '../src/wire/talaria-header.ts';
import {
  bytesToHex,
  parseVectorFile,
  VECTOR_FORMAT,
  VECTORS_DIR,
  type PacketVector,
  switchStateSchema,
  tagKeyHex,
  type SwitchState,
  type SwitchStateInput,
  type VectorFileInput,
  type VectorPath,
} from '../src/wire/vectors.ts';

export const VECTOR_FILE_NAME = 'pipeline.json';

// --- Topology: one switch, three agent hosts and an external router.

const SWITCH_MAC = '02:00:00:00:00:fe';

interface Host {
  readonly port: number;
  readonly mac: string;
}

const nodeA: Host = { port: 1, mac: '02:00:00:00:01:01' }; // clients, 10.244.1.0/24
const nodeB: Host = { port: 2, mac: '02:00:00:00:02:01' }; // backends, 10.244.2.0/24
const nodeC: Host = { port: 3, mac: '02:00:00:00:03:01' }; // backends, 10.244.3.0/24
const router: Host = { port: 4, mac: '02:00:00:00:04:01' }; // 198.51.100.0/24 outside

const CLIENT_POD = '10.244.1.5';
const EXTERNAL_CLIENT = '198.51.100.7';

// Key epochs (docs/wire-format.md, "Key epochs"): the switch stamps with epoch 7's key and
// still verifies epoch 6's; epoch 5's key is gone.
const KEY_EPOCH = 7;
const TAG_KEY = 0x5a17c0de0b5e55edn;
const PREVIOUS_TAG_KEY = 0x0123456789abcdefn;
const RETIRED_TAG_KEY = 0x7e7e7e7e01010101n;

interface Service {
  readonly serviceId: number;
  readonly vipAddr: string;
  readonly protocol: 'TCP' | 'UDP';
  readonly vipPort: number;
}

interface Backend {
  readonly slot: number;
  readonly addr: string;
  readonly port: number;
}

// Ids and slots with distinct bytes, so that a byte-order mistake changes the tag.
const web: Service = { serviceId: 1001, vipAddr: '10.96.0.10', protocol: 'TCP', vipPort: 80 };
const webBackends: readonly Backend[] = [
  { slot: 1, addr: '10.244.2.10', port: 8080 },
  { slot: 2, addr: '10.244.3.20', port: 8080 },
];
const dns: Service = { serviceId: 1002, vipAddr: '10.96.0.20', protocol: 'UDP', vipPort: 53 };
const dnsBackend: Backend = { slot: 0x0103, addr: '10.244.3.53', port: 5353 };
const sticky: Service = {
  serviceId: 0x00010003,
  vipAddr: '10.96.0.30',
  protocol: 'TCP',
  vipPort: 443,
};
const stickyBackends: readonly Backend[] = [
  { slot: 0x0105, addr: '10.244.2.30', port: 8443 },
  { slot: 0x0207, addr: '10.244.3.31', port: 8443 },
];
/** A Service with a bucket table over the 5-tuple (docs/p4-pipeline.md, "Bucket tables"). */
const resilient: Service = {
  serviceId: 0x00020005,
  vipAddr: '10.96.0.50',
  protocol: 'TCP',
  vipPort: 80,
};
const resilientBackends: readonly Backend[] = [
  { slot: 0x0301, addr: '10.244.2.51', port: 8080 },
  { slot: 0x0302, addr: '10.244.3.52', port: 8080 },
  { slot: 0x0303, addr: '10.244.2.53', port: 8080 },
];
/** A ClientIP-affinity Service with a bucket table over the client address. */
const stickyBuckets: Service = {
  serviceId: 0x00020006,
  vipAddr: '10.96.0.60',
  protocol: 'TCP',
  vipPort: 443,
};
const stickyBucketBackends: readonly Backend[] = [
  { slot: 0x0401, addr: '10.244.2.61', port: 8443 },
  { slot: 0x0402, addr: '10.244.3.62', port: 8443 },
];
/** A frontend whose Service has no ready endpoints: no selector entry. */
const empty: Service = { serviceId: 1004, vipAddr: '10.96.0.40', protocol: 'TCP', vipPort: 80 };

const switchStateInput: SwitchStateInput = {
  tagKeys: {
    epoch: KEY_EPOCH,
    current: tagKeyHex(TAG_KEY),
    previous: tagKeyHex(PREVIOUS_TAG_KEY),
  },
  agentPorts: [nodeA.port, nodeB.port, nodeC.port],
  frontends: [web, dns, sticky, empty, resilient, stickyBuckets].map(
    ({ vipAddr, protocol, vipPort, serviceId }) => ({
      vipAddr,
      protocol,
      vipPort,
      serviceId,
    }),
  ),
  selectors: [
    { table: 'backend_select', serviceId: web.serviceId, slots: webBackends.map((b) => b.slot) },
    { table: 'backend_select', serviceId: dns.serviceId, slots: [dnsBackend.slot] },
    {
      table: 'affinity_select',
      serviceId: sticky.serviceId,
      slots: stickyBackends.map((b) => b.slot),
    },
  ],
  buckets: [
    {
      // The third backend is terminating: it keeps its buckets' header-less flows, but
      // connections opened with a first-packet header go to the others.
      serviceId: resilient.serviceId,
      hash: 'flow',
      slots: [0, 1, 2, 0, 1, 2, 0, 1].map((i) => resilientBackends[i]!.slot),
      newSlots: [0, 1, 0, 0, 1, 1, 0, 1].map((i) => resilientBackends[i]!.slot),
    },
    {
      serviceId: stickyBuckets.serviceId,
      hash: 'client',
      slots: [0, 1, 1, 0].map((i) => stickyBucketBackends[i]!.slot),
    },
  ],
  backends: [
    ...webBackends.map((b) => ({ serviceId: web.serviceId, ...b })),
    ...resilientBackends.map((b) => ({ serviceId: resilient.serviceId, ...b })),
    ...stickyBucketBackends.map((b) => ({ serviceId: stickyBuckets.serviceId, ...b })),
    { serviceId: dns.serviceId, ...dnsBackend },
    ...stickyBackends.map((b) => ({ serviceId: sticky.serviceId, ...b })),
  ],
  replyFrontends: [web, dns, sticky, resilient, stickyBuckets].map(
    ({ serviceId, vipAddr, vipPort, protocol }) => ({
      serviceId,
      vipAddr,
      vipPort,
      protocol,
    }),
  ),
  routes: [
    {
      prefix: '10.244.1.0/24',
      kind: 'host',
      port: nodeA.port,
      switchMac: SWITCH_MAC,
      hostMac: nodeA.mac,
    },
    {
      prefix: '192.168.0.11/32',
      kind: 'host',
      port: nodeA.port,
      switchMac: SWITCH_MAC,
      hostMac: nodeA.mac,
    },
    {
      prefix: '10.244.2.0/24',
      kind: 'host',
      port: nodeB.port,
      switchMac: SWITCH_MAC,
      hostMac: nodeB.mac,
    },
    {
      prefix: '10.244.3.0/24',
      kind: 'host',
      port: nodeC.port,
      switchMac: SWITCH_MAC,
      hostMac: nodeC.mac,
    },
    {
      prefix: '198.51.100.0/24',
      kind: 'external',
      port: router.port,
      switchMac: SWITCH_MAC,
      hostMac: router.mac,
    },
  ],
};

const switchState: SwitchState = switchStateSchema.parse(switchStateInput);

// --- The expected behaviour, from docs/p4-pipeline.md.

/** l3_forward: the longest prefix holding `addr`. */
function routeTo(addr: string): SwitchState['routes'][number] | undefined {
  const target = ipv4ToNumber(addr);
  let best: SwitchState['routes'][number] | undefined;
  let bestLength = -1;
  for (const route of switchState.routes) {
    const [network, lengthText] = route.prefix.split('/') as [string, string];
    const length = Number(lengthText);
    const size = 2 ** (32 - length);
    if (
      Math.floor(target / size) === Math.floor(ipv4ToNumber(network) / size) &&
      length > bestLength
    ) {
      best = route;
      bestLength = length;
    }
  }
  return best;
}

/**
 * BMv2's action selector (behavioral-model src/bm_sim/action_profile.cpp): member
 * number (crc16 of the selector key fields, concatenated big-endian) mod (group size),
 * members ordered by handle, i.e. by creation order on a fresh switch. crc16 is
 * CRC-16/ARC (calculations.cpp: polynomial 0x8005 reflected, init 0, no final xor).
 */
function crc16Arc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

interface FiveTuple {
  readonly clientAddr: string;
  readonly vipAddr: string;
  readonly protocol: number;
  readonly clientPort: number;
  readonly vipPort: number;
}

/** The selector key fields of backend_select / affinity_select, in key order. */
function selectorKeyBytes(table: 'backend_select' | 'affinity_select', t: FiveTuple): Uint8Array {
  const bytes = new Uint8Array(table === 'backend_select' ? 13 : 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, ipv4ToNumber(t.clientAddr));
  if (table === 'backend_select') {
    view.setUint32(4, ipv4ToNumber(t.vipAddr));
    view.setUint8(8, t.protocol);
    view.setUint16(9, t.clientPort);
    view.setUint16(11, t.vipPort);
  }
  return bytes;
}

function bmv2SelectorSlot(service: Service, tuple: FiveTuple): number {
  const selector = switchState.selectors.find((s) => s.serviceId === service.serviceId);
  if (!selector) throw new Error(`service ${service.serviceId} has no selector`);
  const index = crc16Arc(selectorKeyBytes(selector.table, tuple)) % selector.slots.length;
  return selector.slots[index]!;
}

/**
 * A packet without a cookie to a Service with a bucket table: bucket = crc16 of the
 * selector key fields (the 5-tuple, or the client address for a client-hashed table)
 * & (size - 1); the bucket's entry is the slot.
 */
function bucketSlot(service: Service, tuple: FiveTuple, opening = false): number {
  const table = switchState.buckets.find((t) => t.serviceId === service.serviceId);
  if (!table) throw new Error(`service ${service.serviceId} has no bucket table`);
  const key = selectorKeyBytes(table.hash === 'flow' ? 'backend_select' : 'affinity_select', tuple);
  const slots = opening ? (table.newSlots ?? table.slots) : table.slots;
  return slots[crc16Arc(key) & (table.slots.length - 1)]!;
}

function backendAt(service: Service, slot: number): Backend {
  const backend = switchState.backends.find(
    (b) => b.serviceId === service.serviceId && b.slot === slot,
  );
  if (!backend) throw new Error(`no backend at service ${service.serviceId} slot ${slot}`);
  return backend;
}

function protocolNumber(service: Service): number {
  return service.protocol === 'TCP' ? IP_PROTOCOL.TCP : IP_PROTOCOL.UDP;
}

/** A packet's client-side tuple, taken as a request to the VIP. */
function requestTuple(spec: PacketSpec): FiveTuple {
  const l4 = spec.tcp ?? spec.udp;
  if (!spec.ipv4 || !l4) throw new Error('a request needs IPv4 and TCP or UDP');
  return {
    clientAddr: spec.ipv4.src,
    vipAddr: spec.ipv4.dst,
    protocol: spec.tcp ? IP_PROTOCOL.TCP : IP_PROTOCOL.UDP,
    clientPort: l4.srcPort,
    vipPort: l4.dstPort,
  };
}

function tagFor(service: Service, tuple: FiveTuple, slot: number, key = TAG_KEY): number {
  return computeTag({ key, ...tuple, serviceId: service.serviceId, slot });
}

/** The cookie the switch writes for `tuple` on `slot` of `service` (or of an older epoch). */
function cookieFor(
  service: Service,
  tuple: FiveTuple,
  slot: number,
  epoch = KEY_EPOCH,
  key = TAG_KEY,
): TalariaHeader {
  return cookieHeader({
    serviceId: service.serviceId,
    slot,
    keyEpoch: epoch,
    tag: tagFor(service, tuple, slot, key),
  });
}

/** Routed by l3_forward: MACs of the route, TTL - 1, header stripped towards the outside. */
function forwarded(spec: PacketSpec): { port: number; spec: PacketSpec } {
  const route = routeTo(spec.ipv4!.dst);
  if (!route) throw new Error(`no route to ${spec.ipv4!.dst}`);
  return {
    port: route.port,
    spec: {
      ...spec,
      ethernet: { src: route.switchMac, dst: route.hostMac },
      talaria: route.kind === 'external' ? undefined : spec.talaria,
      ipv4: { ...spec.ipv4!, ttl: spec.ipv4!.ttl! - 1 },
    },
  };
}

/** A request rewritten to the backend at `slot`, carrying the cookie; then routed. */
function loadBalanced(spec: PacketSpec, service: Service, slot: number) {
  const tuple = requestTuple(spec);
  const backend = backendAt(service, slot);
  return forwarded({
    ...spec,
    talaria: cookieFor(service, tuple, slot),
    ipv4: { ...spec.ipv4!, dst: backend.addr },
    tcp: spec.tcp && { ...spec.tcp, dstPort: backend.port },
    udp: spec.udp && { ...spec.udp, dstPort: backend.port },
  });
}

/** A reply with its source rewritten to the frontend of its cookie; then routed. */
function replyRewritten(spec: PacketSpec, service: Service) {
  return forwarded({
    ...spec,
    ipv4: { ...spec.ipv4!, src: service.vipAddr },
    tcp: spec.tcp && { ...spec.tcp, srcPort: service.vipPort },
    udp: spec.udp && { ...spec.udp, srcPort: service.vipPort },
  });
}

// --- Packet shapes.

const ascii = (text: string) => new TextEncoder().encode(text);
const HTTP_GET = ascii('GET / HTTP/1.1\r\nHost: web\r\n\r\n');
const HTTP_OK = ascii('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const DNS_QUERY = hex('123401000001000000000000037765620000010001');
const DNS_ANSWER = hex('123481800001000000000000037765620000010001');

/** A packet without its Ethernet header: `from` adds the sender's. */
type Body = Omit<PacketSpec, 'ethernet'> & { readonly ethernet?: PacketSpec['ethernet'] };

/** A frame `host` sends to the switch (to the switch's MAC unless the body says otherwise). */
function from(host: Host, body: Body): { port: number; spec: PacketSpec } {
  return {
    port: host.port,
    spec: { ...body, ethernet: body.ethernet ?? { dst: SWITCH_MAC, src: host.mac } },
  };
}

function tcpSyn(src: string, dst: string, srcPort: number, dstPort: number, ttl = 64): Body {
  return {
    ipv4: { src, dst, ttl, identification: 0x1c46, dontFragment: true },
    tcp: { srcPort, dstPort, seq: 0x10203040, flags: 0x02, window: 64240 },
  };
}

function tcpData(
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
  payload: Uint8Array,
): Body {
  return {
    ipv4: { src, dst, ttl: 64, identification: 0x1c47, dontFragment: true },
    tcp: { srcPort, dstPort, seq: 0x10203041, ack: 0x55667788, flags: 0x18, window: 502 },
    payload,
  };
}

function udpDatagram(
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
  payload: Uint8Array,
): Body {
  return {
    ipv4: { src, dst, ttl: 64, identification: 0x0b0b },
    udp: { srcPort, dstPort },
    payload,
  };
}

// --- Vectors.

interface VectorDraft {
  readonly name: string;
  readonly path: VectorPath;
  readonly description: string;
  readonly input: { port: number; spec: PacketSpec } | { port: number; bytes: Uint8Array };
  readonly expect: { port: number; spec: PacketSpec } | { drop: DropCounterName };
}

function frameBytes(frame: { spec: PacketSpec } | { bytes: Uint8Array }): Uint8Array {
  return 'bytes' in frame ? frame.bytes : buildPacket(frame.spec);
}

/** The first `length` bytes of a frame: a header cut short. */
function truncated(frame: { port: number; spec: PacketSpec }, length: number) {
  return { port: frame.port, bytes: buildPacket(frame.spec).subarray(0, length) };
}

/** Client ports from `start` whose new connections BMv2 sends to each slot of `service`. */
function clientPortsPerSlot(
  service: Service,
  clientAddr: string,
  start: number,
): Map<number, number> {
  const selector = switchState.selectors.find((s) => s.serviceId === service.serviceId)!;
  const found = new Map<number, number>();
  for (let port = start; found.size < selector.slots.length; port++) {
    const slot = bmv2SelectorSlot(service, {
      clientAddr,
      vipAddr: service.vipAddr,
      protocol: protocolNumber(service),
      clientPort: port,
      vipPort: service.vipPort,
    });
    if (!found.has(slot)) found.set(slot, port);
  }
  return found;
}

/** Clients of 10.244.1.0/24 whose ClientIP-affinity connections go to each slot. */
function clientsPerAffinitySlot(service: Service): Map<number, string> {
  const selector = switchState.selectors.find((s) => s.serviceId === service.serviceId)!;
  const found = new Map<number, string>();
  for (let host = 5; found.size < selector.slots.length; host++) {
    const clientAddr = `10.244.1.${host}`;
    const slot = bmv2SelectorSlot(service, {
      clientAddr,
      vipAddr: '0.0.0.0',
      protocol: 0,
      clientPort: 0,
      vipPort: 0,
    });
    if (!found.has(slot)) found.set(slot, clientAddr);
  }
  return found;
}

/** New connections to Services with bucket tables. */
function bucketDrafts(add: (draft: VectorDraft) => void): void {
  const tupleTo = (service: Service, clientAddr: string, clientPort: number): FiveTuple => ({
    clientAddr,
    vipAddr: service.vipAddr,
    protocol: protocolNumber(service),
    clientPort,
    vipPort: service.vipPort,
  });
  // One external client port per slot of the 5-tuple table.
  const ports = new Map<number, number>();
  for (let port = 51000; ports.size < resilientBackends.length; port++) {
    const slot = bucketSlot(resilient, tupleTo(resilient, EXTERNAL_CLIENT, port));
    if (!ports.has(slot)) ports.set(slot, port);
  }
  for (const [slot, port] of ports) {
    const syn = from(
      router,
      tcpSyn(EXTERNAL_CLIENT, resilient.vipAddr, port, resilient.vipPort, 57),
    );
    add({
      name: `bucket-table-external-client-slot-${slot}`,
      path: 'bucket-table',
      description:
        `A client outside the cluster (no header) opens a connection to a Service with a ` +
        `bucket table: bucket = crc16(5-tuple) & 7 holds slot ${slot}; no selector is consulted.`,
      input: syn,
      expect: loadBalanced(syn.spec, resilient, slot),
    });
  }
  {
    const port = [...ports.values()][0]!;
    const syn = from(nodeA, {
      ...tcpSyn(CLIENT_POD, resilient.vipAddr, port, resilient.vipPort),
      talaria: firstPacketHeader(),
    });
    const expected = bucketSlot(resilient, requestTuple(syn.spec), true);
    add({
      name: 'bucket-table-pod-first-packet',
      path: 'bucket-table',
      description:
        `A pod's first packet (header with flags 0) to a Service with a bucket table takes the ` +
        `bucket's new_slot ${expected}; the switch writes the cookie.`,
      input: syn,
      expect: loadBalanced(syn.spec, resilient, expected),
    });
  }
  {
    // A bucket whose flows stay on the terminating backend: openings go elsewhere.
    const terminating = resilientBackends[2]!.slot;
    let port = 54000;
    while (bucketSlot(resilient, tupleTo(resilient, CLIENT_POD, port)) !== terminating) port++;
    const opening = bucketSlot(resilient, tupleTo(resilient, CLIENT_POD, port), true);
    const syn = from(nodeA, {
      ...tcpSyn(CLIENT_POD, resilient.vipAddr, port, resilient.vipPort),
      talaria: firstPacketHeader(),
    });
    add({
      name: 'bucket-table-opening-avoids-terminating',
      path: 'bucket-table',
      description:
        `The bucket of this 5-tuple keeps slot ${terminating} (a terminating backend) for packets ` +
        `without a header; a pod's first packet opens a connection, so it takes new_slot ` +
        `${opening}.`,
      input: syn,
      expect: loadBalanced(syn.spec, resilient, opening),
    });
  }
  {
    // A later packet with a cookie keeps its slot whatever the bucket says.
    const bucketSays = resilientBackends[0]!.slot;
    let port = 53000;
    while (bucketSlot(resilient, tupleTo(resilient, CLIENT_POD, port)) !== bucketSays) port++;
    const slot = resilientBackends[1]!.slot;
    const data = from(nodeA, {
      ...tcpData(CLIENT_POD, resilient.vipAddr, port, resilient.vipPort, HTTP_GET),
      talaria: cookieFor(resilient, tupleTo(resilient, CLIENT_POD, port), slot),
    });
    add({
      name: 'bucket-table-cookie-wins',
      path: 'bucket-table',
      description:
        `A later packet with a cookie for slot ${slot} to a Service whose bucket table would ` +
        `give slot ${bucketSays} for this 5-tuple: the cookie decides.`,
      input: data,
      expect: loadBalanced(data.spec, resilient, slot),
    });
  }
  // The client-hashed table: one client, two connections, same slot; a second client elsewhere.
  const clients = new Map<number, string>();
  for (let host = 5; clients.size < stickyBucketBackends.length; host++) {
    const clientAddr = `198.51.100.${host}`;
    const slot = bucketSlot(stickyBuckets, tupleTo(stickyBuckets, clientAddr, 0));
    if (!clients.has(slot)) clients.set(slot, clientAddr);
  }
  for (const [slot, clientAddr] of clients) {
    for (const port of [52001, 52002]) {
      const syn = from(
        router,
        tcpSyn(clientAddr, stickyBuckets.vipAddr, port, stickyBuckets.vipPort, 57),
      );
      add({
        name: `bucket-table-client-${clientAddr.replace(/\./g, '-')}-port-${port}`,
        path: 'bucket-table',
        description:
          `ClientIP affinity with a bucket table: bucket = crc16(client address) & 3 holds ` +
          `slot ${slot} for ${clientAddr}, whatever the client port.`,
        input: syn,
        expect: loadBalanced(syn.spec, stickyBuckets, slot),
      });
    }
  }
}

function drafts(): VectorDraft[] {
  const list: VectorDraft[] = [];
  const add = (draft: VectorDraft) => list.push(draft);

  bucketDrafts(add);

  const webSlot1 = webBackends[0]!.slot;
  const webSlot2 = webBackends[1]!.slot;
  const webPorts = clientPortsPerSlot(web, CLIENT_POD, 40000);

  // New connections: VIP match, selector, rewrite, cookie written.
  for (const [slot, clientPort] of webPorts) {
    const syn = from(nodeA, {
      ...tcpSyn(CLIENT_POD, web.vipAddr, clientPort, web.vipPort),
      talaria: firstPacketHeader(),
    });
    add({
      name: `tcp-syn-with-first-packet-header-selects-slot-${slot}`,
      path: 'new-connection',
      description:
        `A pod's first TCP packet to the VIP carries a version-1 header with flags 0; BMv2's ` +
        `selector picks slot ${slot} for this 5-tuple; the switch rewrites the destination ` +
        `to that backend and writes the cookie.`,
      input: syn,
      expect: loadBalanced(syn.spec, web, slot),
    });
  }
  {
    const port = webPorts.get(webSlot1)!;
    const syn = from(nodeA, tcpSyn(CLIENT_POD, web.vipAddr, port, web.vipPort));
    add({
      name: 'tcp-syn-without-header-from-host-without-agent',
      path: 'new-connection',
      description:
        'A host without the agent sends a plain TCP SYN to the VIP: served by the VIP match and ' +
        'the selector alone; the switch adds the header towards the backend host.',
      input: syn,
      expect: loadBalanced(syn.spec, web, webSlot1),
    });
  }
  {
    const ports = clientPortsPerSlot(web, EXTERNAL_CLIENT, 50000);
    const slot = webSlot2;
    const syn = from(
      router,
      tcpSyn(EXTERNAL_CLIENT, web.vipAddr, ports.get(slot)!, web.vipPort, 57),
    );
    add({
      name: 'tcp-syn-from-external-client',
      path: 'new-connection',
      description:
        'A client outside the cluster (external port, no header) opens a connection to the VIP; ' +
        'the backend host receives it with the header added.',
      input: syn,
      expect: loadBalanced(syn.spec, web, slot),
    });
  }
  {
    const syn = from(nodeA, {
      ...tcpSyn(CLIENT_POD, web.vipAddr, webPorts.get(webSlot2)!, web.vipPort),
      talaria: { ...firstPacketHeader(), serviceId: dns.serviceId, slot: 9, tag: 0xdeadbeef },
    });
    add({
      name: 'header-without-cookie-flag-is-a-new-connection',
      path: 'new-connection',
      description:
        'Without the COOKIE flag the service_id, slot and tag fields are not read: the packet is ' +
        'load-balanced as a new connection and leaves with the switch-written cookie.',
      input: syn,
      expect: loadBalanced(syn.spec, web, webSlot2),
    });
  }
  {
    const query = from(nodeA, {
      ...udpDatagram(CLIENT_POD, dns.vipAddr, 33000, dns.vipPort, DNS_QUERY),
      talaria: firstPacketHeader(),
    });
    add({
      name: 'udp-first-datagram-with-header',
      path: 'new-connection',
      description: "A pod's first UDP datagram to a UDP VIP with the first-packet header.",
      input: query,
      expect: loadBalanced(query.spec, dns, dnsBackend.slot),
    });
  }
  {
    const query = from(
      router,
      udpDatagram(EXTERNAL_CLIENT, dns.vipAddr, 33001, dns.vipPort, DNS_QUERY),
    );
    add({
      name: 'udp-datagram-from-external-client',
      path: 'new-connection',
      description:
        'A UDP datagram from outside the cluster, no header: load-balanced, header added.',
      input: query,
      expect: loadBalanced(query.spec, dns, dnsBackend.slot),
    });
  }
  {
    const base = udpDatagram(CLIENT_POD, dns.vipAddr, 33002, dns.vipPort, DNS_QUERY);
    const query = from(nodeA, {
      ...base,
      talaria: firstPacketHeader(),
      udp: { ...base.udp!, checksum: 0 },
    });
    add({
      name: 'udp-without-checksum-keeps-zero-checksum',
      path: 'new-connection',
      description: 'A UDP checksum of 0 means "none" (RFC 768): after the rewrite it stays 0.',
      input: query,
      expect: loadBalanced(query.spec, dns, dnsBackend.slot),
    });
  }
  {
    // No header on the way in, so the frame is short enough to need padding.
    const query = from(router, {
      ...udpDatagram(EXTERNAL_CLIENT, dns.vipAddr, 33003, dns.vipPort, ascii('hi')),
      trailer: new Uint8Array(60 - 14 - 20 - 8 - 2),
    });
    add({
      name: 'padded-frame-is-load-balanced-with-its-padding',
      path: 'length',
      description:
        'Ethernet padding after the IPv4 total length is accepted and kept; the UDP checksum ' +
        'covers the datagram only.',
      input: query,
      expect: loadBalanced(query.spec, dns, dnsBackend.slot),
    });
  }

  // sessionAffinity ClientIP: the slot depends on the client address only.
  {
    const clients = clientsPerAffinitySlot(sticky);
    for (const [slot, clientAddr] of clients) {
      for (const clientPort of [41000, 41001]) {
        const syn = from(nodeA, {
          ...tcpSyn(clientAddr, sticky.vipAddr, clientPort, sticky.vipPort),
          talaria: firstPacketHeader(),
        });
        add({
          name: `affinity-client-${clientAddr.replace(/\./g, '-')}-port-${clientPort}`,
          path: 'affinity',
          description:
            `ClientIP affinity: affinity_selector hashes only the client address, so every ` +
            `connection of ${clientAddr} goes to slot ${slot}, whatever its port.`,
          input: syn,
          expect: loadBalanced(syn.spec, sticky, slot),
        });
      }
    }
  }

  // Later packets: the cookie decides, the selector is not consulted.
  const cookiePort = webPorts.get(webSlot1)!;
  const webTuple: FiveTuple = {
    clientAddr: CLIENT_POD,
    vipAddr: web.vipAddr,
    protocol: IP_PROTOCOL.TCP,
    clientPort: cookiePort,
    vipPort: web.vipPort,
  };
  const webData = tcpData(CLIENT_POD, web.vipAddr, cookiePort, web.vipPort, HTTP_GET);
  {
    // A cookie for slot 2 although the selector would pick slot 1 for this tuple.
    const packet = from(nodeA, { ...webData, talaria: cookieFor(web, webTuple, webSlot2) });
    add({
      name: 'tcp-cookie-keeps-its-backend',
      path: 'cookie',
      description:
        'A later packet carries the cookie for slot 2 while the selector would now pick slot 1: ' +
        'the tag verifies and the packet goes to slot 2.',
      input: packet,
      expect: loadBalanced(packet.spec, web, webSlot2),
    });
  }
  {
    const packet = from(nodeA, {
      ...webData,
      tcp: { ...webData.tcp!, options: Uint8Array.from([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]) },
      talaria: cookieFor(web, webTuple, webSlot1),
    });
    add({
      name: 'tcp-cookie-with-options-and-payload',
      path: 'cookie',
      description:
        'TCP options and data are payload to the switch; its checksum update covers them.',
      input: packet,
      expect: loadBalanced(packet.spec, web, webSlot1),
    });
  }
  const dnsTuple: FiveTuple = {
    clientAddr: CLIENT_POD,
    vipAddr: dns.vipAddr,
    protocol: IP_PROTOCOL.UDP,
    clientPort: 33000,
    vipPort: dns.vipPort,
  };
  {
    const packet = from(nodeA, {
      ...udpDatagram(CLIENT_POD, dns.vipAddr, 33000, dns.vipPort, DNS_QUERY),
      talaria: cookieFor(dns, dnsTuple, dnsBackend.slot),
    });
    add({
      name: 'udp-cookie',
      path: 'cookie',
      description: 'A later UDP datagram with its cookie.',
      input: packet,
      expect: loadBalanced(packet.spec, dns, dnsBackend.slot),
    });
  }
  {
    const cookie = cookieFor(web, webTuple, webSlot1);
    const packet = from(nodeA, {
      ...webData,
      talaria: { ...cookie, flags: cookie.flags | 0x4 | 0x8, reserved: 0xff },
    });
    add({
      name: 'cookie-reserved-bits-are-ignored-and-cleared',
      path: 'cookie',
      description:
        'Reserved fields and flag bits 2-3 are ignored on receive; the switch writes the header ' +
        'afresh, so they leave as zero.',
      input: packet,
      expect: loadBalanced({ ...packet.spec, talaria: cookie }, web, webSlot1),
    });
  }

  // Replies: backend -> client, source rewritten back to the VIP, header kept.
  const webBackend1 = backendAt(web, webSlot1);
  const webReply = (tuple: FiveTuple, talaria: TalariaHeader | undefined, sender: Host = nodeB) =>
    from(sender, {
      ipv4: {
        src: webBackend1.addr,
        dst: tuple.clientAddr,
        ttl: 64,
        identification: 0x2222,
        dontFragment: true,
      },
      tcp: {
        srcPort: webBackend1.port,
        dstPort: tuple.clientPort,
        seq: 0x55667788,
        ack: 0x10203041,
        flags: 0x12,
        window: 65160,
      },
      payload: HTTP_OK,
      talaria,
    });
  const replyCookie = (service: Service, tuple: FiveTuple, slot: number) => ({
    ...cookieFor(service, tuple, slot),
    flags: TalariaFlag.COOKIE | TalariaFlag.REPLY,
  });
  {
    const reply = webReply(webTuple, replyCookie(web, webTuple, webSlot1));
    add({
      name: 'tcp-reply-to-pod',
      path: 'reply',
      description:
        'A backend replies with COOKIE|REPLY: the switch verifies the tag with the client-side ' +
        'tuple, rewrites the source to the VIP and port, and keeps the header for the client host.',
      input: reply,
      expect: replyRewritten(reply.spec, web),
    });
  }
  {
    const reply = from(nodeC, {
      ipv4: { src: dnsBackend.addr, dst: CLIENT_POD, ttl: 64, identification: 0x3333 },
      udp: { srcPort: dnsBackend.port, dstPort: 33000 },
      payload: DNS_ANSWER,
      talaria: replyCookie(dns, dnsTuple, dnsBackend.slot),
    });
    add({
      name: 'udp-reply-to-pod',
      path: 'reply',
      description: 'A UDP reply: source rewritten to the UDP VIP, header kept.',
      input: reply,
      expect: replyRewritten(reply.spec, dns),
    });
  }
  const externalTuple: FiveTuple = { ...webTuple, clientAddr: EXTERNAL_CLIENT, clientPort: 50123 };
  {
    const reply = webReply(externalTuple, replyCookie(web, externalTuple, webSlot1));
    add({
      name: 'tcp-reply-to-external-client-strips-header',
      path: 'forward-external',
      description:
        'A reply to a client outside the cluster: source rewritten to the VIP, then ' +
        'forward_to_external removes the header.',
      input: reply,
      expect: replyRewritten(reply.spec, web),
    });
  }
  {
    const packet = from(nodeA, {
      ...tcpData(CLIENT_POD, EXTERNAL_CLIENT, 44000, 443, HTTP_GET),
      talaria: firstPacketHeader(),
    });
    add({
      name: 'pod-to-outside-with-header-strips-it',
      path: 'forward-external',
      description: 'A packet to no VIP, with a header, routed outside: header removed, no rewrite.',
      input: packet,
      expect: forwarded(packet.spec),
    });
  }

  // Plain L3 forwarding.
  {
    const packet = from(nodeA, tcpData(CLIENT_POD, '10.244.2.99', 45000, 9000, HTTP_GET));
    add({
      name: 'pod-to-pod-without-header',
      path: 'l3-forward',
      description: 'Not a VIP: routed by LPM, MACs rewritten, TTL decremented, L4 untouched.',
      input: packet,
      expect: forwarded(packet.spec),
    });
  }
  {
    const packet = from(nodeA, {
      ...tcpData(CLIENT_POD, '10.244.3.99', 45001, 9000, HTTP_GET),
      talaria: firstPacketHeader(),
    });
    add({
      name: 'pod-to-pod-with-header-keeps-it',
      path: 'l3-forward',
      description: 'Not a VIP, header without cookie, routed to an agent host: the header is kept.',
      input: packet,
      expect: forwarded(packet.spec),
    });
  }
  {
    const base = tcpData(CLIENT_POD, '10.244.2.98', 45002, 9000, HTTP_GET);
    const packet = from(nodeA, { ...base, tcp: { ...base.tcp!, checksum: 0x1234 } });
    add({
      name: 'routed-packet-keeps-wrong-tcp-checksum',
      path: 'l3-forward',
      description:
        'The switch recomputes TCP/UDP checksums only after a rewrite: a routed packet keeps its ' +
        '(here wrong) L4 checksum for the receiver to judge.',
      input: packet,
      expect: forwarded(packet.spec),
    });
  }
  {
    const packet = from(nodeA, {
      ipv4: {
        src: CLIENT_POD,
        dst: '10.244.2.10',
        protocol: IP_PROTOCOL.ICMP,
        ttl: 64,
        identification: 7,
      },
      payload: Uint8Array.from(Buffer.from('0800f7fe0001000061626364', 'hex')),
    });
    add({
      name: 'icmp-to-pod-is-routed',
      path: 'l3-forward',
      description: 'ICMP has no ports: never a frontend, routed like any IPv4 packet.',
      input: packet,
      expect: forwarded(packet.spec),
    });
  }
  {
    const packet = from(nodeA, {
      ipv4: {
        src: CLIENT_POD,
        dst: web.vipAddr,
        protocol: IP_PROTOCOL.ICMP,
        ttl: 64,
        identification: 8,
      },
      payload: Uint8Array.from(Buffer.from('0800f7fe0001000061626364', 'hex')),
    });
    add({
      name: 'icmp-to-vip-is-not-load-balanced',
      path: 'no-route',
      description: 'ICMP to a VIP matches no frontend and VIPs are not routed: NO_ROUTE.',
      input: packet,
      expect: { drop: 'NO_ROUTE' },
    });
  }
  {
    const packet = from(nodeA, {
      ...udpDatagram(CLIENT_POD, '10.244.2.10', 46000, 5000, ascii('hello')),
      trailer: new Uint8Array(60 - 14 - 20 - 8 - 5),
    });
    add({
      name: 'padded-frame-is-routed-with-its-padding',
      path: 'length',
      description:
        'A frame padded to 60 bytes: the padding is not part of the datagram and is kept.',
      input: packet,
      expect: forwarded(packet.spec),
    });
  }
  {
    // The first 24 bytes of a longer UDP datagram: its header claims more than is here.
    const packet = from(nodeA, {
      ipv4: {
        src: CLIENT_POD,
        dst: '10.244.2.10',
        protocol: IP_PROTOCOL.UDP,
        ttl: 64,
        identification: 9,
        moreFragments: true,
      },
      payload: hex('b3b11388057c0000' + '61'.repeat(16)),
    });
    add({
      name: 'first-fragment-is-routed-not-parsed',
      path: 'fragment',
      description:
        'Fragments (MF set or an offset) are routed by destination only: their L4 header is ' +
        'not parsed, nothing is rewritten.',
      input: packet,
      expect: forwarded(packet.spec),
    });
  }
  {
    const packet = from(nodeA, {
      ipv4: {
        src: CLIENT_POD,
        dst: web.vipAddr,
        protocol: IP_PROTOCOL.TCP,
        ttl: 64,
        identification: 10,
        fragmentOffset: 185,
      },
      payload: new Uint8Array(24).fill(0x61),
    });
    add({
      name: 'fragment-to-vip-is-not-load-balanced',
      path: 'fragment',
      description:
        'A non-first fragment to a VIP has no ports: no frontend match, and VIPs are not routed.',
      input: packet,
      expect: { drop: 'NO_ROUTE' },
    });
  }

  // TTL.
  {
    const packet = from(nodeA, {
      ...tcpSyn(CLIENT_POD, web.vipAddr, webPorts.get(webSlot1)!, web.vipPort, 2),
      talaria: firstPacketHeader(),
    });
    add({
      name: 'ttl-2-is-forwarded-with-ttl-1',
      path: 'ttl',
      description: 'TTL 2 leaves as 1.',
      input: packet,
      expect: loadBalanced(packet.spec, web, webSlot1),
    });
  }
  for (const ttl of [1, 0]) {
    const packet = from(nodeA, tcpSyn(CLIENT_POD, web.vipAddr, 40100, web.vipPort, ttl));
    add({
      name: `ttl-${ttl}-is-dropped`,
      path: 'ttl',
      description: `TTL ${ttl} would reach 0: TTL_EXPIRED.`,
      input: packet,
      expect: { drop: 'TTL_EXPIRED' },
    });
  }

  // IPv4 header checks.
  {
    const base = tcpData(CLIENT_POD, '10.244.2.99', 45003, 9000, HTTP_GET);
    const packet = from(nodeA, { ...base, ipv4: { ...base.ipv4!, checksum: 0xbeef } });
    add({
      name: 'bad-ipv4-checksum',
      path: 'ipv4-checksum',
      description: 'The IPv4 header checksum does not verify: BAD_IPV4_CHECKSUM.',
      input: packet,
      expect: { drop: 'BAD_IPV4_CHECKSUM' },
    });
  }
  {
    const base = tcpSyn(CLIENT_POD, web.vipAddr, 40101, web.vipPort);
    const packet = from(nodeA, {
      ...base,
      talaria: firstPacketHeader(),
      ipv4: { ...base.ipv4!, checksum: 0 },
    });
    add({
      name: 'bad-ipv4-checksum-behind-header',
      path: 'ipv4-checksum',
      description: 'A bad IPv4 checksum behind a Talaria header, to a VIP: BAD_IPV4_CHECKSUM.',
      input: packet,
      expect: { drop: 'BAD_IPV4_CHECKSUM' },
    });
  }
  {
    const base = tcpSyn(CLIENT_POD, web.vipAddr, 40102, web.vipPort);
    const packet = from(nodeA, {
      ...base,
      ipv4: { ...base.ipv4!, options: Uint8Array.from([1, 1, 1, 0]) },
    });
    add({
      name: 'ipv4-options-to-vip',
      path: 'ipv4-options',
      description: 'IHL 6 (options) on a packet to a VIP: IPV4_OPTIONS.',
      input: packet,
      expect: { drop: 'IPV4_OPTIONS' },
    });
  }
  {
    const base = tcpData(CLIENT_POD, '10.244.2.99', 45004, 9000, HTTP_GET);
    const packet = from(nodeA, {
      ...base,
      talaria: firstPacketHeader(),
      ipv4: { ...base.ipv4!, options: Uint8Array.from([0x94, 0x04, 0, 0]) },
    });
    add({
      name: 'ipv4-options-routed-packet',
      path: 'ipv4-options',
      description: 'Options are dropped on routed packets too (router alert here): IPV4_OPTIONS.',
      input: packet,
      expect: { drop: 'IPV4_OPTIONS' },
    });
  }

  // Truncated headers: the frame ends inside a header.
  const synWithHeader = from(nodeA, {
    ...tcpSyn(CLIENT_POD, web.vipAddr, 40103, web.vipPort),
    talaria: firstPacketHeader(),
  });
  const synPlain = from(nodeA, tcpSyn(CLIENT_POD, web.vipAddr, 40104, web.vipPort));
  const udpWithHeader = from(nodeA, {
    ...udpDatagram(CLIENT_POD, dns.vipAddr, 33004, dns.vipPort, DNS_QUERY),
    talaria: firstPacketHeader(),
  });
  const cuts: [string, string, { port: number; spec: PacketSpec }, number][] = [
    [
      'ethernet',
      'the Ethernet header (10 of 14 bytes; a Linux netdev cannot carry it)',
      synPlain,
      10,
    ],
    ['talaria', 'the Talaria header (8 of 16 bytes)', synWithHeader, 14 + 8],
    ['ipv4', 'the IPv4 header (12 of 20 bytes)', synPlain, 14 + 12],
    ['ipv4-behind-header', 'the IPv4 header behind a Talaria header', synWithHeader, 14 + 16 + 19],
    ['tcp', 'the TCP header (10 of 20 bytes)', synWithHeader, 14 + 16 + 20 + 10],
    ['udp', 'the UDP header (4 of 8 bytes)', udpWithHeader, 14 + 16 + 20 + 4],
  ];
  for (const [header, what, frame, length] of cuts) {
    add({
      name: `truncated-${header}`,
      path: 'truncated',
      description: `The frame ends inside ${what}: PARSE_ERROR.`,
      input: truncated(frame, length),
      expect: { drop: 'PARSE_ERROR' },
    });
  }

  // Inconsistent lengths.
  const lengthCases: [string, string, PacketSpec][] = [
    [
      'ipv4-total-length-beyond-frame',
      'IPv4 total length 10 bytes longer than the frame',
      { ...synWithHeader.spec, ipv4: { ...synWithHeader.spec.ipv4!, totalLength: 50 } },
    ],
    [
      'ipv4-total-length-below-header',
      'IPv4 total length 16, shorter than its own header',
      { ...synWithHeader.spec, ipv4: { ...synWithHeader.spec.ipv4!, totalLength: 16 } },
    ],
    ['ipv4-ihl-below-5', 'IHL 4', { ...synPlain.spec, ipv4: { ...synPlain.spec.ipv4!, ihl: 4 } }],
    [
      'ipv4-version-not-4',
      'IP version 6 under the IPv4 EtherType',
      { ...synPlain.spec, ipv4: { ...synPlain.spec.ipv4!, version: 6 } },
    ],
    [
      'udp-length-longer-than-datagram',
      'UDP length 4 bytes more than the IPv4 payload',
      {
        ...udpWithHeader.spec,
        udp: { ...udpWithHeader.spec.udp!, length: 8 + DNS_QUERY.length + 4 },
      },
    ],
    [
      'udp-length-shorter-than-datagram',
      'UDP length 2 bytes less than the IPv4 payload',
      {
        ...udpWithHeader.spec,
        udp: { ...udpWithHeader.spec.udp!, length: 8 + DNS_QUERY.length - 2 },
      },
    ],
    [
      'tcp-data-offset-below-5',
      'TCP data offset 4',
      { ...synWithHeader.spec, tcp: { ...synWithHeader.spec.tcp!, dataOffset: 4 } },
    ],
    [
      'tcp-data-offset-beyond-datagram',
      'TCP data offset 15 (60 bytes) in a 20-byte segment',
      { ...synWithHeader.spec, tcp: { ...synWithHeader.spec.tcp!, dataOffset: 15 } },
    ],
  ];
  for (const [name, what, spec] of lengthCases) {
    add({
      name,
      path: 'length',
      description: `${what}: PARSE_ERROR.`,
      input: { port: nodeA.port, spec },
      expect: { drop: 'PARSE_ERROR' },
    });
  }

  // Talaria header checks.
  add({
    name: 'talaria-version-2',
    path: 'bad-version',
    description: 'A Talaria header of version 2: BAD_VERSION.',
    input: {
      port: nodeA.port,
      spec: { ...synWithHeader.spec, talaria: { ...firstPacketHeader(), version: 2 } },
    },
    expect: { drop: 'BAD_VERSION' },
  });
  add({
    name: 'talaria-version-0',
    path: 'bad-version',
    description: 'A Talaria header of version 0: BAD_VERSION.',
    input: {
      port: nodeA.port,
      spec: { ...synWithHeader.spec, talaria: { ...firstPacketHeader(), version: 0 } },
    },
    expect: { drop: 'BAD_VERSION' },
  });
  add({
    name: 'talaria-next-type-ipv6',
    path: 'next-type',
    description: 'next_type 0x86DD (IPv6, reserved): UNSUPPORTED_NEXT_TYPE.',
    input: {
      port: nodeA.port,
      spec: from(nodeA, {
        talaria: { ...firstPacketHeader(), nextType: ETHERTYPE_IPV6 },
        payload: new Uint8Array(40).fill(0x60, 0, 1),
      }).spec,
    },
    expect: { drop: 'UNSUPPORTED_NEXT_TYPE' },
  });

  // Forged and stale cookies.
  const webCookie = cookieFor(web, webTuple, webSlot1);
  const forged: [string, string, TalariaHeader][] = [
    [
      'tag-bit-flipped',
      'the right cookie with one tag bit flipped',
      { ...webCookie, tag: (webCookie.tag ^ 1) >>> 0 },
    ],
    [
      'tag-of-another-connection',
      "a valid tag of the same client's connection from another port",
      cookieFor(web, { ...webTuple, clientPort: webTuple.clientPort + 1 }, webSlot1),
    ],
    [
      'tag-moved-to-another-slot',
      'the tag of slot 1 with the slot changed to 2',
      { ...webCookie, slot: webSlot2 },
    ],
    [
      'tag-with-wrong-key',
      "a tag computed with a key other than the switch's",
      { ...webCookie, tag: tagFor(web, webTuple, webSlot1, TAG_KEY ^ (1n << 63n)) },
    ],
  ];
  for (const [name, what, talaria] of forged) {
    add({
      name: `forged-${name}`,
      path: 'forged-tag',
      description: `A cookie with ${what}: BAD_TAG, never another backend.`,
      input: from(nodeA, { ...webData, talaria }),
      expect: { drop: 'BAD_TAG' },
    });
  }
  add({
    name: 'forged-reply-tag',
    path: 'forged-tag',
    description: 'A reply whose tag does not verify for its client-side tuple: BAD_TAG.',
    input: webReply(webTuple, { ...replyCookie(web, webTuple, webSlot1), tag: 0x01020304 }),
    expect: { drop: 'BAD_TAG' },
  });
  add({
    name: 'reply-flag-without-cookie',
    path: 'forged-tag',
    description: 'REPLY without COOKIE carries no tag to verify: BAD_TAG.',
    input: webReply(webTuple, {
      ...replyCookie(web, webTuple, webSlot1),
      flags: TalariaFlag.REPLY,
    }),
    expect: { drop: 'BAD_TAG' },
  });
  // Header admission: only agent hosts may send a header (docs/p4-pipeline.md).
  const admitted: [string, string, Host, Body, DropCounterName][] = [
    [
      'replayed-cookie-from-a-port-without-agent',
      "a valid cookie, as seen on the wire, replayed from the router's port",
      router,
      { ...webData, talaria: webCookie },
      'NOT_AGENT_PORT',
    ],
    [
      'forged-tag-from-a-port-without-agent',
      "a forged tag from the router's port: refused before any tag is computed",
      router,
      { ...webData, talaria: { ...webCookie, tag: (webCookie.tag ^ 0x00ff0000) >>> 0 } },
      'NOT_AGENT_PORT',
    ],
    [
      'first-packet-header-from-a-port-without-agent',
      "a first-packet header (flags 0) from the router's port",
      router,
      {
        ...tcpSyn(EXTERNAL_CLIENT, web.vipAddr, 50999, web.vipPort),
        talaria: firstPacketHeader(),
      },
      'NOT_AGENT_PORT',
    ],
    [
      'reply-from-a-port-without-agent',
      "a valid reply of slot 1, source the backend's, from the router's port",
      router,
      webReply(webTuple, replyCookie(web, webTuple, webSlot1)).spec,
      'NOT_AGENT_PORT',
    ],
  ];
  for (const [name, what, sender, body, drop] of admitted) {
    add({
      name,
      path: 'not-agent-port',
      description: `A Talaria header from a port that is no agent host: ${what}: ${drop}.`,
      input: from(sender, { ...body, ethernet: undefined }),
      expect: { drop },
    });
  }

  // Replies: only the backend of the cookie's slot, address and port, answers for it.
  const webBackend2 = backendAt(web, webSlot2);
  const replyFrom = (addr: string, port: number) => {
    const reply = webReply(webTuple, replyCookie(web, webTuple, webSlot1));
    return {
      ...reply,
      spec: {
        ...reply.spec,
        ipv4: { ...reply.spec.ipv4!, src: addr },
        tcp: { ...reply.spec.tcp!, srcPort: port },
      },
    };
  };
  const impostors: [string, string, string, number][] = [
    ['reply-from-a-pod-that-is-no-backend', 'another pod on the backend host', '10.244.2.99', 8080],
    [
      'reply-from-the-backend-address-on-another-port',
      "the backend's address but another source port",
      webBackend1.addr,
      9999,
    ],
    [
      'reply-from-another-backend-of-the-service',
      "slot 2's backend replaying slot 1's cookie",
      webBackend2.addr,
      webBackend2.port,
    ],
  ];
  for (const [name, who, addr, port] of impostors) {
    add({
      name,
      path: 'reply-source',
      description:
        `A reply with a valid cookie of slot 1 from ${who}: the source is not the backend ` +
        'that (service_id, slot) names: REPLY_NOT_FROM_BACKEND.',
      input: replyFrom(addr, port),
      expect: { drop: 'REPLY_NOT_FROM_BACKEND' },
    });
  }

  // A SYN opens a connection: it has no cookie to carry.
  add({
    name: 'syn-with-cookie',
    path: 'syn-with-cookie',
    description:
      'A TCP SYN (no ACK) with a valid cookie: a host never stamps one, so it is a replay: ' +
      'SYN_WITH_COOKIE.',
    input: from(nodeA, {
      ...tcpSyn(CLIENT_POD, web.vipAddr, cookiePort, web.vipPort),
      talaria: webCookie,
    }),
    expect: { drop: 'SYN_WITH_COOKIE' },
  });

  // Key epochs: the previous key still verifies and the switch re-stamps with the current.
  {
    const packet = from(nodeA, {
      ...webData,
      talaria: cookieFor(web, webTuple, webSlot1, KEY_EPOCH - 1, PREVIOUS_TAG_KEY),
    });
    add({
      name: 'previous-epoch-cookie-is-accepted-and-restamped',
      path: 'key-epoch',
      description:
        'A cookie tagged with the previous epoch key (an open connection across a rotation): ' +
        'it verifies, and the backend host receives the cookie of the current epoch.',
      input: packet,
      expect: loadBalanced(packet.spec, web, webSlot1),
    });
  }
  {
    const reply = webReply(webTuple, {
      ...replyCookie(web, webTuple, webSlot1),
      keyEpoch: KEY_EPOCH - 1,
      tag: tagFor(web, webTuple, webSlot1, PREVIOUS_TAG_KEY),
    });
    const restamped = { ...reply.spec, talaria: replyCookie(web, webTuple, webSlot1) };
    add({
      name: 'previous-epoch-reply-is-accepted-and-restamped',
      path: 'key-epoch',
      description:
        'A reply tagged with the previous epoch key: it verifies, and the client host receives ' +
        'the cookie of the current epoch.',
      input: reply,
      expect: replyRewritten(restamped, web),
    });
  }
  const epochs: [string, string, number, bigint, DropCounterName][] = [
    [
      'older-epoch-cookie-is-refused',
      'of the epoch before the previous one, with its own (retired) key',
      KEY_EPOCH - 2,
      RETIRED_TAG_KEY,
      'STALE_KEY_EPOCH',
    ],
    [
      'future-epoch-cookie-is-refused',
      'of an epoch the switch has not reached',
      KEY_EPOCH + 1,
      TAG_KEY,
      'STALE_KEY_EPOCH',
    ],
    [
      'previous-key-under-current-epoch-is-refused',
      'tagged with the previous key but naming the current epoch',
      KEY_EPOCH,
      PREVIOUS_TAG_KEY,
      'BAD_TAG',
    ],
    [
      'current-key-under-previous-epoch-is-refused',
      'tagged with the current key but naming the previous epoch',
      KEY_EPOCH - 1,
      TAG_KEY,
      'BAD_TAG',
    ],
  ];
  for (const [name, what, epoch, key, drop] of epochs) {
    add({
      name,
      path: 'key-epoch',
      description: `A cookie ${what}: ${drop}.`,
      input: from(nodeA, { ...webData, talaria: cookieFor(web, webTuple, webSlot1, epoch, key) }),
      expect: { drop },
    });
  }

  add({
    name: 'cookie-of-another-service',
    path: 'service-mismatch',
    description:
      "A valid cookie of the UDP Service replayed on the web VIP: its service_id is not the VIP's " +
      'frontend: SERVICE_MISMATCH.',
    input: from(nodeA, { ...webData, talaria: cookieFor(dns, dnsTuple, dnsBackend.slot) }),
    expect: { drop: 'SERVICE_MISMATCH' },
  });
  add({
    name: 'cookie-to-a-destination-that-is-no-frontend',
    path: 'service-mismatch',
    description:
      'A cookie on a packet to a pod address (no frontend, e.g. a deleted Service): SERVICE_MISMATCH.',
    input: from(nodeA, {
      ...tcpData(CLIENT_POD, '10.244.2.99', cookiePort, web.vipPort, HTTP_GET),
      talaria: webCookie,
    }),
    expect: { drop: 'SERVICE_MISMATCH' },
  });
  add({
    name: 'udp-reply-naming-a-tcp-service',
    path: 'service-mismatch',
    description:
      "A UDP reply whose cookie names the TCP web Service: the protocol is not the frontend's: SERVICE_MISMATCH.",
    input: from(nodeC, {
      ipv4: { src: dnsBackend.addr, dst: CLIENT_POD, ttl: 64, identification: 0x3334 },
      udp: { srcPort: dnsBackend.port, dstPort: 33000 },
      payload: DNS_ANSWER,
      talaria: replyCookie(web, webTuple, webSlot1),
    }),
    expect: { drop: 'SERVICE_MISMATCH' },
  });
  add({
    name: 'stale-cookie-of-removed-backend',
    path: 'unknown-slot',
    description:
      'A cookie with a valid tag for slot 3, whose backend is gone: UNKNOWN_SLOT, never a ' +
      'fall-back to another backend.',
    input: from(nodeA, { ...webData, talaria: cookieFor(web, webTuple, 3) }),
    expect: { drop: 'UNKNOWN_SLOT' },
  });
  add({
    name: 'new-connection-to-service-without-backends',
    path: 'no-backend',
    description: 'A frontend whose Service has no selector entry (no ready endpoints): NO_BACKEND.',
    input: from(nodeA, {
      ...tcpSyn(CLIENT_POD, empty.vipAddr, 40200, empty.vipPort),
      talaria: firstPacketHeader(),
    }),
    expect: { drop: 'NO_BACKEND' },
  });
  add({
    name: 'destination-without-route',
    path: 'no-route',
    description: 'A destination no l3_forward prefix covers: NO_ROUTE.',
    input: from(nodeA, tcpData(CLIENT_POD, '192.0.2.1', 45005, 80, HTTP_GET)),
    expect: { drop: 'NO_ROUTE' },
  });
  add({
    name: 'vip-on-a-port-without-frontend',
    path: 'no-route',
    description:
      'The VIP address on a port no frontend serves: not load-balanced, and VIPs are not routed: NO_ROUTE.',
    input: from(nodeA, tcpSyn(CLIENT_POD, web.vipAddr, 40300, 81)),
    expect: { drop: 'NO_ROUTE' },
  });
  add({
    name: 'reply-naming-unknown-service',
    path: 'unknown-service',
    description: 'A reply whose service_id has no reply_frontends entry: UNKNOWN_SERVICE.',
    input: webReply(webTuple, { ...replyCookie(web, webTuple, webSlot1), serviceId: 9999 }),
    expect: { drop: 'UNKNOWN_SERVICE' },
  });
  add({
    name: 'arp-request',
    path: 'not-ipv4',
    description: 'ARP is not routed by this pipeline: dropped, counted at drop_counter index 0.',
    input: from(nodeA, {
      ethernet: { dst: 'ff:ff:ff:ff:ff:ff', src: nodeA.mac, etherType: 0x0806 },
      payload: Uint8Array.from(
        Buffer.from(
          '0001080006040001020000000101' + '0af40105' + '000000000000' + '0af40101',
          'hex',
        ),
      ),
    }),
    expect: { drop: 'NOT_IPV4' },
  });
  add({
    name: 'ipv6-without-header',
    path: 'not-ipv4',
    description: 'IPv6 is not handled yet: dropped, counted at drop_counter index 0.',
    input: from(nodeA, {
      ethernet: { dst: SWITCH_MAC, src: nodeA.mac, etherType: ETHERTYPE_IPV6 },
      payload: new Uint8Array(40).fill(0x60, 0, 1),
    }),
    expect: { drop: 'NOT_IPV4' },
  });
  return list;
}

/**
 * BMv2's csum16 writes 0x0000 where RFC 768 sends a computed UDP checksum of zero as
 * 0xFFFF (docs/p4-pipeline.md); no expected output may depend on that corner.
 */
function checkNotUdpChecksumCorner(name: string, spec: PacketSpec): void {
  if (
    spec.udp &&
    spec.udp.checksum === undefined &&
    parsePacket(buildPacket(spec)).udp?.checksum === 0xffff
  ) {
    throw new Error(`${name}: the UDP checksum computes to 0; change the packet`);
  }
}

function toVector(draft: VectorDraft): PacketVector {
  const input = { port: draft.input.port, packet: bytesToHex(frameBytes(draft.input)) };
  if ('drop' in draft.expect) {
    return { ...draft, input, expect: { kind: 'drop', reason: draft.expect.drop } };
  }
  checkNotUdpChecksumCorner(draft.name, draft.expect.spec);
  const packet = bytesToHex(buildPacket(draft.expect.spec));
  return { ...draft, input, expect: { kind: 'forward', port: draft.expect.port, packet } };
}

/** The vector file, as committed (formatted like the repository's other JSON). */
export async function generateVectorFileText(): Promise<string> {
  const file: VectorFileInput = {
    format: VECTOR_FORMAT,
    description:
      'Talaria switch pipeline vectors: one switch state, packets in, packets out or drops ' +
      '(test/vectors/README.md).',
    generatedBy: 'scripts/gen-vectors.ts (npm run vectors:gen)',
    switch: switchStateInput,
    vectors: drafts().map(toVector),
  };
  const text = JSON.stringify(file);
  parseVectorFile(text, VECTOR_FILE_NAME);
  const options = (await prettier.resolveConfig(join(VECTORS_DIR, VECTOR_FILE_NAME))) ?? {};
  return prettier.format(text, { ...options, parser: 'json' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const path = join(VECTORS_DIR, VECTOR_FILE_NAME);
  writeFileSync(path, await generateVectorFileText());
  console.log(`wrote ${path}`);
}

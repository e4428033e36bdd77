import { endianness } from 'node:os';
import { bytesToMac, ipv4ToNumber, macToBytes, numberToIpv4 } from '../wire/addresses.ts';
import type { MapShape } from './bpftool.ts';

/**
 * The host data path's maps as user space sees them: shapes for `bpftool map create` and
 * byte-exact codecs of the keys and values of bpf/lib/map_types.h. Addresses and ports are
 * in network order (as in packets), everything else in the host's order.
 */

export const L4_PROTOCOL_NUMBERS = { TCP: 6, UDP: 17 } as const;
export type L4ProtocolName = keyof typeof L4_PROTOCOL_NUMBERS;

/** Every map of bpf/lib/maps.h, by its name in the objects. */
export const DATAPATH_MAPS = {
  tl_config: { name: 'tl_config', type: 'array', keySize: 4, valueSize: 40 },
  tl_vips: { name: 'tl_vips', type: 'hash', keySize: 8, valueSize: 4 },
  tl_client_flow: { name: 'tl_client_flow', type: 'lru_hash', keySize: 16, valueSize: 24 },
  tl_backend_flow: { name: 'tl_backend_flow', type: 'lru_hash', keySize: 16, valueSize: 24 },
  tl_client_half: { name: 'tl_client_half', type: 'lru_hash', keySize: 16, valueSize: 24 },
  tl_backend_half: { name: 'tl_backend_half', type: 'lru_hash', keySize: 16, valueSize: 24 },
  tl_local_pods: { name: 'tl_local_pods', type: 'hash', keySize: 4, valueSize: 16 },
  tl_policy_clients: { name: 'tl_policy_clients', type: 'hash', keySize: 4, valueSize: 4 },
  tl_stats: { name: 'tl_stats', type: 'percpu_array', keySize: 4, valueSize: 16 },
} as const satisfies Record<string, MapShape>;

export type DatapathMapName = keyof typeof DATAPATH_MAPS;

/** Entries of the maps whose size is configuration (defaults as in bpf/lib/config.h). */
export interface DatapathSizes {
  readonly clientFlows: number;
  readonly backendFlows: number;
  /** Entries of each half-open map (tl_client_half, tl_backend_half). */
  readonly halfOpenFlows: number;
  readonly vips: number;
  readonly localPods: number;
}

export const DEFAULT_DATAPATH_SIZES: DatapathSizes = {
  clientFlows: 65_536,
  backendFlows: 65_536,
  halfOpenFlows: 16_384,
  vips: 65_536,
  localPods: 4_096,
};

/** STATS_MAX of bpf/lib/config.h. */
export const STATS_ENTRIES = 256;

export function mapEntries(name: DatapathMapName, sizes: DatapathSizes): number {
  switch (name) {
    case 'tl_config':
      return 1;
    case 'tl_vips':
      return sizes.vips;
    case 'tl_client_flow':
      return sizes.clientFlows;
    case 'tl_backend_flow':
      return sizes.backendFlows;
    case 'tl_client_half':
    case 'tl_backend_half':
      return sizes.halfOpenFlows;
    case 'tl_local_pods':
    case 'tl_policy_clients':
      return sizes.localPods;
    case 'tl_stats':
      return STATS_ENTRIES;
  }
}

const littleEndian = endianness() === 'LE';

function writeHostU32(buf: Buffer, offset: number, value: number): void {
  if (littleEndian) buf.writeUInt32LE(value, offset);
  else buf.writeUInt32BE(value, offset);
}

function readHostU32(buf: Buffer, offset: number): number {
  return littleEndian ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
}

function writeHostU64(buf: Buffer, offset: number, value: bigint): void {
  if (littleEndian) buf.writeBigUInt64LE(value, offset);
  else buf.writeBigUInt64BE(value, offset);
}

function readHostU64(buf: Buffer, offset: number): bigint {
  return littleEndian ? buf.readBigUInt64LE(offset) : buf.readBigUInt64BE(offset);
}

function protocolName(protocol: number): L4ProtocolName | number {
  if (protocol === L4_PROTOCOL_NUMBERS.TCP) return 'TCP';
  if (protocol === L4_PROTOCOL_NUMBERS.UDP) return 'UDP';
  return protocol;
}

/** The key of tl_config's only entry. */
export const CONFIG_KEY = Buffer.alloc(4);

export interface DatapathConfig {
  /** CONFIG_F_ENABLED: clear sends every pod packet the kernel's way (fallback). */
  readonly enabled: boolean;
  readonly uplinkIfindex: number;
  readonly uplinkMac: string;
  readonly switchMac: string;
  readonly tcpIdleTimeoutNs: bigint;
  readonly udpIdleTimeoutNs: bigint;
}

const CONFIG_F_ENABLED = 0x1;

export function encodeConfig(config: DatapathConfig): Buffer {
  const buf = Buffer.alloc(DATAPATH_MAPS.tl_config.valueSize);
  writeHostU32(buf, 0, config.enabled ? CONFIG_F_ENABLED : 0);
  writeHostU32(buf, 4, config.uplinkIfindex);
  Buffer.from(macToBytes(config.uplinkMac, 'uplink mac')).copy(buf, 8);
  Buffer.from(macToBytes(config.switchMac, 'switch mac')).copy(buf, 14);
  writeHostU64(buf, 24, config.tcpIdleTimeoutNs);
  writeHostU64(buf, 32, config.udpIdleTimeoutNs);
  return buf;
}

export function decodeConfig(buf: Buffer): DatapathConfig {
  return {
    enabled: (readHostU32(buf, 0) & CONFIG_F_ENABLED) !== 0,
    uplinkIfindex: readHostU32(buf, 4),
    uplinkMac: bytesToMac(buf.subarray(8, 14)),
    switchMac: bytesToMac(buf.subarray(14, 20)),
    tcpIdleTimeoutNs: readHostU64(buf, 24),
    udpIdleTimeoutNs: readHostU64(buf, 32),
  };
}

/** A Service frontend in tl_vips. `offloaded: false` leaves its traffic to kube-proxy. */
export interface VipEntry {
  readonly addr: string;
  readonly port: number;
  readonly protocol: L4ProtocolName;
  readonly offloaded: boolean;
}

const VIP_F_OFFLOADED = 0x1;

export function encodeVipKey(vip: Pick<VipEntry, 'addr' | 'port' | 'protocol'>): Buffer {
  const buf = Buffer.alloc(DATAPATH_MAPS.tl_vips.keySize);
  buf.writeUInt32BE(ipv4ToNumber(vip.addr, 'vip address'), 0);
  buf.writeUInt16BE(vip.port, 4);
  buf.writeUInt8(L4_PROTOCOL_NUMBERS[vip.protocol], 6);
  return buf;
}

export function encodeVipValue(vip: Pick<VipEntry, 'offloaded'>): Buffer {
  const buf = Buffer.alloc(DATAPATH_MAPS.tl_vips.valueSize);
  writeHostU32(buf, 0, vip.offloaded ? VIP_F_OFFLOADED : 0);
  return buf;
}

export function decodeVip(key: Buffer, value: Buffer): VipEntry {
  const protocol = protocolName(key.readUInt8(6));
  if (typeof protocol === 'number') throw new Error(`tl_vips: entry with IP protocol ${protocol}`);
  return {
    addr: numberToIpv4(key.readUInt32BE(0)),
    port: key.readUInt16BE(4),
    protocol,
    offloaded: (readHostU32(value, 0) & VIP_F_OFFLOADED) !== 0,
  };
}

/** A connection in the client's orientation; the server is the VIP or the backend pod. */
export interface FlowKey {
  readonly clientAddr: string;
  readonly serverAddr: string;
  readonly clientPort: number;
  readonly serverPort: number;
  readonly protocol: L4ProtocolName | number;
}

/** The cookie as the Talaria header carries it (docs/wire-format.md). */
export interface Cookie {
  readonly serviceId: number;
  readonly slot: number;
  /** The epoch of the switch key that made `tag`: hosts carry it, never read it. */
  readonly keyEpoch: number;
  readonly tag: number;
}

export interface FlowEntry {
  readonly key: FlowKey;
  readonly cookie: Cookie;
  /** CLOCK_MONOTONIC nanoseconds of the flow's last packet. */
  readonly lastSeenNs: bigint;
}

export function encodeFlowKey(key: FlowKey): Buffer {
  const buf = Buffer.alloc(DATAPATH_MAPS.tl_client_flow.keySize);
  buf.writeUInt32BE(ipv4ToNumber(key.clientAddr, 'client address'), 0);
  buf.writeUInt32BE(ipv4ToNumber(key.serverAddr, 'server address'), 4);
  buf.writeUInt16BE(key.clientPort, 8);
  buf.writeUInt16BE(key.serverPort, 10);
  buf.writeUInt8(
    typeof key.protocol === 'number' ? key.protocol : L4_PROTOCOL_NUMBERS[key.protocol],
    12,
  );
  return buf;
}

export function decodeFlowKey(buf: Buffer): FlowKey {
  return {
    clientAddr: numberToIpv4(buf.readUInt32BE(0)),
    serverAddr: numberToIpv4(buf.readUInt32BE(4)),
    clientPort: buf.readUInt16BE(8),
    serverPort: buf.readUInt16BE(10),
    protocol: protocolName(buf.readUInt8(12)),
  };
}

export function encodeFlowValue(cookie: Cookie, lastSeenNs: bigint): Buffer {
  const buf = Buffer.alloc(DATAPATH_MAPS.tl_client_flow.valueSize);
  buf.writeUInt32BE(cookie.serviceId, 0);
  buf.writeUInt16BE(cookie.slot, 4);
  buf.writeUInt16BE(cookie.keyEpoch, 6);
  buf.writeUInt32BE(cookie.tag, 8);
  writeHostU64(buf, 16, lastSeenNs);
  return buf;
}

export function decodeFlow(key: Buffer, value: Buffer): FlowEntry {
  return {
    key: decodeFlowKey(key),
    cookie: {
      serviceId: value.readUInt32BE(0),
      slot: value.readUInt16BE(4),
      keyEpoch: value.readUInt16BE(6),
      tag: value.readUInt32BE(8),
    },
    lastSeenNs: readHostU64(value, 16),
  };
}

/** A pod of this host: where packets for `addr` are delivered. */
export interface LocalPod {
  readonly addr: string;
  /** ifindex of the host side of the pod's veth. */
  readonly hostIfindex: number;
  readonly podMac: string;
  readonly hostMac: string;
}

export function encodeLocalPodKey(addr: string): Buffer {
  const buf = Buffer.alloc(DATAPATH_MAPS.tl_local_pods.keySize);
  buf.writeUInt32BE(ipv4ToNumber(addr, 'pod address'), 0);
  return buf;
}

export function encodeLocalPodValue(pod: LocalPod): Buffer {
  const buf = Buffer.alloc(DATAPATH_MAPS.tl_local_pods.valueSize);
  writeHostU32(buf, 0, pod.hostIfindex);
  Buffer.from(macToBytes(pod.podMac, 'pod mac')).copy(buf, 4);
  Buffer.from(macToBytes(pod.hostMac, 'host mac')).copy(buf, 10);
  return buf;
}

export function decodeAddressKey(key: Buffer): string {
  return numberToIpv4(key.readUInt32BE(0));
}

/** tl_policy_clients value: the entry's presence is what counts. */
export function encodePolicyClientValue(): Buffer {
  const buf = Buffer.alloc(DATAPATH_MAPS.tl_policy_clients.valueSize);
  writeHostU32(buf, 0, 1);
  return buf;
}

export function decodeLocalPod(key: Buffer, value: Buffer): LocalPod {
  return {
    addr: numberToIpv4(key.readUInt32BE(0)),
    hostIfindex: readHostU32(value, 0),
    podMac: bytesToMac(value.subarray(4, 10)),
    hostMac: bytesToMac(value.subarray(10, 16)),
  };
}

export function decodeStatsKey(buf: Buffer): number {
  return readHostU32(buf, 0);
}

/** Packets and bytes of one stats index, summed over CPUs. */
export interface StatCounter {
  readonly packets: bigint;
  readonly bytes: bigint;
}

export function sumStatCounters(perCpu: readonly Buffer[]): StatCounter {
  let packets = 0n;
  let bytes = 0n;
  for (const value of perCpu) {
    packets += readHostU64(value, 0);
    bytes += readHostU64(value, 8);
  }
  return { packets, bytes };
}

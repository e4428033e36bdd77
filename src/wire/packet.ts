import { bytesToMac, ipv4ToNumber, macToBytes, numberToIpv4 } from './addresses.ts';
import { internetChecksum } from './checksum.ts';
import {
  decodeTalariaHeader,
  encodeTalariaHeader,
  ETHERTYPE_IPV4,
  ETHERTYPE_TALARIA,
  TALARIA_HEADER_LENGTH,
  type TalariaHeader,
} from './talaria-header.ts';
import { checkRemaining, checkUnsigned, WireFormatError } from './wire-error.ts';

/**
 * Ethernet / Talaria / IPv4 / TCP or UDP packets: a builder that fills in lengths and
 * checksums unless told otherwise (so malformed packets can be built on purpose), and a
 * strict parser whose output builds back to the same bytes. Used by the vector
 * generator, the codec tests, the switch tests and the eBPF tests.
 */

export const IP_PROTOCOL = { ICMP: 1, TCP: 6, UDP: 17 } as const;

export const ETHERNET_HEADER_LENGTH = 14;
export const IPV4_MIN_HEADER_LENGTH = 20;
export const TCP_MIN_HEADER_LENGTH = 20;
export const UDP_HEADER_LENGTH = 8;

export interface EthernetSpec {
  readonly dst: string;
  readonly src: string;
  /** Default: 0x88B5 with a Talaria header, else 0x0800 with IPv4. */
  readonly etherType?: number;
}

export interface Ipv4Spec {
  readonly src: string;
  readonly dst: string;
  /** Default: 6 with TCP, 17 with UDP; required otherwise. */
  readonly protocol?: number;
  /** Default 64. */
  readonly ttl?: number;
  readonly identification?: number;
  readonly dscpEcn?: number;
  readonly reservedFlag?: boolean;
  readonly dontFragment?: boolean;
  readonly moreFragments?: boolean;
  readonly fragmentOffset?: number;
  /** Options bytes, a multiple of 4 long. */
  readonly options?: Uint8Array;
  /** Overrides (for malformed packets); computed when absent. */
  readonly version?: number;
  readonly ihl?: number;
  readonly totalLength?: number;
  readonly checksum?: number;
}

export interface TcpSpec {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq?: number;
  readonly ack?: number;
  /** Default 0x02 (SYN). */
  readonly flags?: number;
  /** Default 65535. */
  readonly window?: number;
  readonly urgentPointer?: number;
  readonly reserved?: number;
  /** Options bytes, a multiple of 4 long. */
  readonly options?: Uint8Array;
  /** Overrides; computed when absent. */
  readonly dataOffset?: number;
  readonly checksum?: number;
}

export interface UdpSpec {
  readonly srcPort: number;
  readonly dstPort: number;
  /** Overrides; computed when absent. A checksum of 0 means "no checksum". */
  readonly length?: number;
  readonly checksum?: number;
}

export interface PacketSpec {
  readonly ethernet: EthernetSpec;
  readonly talaria?: TalariaHeader;
  readonly ipv4?: Ipv4Spec;
  readonly tcp?: TcpSpec;
  readonly udp?: UdpSpec;
  /** Bytes after the last header: L4 data, or the IPv4 / Ethernet payload. */
  readonly payload?: Uint8Array;
  /** Bytes after the IPv4 datagram that its total length does not cover (Ethernet padding). */
  readonly trailer?: Uint8Array;
}

/** A parsed header: every field present, so that it builds back to the same bytes. */
export type EthernetHeader = Required<EthernetSpec>;
export type Ipv4Header = Required<Ipv4Spec>;
export type TcpHeader = Required<TcpSpec>;
export type UdpHeader = Required<UdpSpec>;

export interface ParsedPacket {
  readonly ethernet: EthernetHeader;
  readonly talaria?: TalariaHeader;
  readonly ipv4?: Ipv4Header;
  readonly tcp?: TcpHeader;
  readonly udp?: UdpHeader;
  readonly payload: Uint8Array;
  readonly trailer: Uint8Array;
}

const EMPTY = new Uint8Array(0);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function checkOptions(field: string, options: Uint8Array, maxBytes: number): Uint8Array {
  if (options.length % 4 !== 0 || options.length > maxBytes) {
    throw new WireFormatError(
      field,
      `${options.length} bytes: not a multiple of 4 up to ${maxBytes}`,
    );
  }
  return options;
}

function pseudoHeader(ipv4: Ipv4Spec, protocol: number, length: number): Uint8Array {
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, ipv4ToNumber(ipv4.src, 'ipv4.src'));
  view.setUint32(4, ipv4ToNumber(ipv4.dst, 'ipv4.dst'));
  view.setUint8(9, protocol);
  view.setUint16(10, checkUnsigned('l4 length', length, 16));
  return bytes;
}

function encodeTcp(tcp: TcpSpec, ipv4: Ipv4Spec, protocol: number, payload: Uint8Array) {
  const options = checkOptions('tcp.options', tcp.options ?? EMPTY, 40);
  const header = new Uint8Array(TCP_MIN_HEADER_LENGTH + options.length);
  const view = new DataView(header.buffer);
  view.setUint16(0, checkUnsigned('tcp.src_port', tcp.srcPort, 16));
  view.setUint16(2, checkUnsigned('tcp.dst_port', tcp.dstPort, 16));
  view.setUint32(4, checkUnsigned('tcp.seq_no', tcp.seq ?? 0, 32));
  view.setUint32(8, checkUnsigned('tcp.ack_no', tcp.ack ?? 0, 32));
  const dataOffset = tcp.dataOffset ?? header.length / 4;
  view.setUint8(
    12,
    (checkUnsigned('tcp.data_offset', dataOffset, 4) << 4) |
      checkUnsigned('tcp.reserved', tcp.reserved ?? 0, 4),
  );
  view.setUint8(13, checkUnsigned('tcp.flags', tcp.flags ?? 0x02, 8));
  view.setUint16(14, checkUnsigned('tcp.window', tcp.window ?? 65535, 16));
  view.setUint16(18, checkUnsigned('tcp.urgent_ptr', tcp.urgentPointer ?? 0, 16));
  header.set(options, TCP_MIN_HEADER_LENGTH);
  const checksum =
    tcp.checksum ??
    internetChecksum(pseudoHeader(ipv4, protocol, header.length + payload.length), header, payload);
  view.setUint16(16, checkUnsigned('tcp.checksum', checksum, 16));
  return concat([header, payload]);
}

function encodeUdp(udp: UdpSpec, ipv4: Ipv4Spec, protocol: number, payload: Uint8Array) {
  const header = new Uint8Array(UDP_HEADER_LENGTH);
  const view = new DataView(header.buffer);
  const length = udp.length ?? UDP_HEADER_LENGTH + payload.length;
  view.setUint16(0, checkUnsigned('udp.src_port', udp.srcPort, 16));
  view.setUint16(2, checkUnsigned('udp.dst_port', udp.dstPort, 16));
  view.setUint16(4, checkUnsigned('udp.len', length, 16));
  // RFC 768: a computed checksum of 0 is sent as all ones; 0 means "none".
  const checksum =
    udp.checksum ??
    (internetChecksum(pseudoHeader(ipv4, protocol, length), header, payload) || 0xffff);
  view.setUint16(6, checkUnsigned('udp.checksum', checksum, 16));
  return concat([header, payload]);
}

function encodeIpv4(ipv4: Ipv4Spec, protocol: number, body: Uint8Array): Uint8Array {
  const options = checkOptions('ipv4.options', ipv4.options ?? EMPTY, 40);
  const header = new Uint8Array(IPV4_MIN_HEADER_LENGTH + options.length);
  const view = new DataView(header.buffer);
  view.setUint8(
    0,
    (checkUnsigned('ipv4.version', ipv4.version ?? 4, 4) << 4) |
      checkUnsigned('ipv4.ihl', ipv4.ihl ?? header.length / 4, 4),
  );
  view.setUint8(1, checkUnsigned('ipv4.dscp_ecn', ipv4.dscpEcn ?? 0, 8));
  view.setUint16(
    2,
    checkUnsigned('ipv4.total_len', ipv4.totalLength ?? header.length + body.length, 16),
  );
  view.setUint16(4, checkUnsigned('ipv4.identification', ipv4.identification ?? 0, 16));
  const fragment =
    (ipv4.reservedFlag ? 0x8000 : 0) |
    (ipv4.dontFragment ? 0x4000 : 0) |
    (ipv4.moreFragments ? 0x2000 : 0) |
    checkUnsigned('ipv4.frag_offset', ipv4.fragmentOffset ?? 0, 13);
  view.setUint16(6, fragment);
  view.setUint8(8, checkUnsigned('ipv4.ttl', ipv4.ttl ?? 64, 8));
  view.setUint8(9, checkUnsigned('ipv4.protocol', protocol, 8));
  view.setUint32(12, ipv4ToNumber(ipv4.src, 'ipv4.src'));
  view.setUint32(16, ipv4ToNumber(ipv4.dst, 'ipv4.dst'));
  header.set(options, IPV4_MIN_HEADER_LENGTH);
  view.setUint16(
    10,
    checkUnsigned('ipv4.hdr_checksum', ipv4.checksum ?? internetChecksum(header), 16),
  );
  return concat([header, body]);
}

function ipProtocolOf(spec: PacketSpec): number {
  if (spec.ipv4?.protocol !== undefined) return spec.ipv4.protocol;
  if (spec.tcp) return IP_PROTOCOL.TCP;
  if (spec.udp) return IP_PROTOCOL.UDP;
  throw new WireFormatError('ipv4.protocol', 'required when the packet has no TCP or UDP header');
}

/** The bytes of `spec`, lengths and checksums computed unless the spec gives them. */
export function buildPacket(spec: PacketSpec): Uint8Array {
  if (spec.tcp && spec.udp) throw new WireFormatError('l4', 'a packet has TCP or UDP, not both');
  if ((spec.tcp || spec.udp) && !spec.ipv4) {
    throw new WireFormatError('ipv4', 'TCP and UDP need an IPv4 header');
  }
  const payload = spec.payload ?? EMPTY;
  let l3: Uint8Array;
  if (spec.ipv4) {
    const ipv4 = spec.ipv4;
    const protocol = ipProtocolOf(spec);
    const body = spec.tcp
      ? encodeTcp(spec.tcp, ipv4, protocol, payload)
      : spec.udp
        ? encodeUdp(spec.udp, ipv4, protocol, payload)
        : payload;
    l3 = concat([encodeIpv4(ipv4, protocol, body), spec.trailer ?? EMPTY]);
  } else {
    l3 = concat([payload, spec.trailer ?? EMPTY]);
  }
  const ethernet = new Uint8Array(ETHERNET_HEADER_LENGTH);
  ethernet.set(macToBytes(spec.ethernet.dst, 'ethernet.dst_addr'), 0);
  ethernet.set(macToBytes(spec.ethernet.src, 'ethernet.src_addr'), 6);
  const etherType = spec.ethernet.etherType ?? (spec.talaria ? ETHERTYPE_TALARIA : ETHERTYPE_IPV4);
  new DataView(ethernet.buffer).setUint16(12, checkUnsigned('ethernet.ether_type', etherType, 16));
  return concat([ethernet, spec.talaria ? encodeTalariaHeader(spec.talaria) : EMPTY, l3]);
}

function parseIpv4(bytes: Uint8Array, offset: number): Ipv4Header {
  checkRemaining('ipv4', bytes, offset, IPV4_MIN_HEADER_LENGTH);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
  const version = view.getUint8(0) >> 4;
  const ihl = view.getUint8(0) & 0x0f;
  if (version !== 4) throw new WireFormatError('ipv4.version', `${version}, expected 4`);
  if (ihl < 5) throw new WireFormatError('ipv4.ihl', `${ihl} is below 5`);
  checkRemaining('ipv4.options', bytes, offset, ihl * 4);
  const totalLength = view.getUint16(2);
  if (totalLength < ihl * 4) {
    throw new WireFormatError(
      'ipv4.total_len',
      `${totalLength} is shorter than the header (${ihl * 4})`,
    );
  }
  if (totalLength > bytes.length - offset) {
    throw new WireFormatError(
      'ipv4.total_len',
      `${totalLength} exceeds the ${bytes.length - offset} bytes left in the frame`,
    );
  }
  const fragment = view.getUint16(6);
  return {
    version,
    ihl,
    dscpEcn: view.getUint8(1),
    totalLength,
    identification: view.getUint16(4),
    reservedFlag: (fragment & 0x8000) !== 0,
    dontFragment: (fragment & 0x4000) !== 0,
    moreFragments: (fragment & 0x2000) !== 0,
    fragmentOffset: fragment & 0x1fff,
    ttl: view.getUint8(8),
    protocol: view.getUint8(9),
    checksum: view.getUint16(10),
    src: numberToIpv4(view.getUint32(12)),
    dst: numberToIpv4(view.getUint32(16)),
    options: bytes.slice(offset + IPV4_MIN_HEADER_LENGTH, offset + ihl * 4),
  };
}

function parseTcp(segment: Uint8Array): TcpHeader {
  checkRemaining('tcp', segment, 0, TCP_MIN_HEADER_LENGTH);
  const view = new DataView(segment.buffer, segment.byteOffset);
  const dataOffset = view.getUint8(12) >> 4;
  if (dataOffset < 5) throw new WireFormatError('tcp.data_offset', `${dataOffset} is below 5`);
  checkRemaining('tcp.options', segment, 0, dataOffset * 4);
  return {
    srcPort: view.getUint16(0),
    dstPort: view.getUint16(2),
    seq: view.getUint32(4),
    ack: view.getUint32(8),
    dataOffset,
    reserved: view.getUint8(12) & 0x0f,
    flags: view.getUint8(13),
    window: view.getUint16(14),
    checksum: view.getUint16(16),
    urgentPointer: view.getUint16(18),
    options: segment.slice(TCP_MIN_HEADER_LENGTH, dataOffset * 4),
  };
}

function parseUdp(segment: Uint8Array): UdpHeader {
  checkRemaining('udp', segment, 0, UDP_HEADER_LENGTH);
  const view = new DataView(segment.buffer, segment.byteOffset);
  const length = view.getUint16(4);
  if (length !== segment.length) {
    throw new WireFormatError(
      'udp.len',
      `${length}, but the IPv4 payload is ${segment.length} bytes`,
    );
  }
  return {
    srcPort: view.getUint16(0),
    dstPort: view.getUint16(2),
    length,
    checksum: view.getUint16(6),
  };
}

/**
 * Parses a frame strictly: a truncated header or an inconsistent length throws a
 * WireFormatError naming the field. TCP and UDP are parsed behind IPv4 when the packet
 * is no fragment; anything else is payload. Checksums are read, not checked
 * (checksumProblems).
 */
export function parsePacket(bytes: Uint8Array): ParsedPacket {
  checkRemaining('ethernet', bytes, 0, ETHERNET_HEADER_LENGTH);
  const ethernet: EthernetHeader = {
    dst: bytesToMac(bytes.subarray(0, 6)),
    src: bytesToMac(bytes.subarray(6, 12)),
    etherType: (bytes[12]! << 8) | bytes[13]!,
  };
  let offset = ETHERNET_HEADER_LENGTH;
  let talaria: TalariaHeader | undefined;
  let nextType = ethernet.etherType;
  if (nextType === ETHERTYPE_TALARIA) {
    talaria = decodeTalariaHeader(bytes, offset);
    offset += TALARIA_HEADER_LENGTH;
    nextType = talaria.nextType;
  }
  if (nextType !== ETHERTYPE_IPV4) {
    return { ethernet, talaria, payload: bytes.slice(offset), trailer: EMPTY };
  }
  const ipv4 = parseIpv4(bytes, offset);
  const datagramEnd = offset + ipv4.totalLength;
  const body = bytes.subarray(offset + ipv4.ihl * 4, datagramEnd);
  const trailer = bytes.slice(datagramEnd);
  const fragment = ipv4.moreFragments || ipv4.fragmentOffset !== 0;
  if (!fragment && ipv4.protocol === IP_PROTOCOL.TCP) {
    const tcp = parseTcp(body);
    return { ethernet, talaria, ipv4, tcp, payload: body.slice(tcp.dataOffset * 4), trailer };
  }
  if (!fragment && ipv4.protocol === IP_PROTOCOL.UDP) {
    const udp = parseUdp(body);
    return { ethernet, talaria, ipv4, udp, payload: body.slice(UDP_HEADER_LENGTH), trailer };
  }
  return { ethernet, talaria, ipv4, payload: body.slice(), trailer };
}

/**
 * The checksums of a parsed packet that are wrong, by field name (empty when all are
 * right). A UDP checksum of 0 ("none") is right.
 */
export function checksumProblems(packet: ParsedPacket): string[] {
  const problems: string[] = [];
  if (!packet.ipv4) return problems;
  const recomputed = parsePacket(
    buildPacket({
      ...packet,
      ipv4: { ...packet.ipv4, checksum: undefined },
      tcp: packet.tcp && { ...packet.tcp, checksum: undefined },
      udp: packet.udp && { ...packet.udp, checksum: packet.udp.checksum === 0 ? 0 : undefined },
    }),
  );
  if (recomputed.ipv4!.checksum !== packet.ipv4.checksum) problems.push('ipv4.hdr_checksum');
  if (packet.tcp && recomputed.tcp!.checksum !== packet.tcp.checksum) problems.push('tcp.checksum');
  if (packet.udp && recomputed.udp!.checksum !== packet.udp.checksum) problems.push('udp.checksum');
  return problems;
}

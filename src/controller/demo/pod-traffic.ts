import type { RunningSwitch } from '../../softswitch/p4runtime/software-switch.ts';
import { buildPacket, parsePacket } from '../../wire/packet.ts';
import { cookieHeader, firstPacketHeader, type TalariaHeader } from '../../wire/talaria-header.ts';
import { SAMPLE_NODES, SWITCH_MAC } from './sample-cluster.ts';

/** A TCP connection from a pod, as its host's eBPF program would put it on the wire. */
export interface Connection {
  readonly node: (typeof SAMPLE_NODES)[number];
  readonly clientIp: string;
  readonly clientPort: number;
  readonly vip: string;
  readonly vipPort: number;
  /** Set once the switch has chosen a backend: the cookie every later packet carries. */
  cookie?: {
    readonly serviceId: number;
    readonly slot: number;
    readonly keyEpoch: number;
    readonly tag: number;
  };
}

/** Where the switch sent one packet. */
export type Delivery =
  | {
      readonly delivered: true;
      readonly nodeName: string;
      readonly ip: string;
      readonly port: number;
      readonly header: TalariaHeader | undefined;
    }
  | { readonly delivered: false };

const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

/**
 * Sends the connection's next packet into the switch on the client node's port: the first
 * one (SYN, no cookie) or a later one (ACK, with the cookie the switch gave), and reports
 * where it came out. The switch runs the packet synchronously, so the answer is at hand.
 */
export function sendPacket(sw: RunningSwitch, connection: Connection): Delivery {
  const first = connection.cookie === undefined;
  const frame = buildPacket({
    ethernet: { dst: SWITCH_MAC, src: connection.node.mac },
    talaria: first ? firstPacketHeader() : cookieHeader(connection.cookie!),
    ipv4: { src: connection.clientIp, dst: connection.vip },
    tcp: {
      srcPort: connection.clientPort,
      dstPort: connection.vipPort,
      flags: first ? TCP_SYN : TCP_ACK,
    },
  });
  for (const node of SAMPLE_NODES) sw.memoryPort(node.port).takeSent();
  sw.memoryPort(connection.node.port).inject(frame);
  for (const node of SAMPLE_NODES) {
    const sent = sw.memoryPort(node.port).takeSent();
    if (sent.length === 0) continue;
    const packet = parsePacket(sent[0]!);
    if (packet.ipv4 === undefined || packet.tcp === undefined) continue;
    if (first && packet.talaria) {
      connection.cookie = {
        serviceId: packet.talaria.serviceId,
        slot: packet.talaria.slot,
        keyEpoch: packet.talaria.keyEpoch,
        tag: packet.talaria.tag,
      };
    }
    return {
      delivered: true,
      nodeName: node.name,
      ip: packet.ipv4.dst,
      port: packet.tcp.dstPort,
      header: packet.talaria,
    };
  }
  return { delivered: false };
}

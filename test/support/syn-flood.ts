import { buildPacket, parsePacket } from '../../src/wire/packet.ts';
import type { LabPod } from './host-path-lab.ts';
import type { NetnsLab } from './netns.ts';
import { WireTap } from './wire-tap.ts';

/**
 * A SYN flood sent from inside a pod: raw TCP SYNs with the pod's own addresses (what gets
 * past its host's source check) from consecutive source ports, written to the pod's eth0
 * through the AF_PACKET relay. Sent in batches; before the next batch the sender waits until
 * most of the batch was answered (SYN-ACK or RST back in the pod) or `batchWaitMs` passed,
 * so the flood is not lost in the veth's backlog queue before the hosts' programs see it.
 */

export interface SynFloodOptions {
  readonly dst: string;
  /** Destination ports, used in turn; every (source port, destination port) pair is new. */
  readonly dstPorts: readonly number[];
  readonly count: number;
  readonly firstSourcePort?: number;
  readonly batch?: number;
  readonly batchWaitMs?: number;
}

export interface SynFloodResult {
  readonly sent: number;
  /** SYNs whose answer came back into the pod: each crossed both hosts and the switch. */
  readonly answered: number;
  readonly seconds: number;
}

export async function synFlood(
  lab: NetnsLab,
  pod: LabPod,
  options: SynFloodOptions,
): Promise<SynFloodResult> {
  const gatewayMac = await lab.mac(pod.host.netns, pod.hostIfname);
  const firstPort = options.firstSourcePort ?? 1024;
  const batch = options.batch ?? 500;
  const ports = options.dstPorts;
  const tap = await WireTap.open(lab, pod.netns, 'eth0');
  const answers = new Set<string>();
  let seen = 0;
  const countAnswers = () => {
    for (; seen < tap.frames.length; seen++) {
      const tcp = parsePacket(tap.frames[seen]!.bytes).tcp;
      if (tcp && ((tcp.flags & 0x12) === 0x12 || (tcp.flags & 0x04) !== 0))
        answers.add(`${tcp.dstPort}/${tcp.srcPort}`);
    }
    tap.frames.splice(0);
    seen = 0;
    return answers.size;
  };
  const started = process.hrtime.bigint();
  try {
    for (let first = 0; first < options.count; first += batch) {
      const last = Math.min(first + batch, options.count);
      for (let i = first; i < last; i++) {
        const dstPort = ports[i % ports.length]!;
        const srcPort = firstPort + Math.floor(i / ports.length);
        tap.send(
          buildPacket({
            ethernet: { dst: gatewayMac, src: pod.mac },
            ipv4: { src: pod.ip, dst: options.dst },
            tcp: { srcPort, dstPort, seq: i, flags: 0x02 },
          }),
        );
      }
      const deadline = Date.now() + (options.batchWaitMs ?? 2_000);
      while (countAnswers() < last * 0.95 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    return {
      sent: options.count,
      answered: countAnswers(),
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    await tap.close();
  }
}

import type { ChildProcess } from 'node:child_process';
import { afPacketRelayBinary } from '../../src/softswitch/ports/af-packet-relay-build.ts';
import { stopChild, type NetnsLab } from './netns.ts';

/**
 * Frames on one interface of a namespace, through the project's AF_PACKET relay
 * (native/af-packet-relay.c; its stdio framing: u16 index, u16 zero, u32 length, frame):
 * the frames that arrive on the interface are recorded, and frames can be sent out of it.
 * Capturing on the host's uplink shows what the switch sends; on a switch port, what the
 * host sends. Frames arrive before any TC program of that interface runs.
 */

const HEADER_BYTES = 8;
const READY_INDEX = 0xffff;

export interface TappedFrame {
  readonly bytes: Buffer;
}

export class WireTap {
  readonly frames: TappedFrame[] = [];
  private pending = Buffer.alloc(0);

  private constructor(private readonly relay: ChildProcess) {}

  static async open(lab: NetnsLab, netns: string, ifname: string): Promise<WireTap> {
    const relay = lab.spawn(netns, [await afPacketRelayBinary(), ifname], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const tap = new WireTap(relay);
    let stderr = '';
    relay.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      relay.stdout?.on('data', (chunk: Buffer) => {
        if (tap.deliver(chunk) && !ready) {
          ready = true;
          resolve();
        }
      });
      relay.once('exit', (code) => {
        if (!ready)
          reject(new Error(`AF_PACKET relay in ${netns} exited ${code}: ${stderr.trim()}`));
      });
    });
    return tap;
  }

  private deliver(chunk: Buffer): boolean {
    let sawReady = false;
    let buffer = Buffer.concat([this.pending, chunk]);
    while (buffer.length >= HEADER_BYTES) {
      const index = buffer.readUInt16BE(0);
      const length = buffer.readUInt32BE(4);
      if (buffer.length < HEADER_BYTES + length) break;
      if (index === READY_INDEX) sawReady = true;
      else
        this.frames.push({
          bytes: Buffer.from(buffer.subarray(HEADER_BYTES, HEADER_BYTES + length)),
        });
      buffer = buffer.subarray(HEADER_BYTES + length);
    }
    this.pending = Buffer.from(buffer);
    return sawReady;
  }

  /** Sends a frame out of the interface. */
  send(frame: Uint8Array): void {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32BE(frame.length, 4);
    this.relay.stdin?.write(Buffer.concat([header, frame]));
  }

  async close(): Promise<void> {
    this.relay.stdin?.end();
    await stopChild(this.relay, 1_000);
  }
}

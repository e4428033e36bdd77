import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { afPacketRelayBinary } from './af-packet-relay-build.ts';
import type { Port } from './port.ts';

const headerBytes = 8;
const readyIndex = 0xffff;

/** A switch port number bound to a Linux interface. */
export interface InterfaceAttachment {
  readonly number: number;
  readonly interfaceName: string;
}

type Relay = ChildProcessByStdio<Writable, Readable, Readable>;

class AfPacketPort implements Port {
  receiver: ((frame: Buffer) => void) | undefined;

  constructor(
    readonly number: number,
    readonly attachment: string,
    private readonly index: number,
    private readonly group: AfPacketRelay,
  ) {}

  onReceive(receiver: (frame: Buffer) => void): void {
    this.receiver = receiver;
  }

  send(frame: Buffer): void {
    this.group.send(this.index, frame);
  }

  close(): Promise<void> {
    this.receiver = undefined;
    return this.group.releasePort();
  }
}

/**
 * Ports on real Linux interfaces (AF_PACKET), all served by one relay process built from
 * native/af-packet-relay.c (see docs/target.md). The relay ends when every port is closed.
 */
class AfPacketRelay {
  readonly ports: AfPacketPort[];
  private pending = Buffer.alloc(0);
  private openPorts: number;
  private exited: Promise<void>;
  private stderr = '';

  constructor(
    private readonly relay: Relay,
    attachments: readonly InterfaceAttachment[],
    private readonly onFailure: (error: Error) => void,
  ) {
    this.ports = attachments.map((a, i) => new AfPacketPort(a.number, a.interfaceName, i, this));
    this.openPorts = this.ports.length;
    relay.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-2_000);
    });
    this.exited = new Promise((resolve) => relay.once('exit', () => resolve()));
  }

  /** Resolves once every interface is open; rejects with the relay's error otherwise. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      let ready = false;
      this.relay.stdout.on('data', (chunk: Buffer) => {
        if (this.deliver(chunk) && !ready) {
          ready = true;
          resolve();
        }
      });
      this.relay.stdin.on('error', () => {
        // EPIPE after the relay died: reported through 'exit' below.
      });
      this.relay.once('error', reject);
      this.relay.once('exit', (code, signal) => {
        const error = new Error(
          `AF_PACKET relay exited (${signal ?? `status ${code}`}): ${this.stderr.trim() || 'no message'}`,
        );
        if (!ready) reject(error);
        else if (this.openPorts > 0) this.onFailure(error);
      });
    });
  }

  /** Parses relay output into frames; returns true when the ready signal was among them. */
  private deliver(chunk: Buffer): boolean {
    let sawReady = false;
    let buffer = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buffer.length >= headerBytes) {
      const index = buffer.readUInt16BE(0);
      const length = buffer.readUInt32BE(4);
      if (buffer.length < headerBytes + length) break;
      if (index === readyIndex) sawReady = true;
      else {
        // Copy: the frame outlives this chunk (the pipeline may keep it).
        const frame = Buffer.from(buffer.subarray(headerBytes, headerBytes + length));
        this.ports[index]?.receiver?.(frame);
      }
      buffer = buffer.subarray(headerBytes + length);
    }
    this.pending = Buffer.from(buffer);
    return sawReady;
  }

  send(index: number, frame: Buffer): void {
    if (this.openPorts === 0 || !this.relay.stdin.writable) return;
    const header = Buffer.alloc(headerBytes);
    header.writeUInt16BE(index, 0);
    header.writeUInt32BE(frame.length, 4);
    this.relay.stdin.write(Buffer.concat([header, frame]));
  }

  async releasePort(): Promise<void> {
    if (this.openPorts === 0) return this.exited;
    this.openPorts--;
    if (this.openPorts === 0) this.relay.stdin.end();
    if (this.openPorts === 0) await this.exited;
  }
}

/**
 * Opens ports on Linux interfaces through raw AF_PACKET sockets (needs CAP_NET_RAW and a
 * C compiler on first use). `onFailure` hears of a relay that dies after start. With
 * `networkNamespace`, the interfaces are those of that named namespace (`ip netns`).
 */
export async function openAfPacketPorts(
  attachments: readonly InterfaceAttachment[],
  onFailure: (error: Error) => void,
  networkNamespace?: string,
): Promise<Port[]> {
  if (attachments.length === 0) return [];
  const binary = await afPacketRelayBinary();
  const names = attachments.map((a) => a.interfaceName);
  const relay = networkNamespace
    ? spawn('ip', ['netns', 'exec', networkNamespace, binary, ...names], {
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(binary, names, { stdio: ['pipe', 'pipe', 'pipe'] });
  const group = new AfPacketRelay(relay, attachments, onFailure);
  await group.start();
  return group.ports;
}

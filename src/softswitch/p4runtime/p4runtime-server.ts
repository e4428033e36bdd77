import { Server, status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import type { P4RuntimeHandlers } from '../../p4rt/generated/p4/v1/P4Runtime.ts';
import type { StreamMessageRequest__Output } from '../../p4rt/generated/p4/v1/StreamMessageRequest.ts';
import type { StreamMessageResponse } from '../../p4rt/generated/p4/v1/StreamMessageResponse.ts';
import { p4RuntimeService } from '../../p4rt/schema.ts';
import { electionIdOf, type ArbitratedStream } from './arbitration.ts';
import type { P4RuntimeDevice } from './p4runtime-device.ts';
import {
  batchError,
  invalidArgument,
  P4RuntimeError,
  rpcError,
  toP4RuntimeError,
} from './p4runtime-error.ts';
import { serverCredentials, type ServerTls } from './server-tls.ts';

/** The P4Runtime version of proto/ (Capabilities answers it). */
export const p4RuntimeApiVersion = '1.5.0';

/** Requests up to this size are accepted (BMv2's server takes 256 MiB; a JS heap is smaller). */
const maxReceiveMessageBytes = 64 * 1024 * 1024;

/** Entities per ReadResponse message of the Read stream. */
const entitiesPerReadResponse = 1_000;

type StreamCall = ServerDuplexStream<StreamMessageRequest__Output, StreamMessageResponse>;

/**
 * The P4Runtime gRPC service of one device over @grpc/grpc-js: unary RPCs map to
 * P4RuntimeDevice, and each StreamChannel becomes an ArbitratedStream until the
 * stream ends, fails or is cancelled (a client that vanishes is cleaned up the same way).
 */
export class P4RuntimeServer {
  private readonly streams = new Set<StreamCall>();

  private constructor(
    private readonly server: Server,
    /** host:port the server listens on (the real port when 0 was asked for). */
    readonly address: string,
  ) {}

  /**
   * Starts serving `device` on `address`: host:port (port 0 picks a free one) or
   * unix:/path (a socket file, reachable from other network namespaces); with TLS when
   * `tls` is given (server-tls.ts), plaintext otherwise.
   */
  static async start(
    device: P4RuntimeDevice,
    address: string,
    tls?: ServerTls,
  ): Promise<P4RuntimeServer> {
    const credentials = serverCredentials(tls);
    const server = new Server({ 'grpc.max_receive_message_length': maxReceiveMessageBytes });
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, credentials, (error, bound) =>
        error ? reject(new Error(`cannot listen on ${address}: ${error.message}`)) : resolve(bound),
      );
    });
    const bound = address.startsWith('unix:')
      ? address
      : `${address.slice(0, address.lastIndexOf(':'))}:${port}`;
    const instance = new P4RuntimeServer(server, bound);
    server.addService(p4RuntimeService().service, instance.handlers(device));
    return instance;
  }

  /** Ends every stream and stops the server; waits up to `graceMs` for calls in flight. */
  async stop(graceMs = 1_000): Promise<void> {
    for (const call of this.streams) call.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private handlers(device: P4RuntimeDevice): P4RuntimeHandlers {
    return {
      Capabilities: (call, callback) => {
        try {
          if (BigInt(call.request.deviceId ?? '0') !== 0n)
            device.checkDeviceId(call.request.deviceId);
          callback(null, { p4runtimeApiVersion: p4RuntimeApiVersion });
        } catch (error) {
          callback(rpcError(error));
        }
      },
      Write: (call, callback) => {
        try {
          const outcomes = device.write(call.request);
          if (outcomes.some((o) => o !== undefined)) callback(batchError(outcomes, 'updates'));
          else callback(null, {});
        } catch (error) {
          callback(rpcError(error));
        }
      },
      Read: (call) => {
        try {
          const { entities, outcomes } = device.read(call.request);
          for (let i = 0; i === 0 || i < entities.length; i += entitiesPerReadResponse) {
            call.write({ entities: entities.slice(i, i + entitiesPerReadResponse) });
          }
          if (outcomes.some((o) => o !== undefined))
            call.emit('error', batchError(outcomes, 'read requests'));
          else call.end();
        } catch (error) {
          call.emit('error', rpcError(error));
        }
      },
      SetForwardingPipelineConfig: (call, callback) => {
        try {
          device.setPipeline(call.request);
          callback(null, {});
        } catch (error) {
          callback(rpcError(error));
        }
      },
      GetForwardingPipelineConfig: (call, callback) => {
        try {
          callback(null, device.getPipeline(call.request));
        } catch (error) {
          callback(rpcError(error));
        }
      },
      StreamChannel: (call) => this.serveStream(device, call),
    };
  }

  private serveStream(device: P4RuntimeDevice, call: StreamCall): void {
    this.streams.add(call);
    let controller: ArbitratedStream | undefined;
    let finished = false;
    const finish = (error?: P4RuntimeError): void => {
      if (finished) return;
      finished = true;
      this.streams.delete(call);
      if (controller) device.arbitration.leave(controller);
      if (error) call.emit('error', { code: GrpcStatus[error.code], details: error.message });
      else if (!call.cancelled) call.end();
    };
    const send = (message: StreamMessageResponse): void => {
      if (!finished && !call.cancelled) call.write(message);
    };

    call.on('data', (message: StreamMessageRequest__Output) => {
      if (finished) return;
      try {
        if (message.update === 'arbitration') {
          controller = this.arbitrate(device, controller, message.arbitration!, send);
        } else {
          send({ error: streamError(message, controller === undefined) });
        }
      } catch (error) {
        // Arbitration errors end the stream with their status (spec: never a StreamError).
        finish(toP4RuntimeError(error));
      }
    });
    call.on('end', () => finish());
    call.on('cancelled', () => finish());
    call.on('close', () => finish());
    call.on('error', () => finish());
  }

  /** Handles one MasterArbitrationUpdate; returns the stream's controller. */
  private arbitrate(
    device: P4RuntimeDevice,
    controller: ArbitratedStream | undefined,
    update: NonNullable<StreamMessageRequest__Output['arbitration']>,
    send: (message: StreamMessageResponse) => void,
  ): ArbitratedStream {
    const role = update.role?.name ?? '';
    if (update.role?.config)
      throw invalidArgument('role configs are not supported: every role has full access');
    const electionId = electionIdOf(update.electionId);
    if (!controller) {
      device.checkDeviceId(update.deviceId);
      const joining: ArbitratedStream = {
        role,
        electionId,
        notify: (arbitration) => send({ arbitration }),
      };
      device.arbitration.join(joining);
      return joining;
    }
    if (BigInt(update.deviceId ?? '0') !== device.deviceId) {
      throw new P4RuntimeError('FAILED_PRECONDITION', 'the device id of a stream cannot change');
    }
    if (role !== controller.role) {
      throw new P4RuntimeError(
        'FAILED_PRECONDITION',
        'the role of a stream cannot change; open a new stream',
      );
    }
    device.arbitration.update(controller, electionId);
    return controller;
  }
}

/**
 * The StreamError for a stream message other than arbitration: this target's programs
 * have no packet-in/out headers and no digests (the P4Info is refused otherwise).
 */
function streamError(message: StreamMessageRequest__Output, beforeArbitration: boolean) {
  const [canonicalCode, text] = beforeArbitration
    ? [GrpcStatus.FAILED_PRECONDITION, 'send a MasterArbitrationUpdate first']
    : message.update === 'packet'
      ? [
          GrpcStatus.UNIMPLEMENTED,
          'the pipeline has no packet_out header: PacketOut is not supported',
        ]
      : message.update === 'digestAck'
        ? [GrpcStatus.INVALID_ARGUMENT, `unknown digest id ${message.digestAck?.digestId ?? 0}`]
        : [GrpcStatus.UNIMPLEMENTED, 'unsupported stream message'];
  const details =
    message.update === 'packet'
      ? { packetOut: {} }
      : message.update === 'digestAck'
        ? { digestListAck: {} }
        : { other: {} };
  return { canonicalCode, message: text, ...details };
}

import { status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import type { Status__Output } from '../../src/p4rt/generated/google/rpc/Status.ts';
import type { Entity__Output } from '../../src/p4rt/generated/p4/v1/Entity.ts';
import type { Error__Output } from '../../src/p4rt/generated/p4/v1/Error.ts';
import type { GetForwardingPipelineConfigRequest } from '../../src/p4rt/generated/p4/v1/GetForwardingPipelineConfigRequest.ts';
import type { GetForwardingPipelineConfigResponse__Output } from '../../src/p4rt/generated/p4/v1/GetForwardingPipelineConfigResponse.ts';
import type { ReadRequest } from '../../src/p4rt/generated/p4/v1/ReadRequest.ts';
import type { SetForwardingPipelineConfigRequest } from '../../src/p4rt/generated/p4/v1/SetForwardingPipelineConfigRequest.ts';
import type { StreamMessageRequest } from '../../src/p4rt/generated/p4/v1/StreamMessageRequest.ts';
import type { StreamMessageResponse__Output } from '../../src/p4rt/generated/p4/v1/StreamMessageResponse.ts';
import type { WriteRequest } from '../../src/p4rt/generated/p4/v1/WriteRequest.ts';
import { decodeWire, P4RuntimeWireClient, unpackWireAny } from './p4runtime-wire.ts';

// A raw P4Runtime client for tests: every RPC as a promise, failures as RpcFailure with the
// status code name and the decoded per-update p4.v1.Error details. It sends whatever it is
// given (malformed requests included); the project's real client lives in src/p4rt. It
// encodes and decodes with its own reading of proto/ (p4runtime-wire.ts), not with the
// src/p4rt/schema.ts the embedded server uses.

export type CodeName = keyof typeof GrpcStatus;

/** The name of a status code; an unset code is 0, OK (proto3 leaves zero fields out). */
export function codeName(code: number | undefined): CodeName {
  return (GrpcStatus[code ?? GrpcStatus.OK] as CodeName | undefined) ?? 'UNKNOWN';
}

/** A failed RPC: its code, message, and the p4.v1.Error details (undefined when none). */
export class RpcFailure extends Error {
  constructor(
    readonly code: CodeName,
    readonly details: string,
    readonly errors: readonly { code: CodeName; message: string }[] | undefined,
  ) {
    super(`${code}: ${details}`);
  }
}

function failureOf(error: ServiceError): RpcFailure {
  const raw = error.metadata?.get('grpc-status-details-bin')[0];
  let errors: { code: CodeName; message: string }[] | undefined;
  if (raw instanceof Buffer) {
    const status = decodeWire<Status__Output>('google.rpc.Status', raw);
    errors = (status.details ?? []).map((any) => {
      const detail = unpackWireAny<Error__Output>(any, 'p4.v1.Error');
      return { code: codeName(detail.canonicalCode), message: detail.message ?? '' };
    });
  }
  return new RpcFailure(codeName(error.code), error.details, errors);
}

/** What `rejects` gives: the RpcFailure of a call expected to fail (fails the test otherwise). */
export async function failureOfCall(call: Promise<unknown>): Promise<RpcFailure> {
  try {
    await call;
  } catch (error) {
    if (error instanceof RpcFailure) return error;
    throw error;
  }
  throw new Error('the call succeeded, a failure was expected');
}

type StreamCall = ClientDuplexStream<StreamMessageRequest, StreamMessageResponse__Output>;

/** One StreamChannel: send messages, await responses in order, await the final status. */
export class StreamSession {
  private readonly queue: StreamMessageResponse__Output[] = [];
  private waiters: Array<(message: StreamMessageResponse__Output) => void> = [];
  /** Resolves with the stream's final status (OK when the server ended it cleanly). */
  readonly closed: Promise<RpcFailure | { code: 'OK' }>;

  constructor(private readonly call: StreamCall) {
    call.on('data', (message: StreamMessageResponse__Output) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    });
    this.closed = new Promise((resolve) => {
      call.on('error', (error: ServiceError) => resolve(failureOf(error)));
      call.on('status', (status) => {
        if (status.code === GrpcStatus.OK) resolve({ code: 'OK' });
      });
    });
  }

  send(message: StreamMessageRequest): void {
    this.call.write(message);
  }

  /** Claims primary for (device, role) with this election id (undefined: leave it unset). */
  arbitrate(deviceId: number | bigint, electionId: bigint | undefined, role?: string): void {
    this.send({
      arbitration: {
        deviceId: deviceId.toString(),
        ...(role ? { role: { name: role } } : {}),
        ...(electionId === undefined
          ? {}
          : {
              electionId: {
                high: (electionId >> 64n).toString(),
                low: (electionId & 0xffff_ffff_ffff_ffffn).toString(),
              },
            }),
      },
    });
  }

  /** The next message the server sent on this stream. */
  next(timeoutMs = 2_000): Promise<StreamMessageResponse__Output> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (message: StreamMessageResponse__Output): void => {
        clearTimeout(timer);
        resolve(message);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no stream message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The status code of the next arbitration update (OK: primary). */
  async nextArbitrationCode(timeoutMs = 2_000): Promise<CodeName> {
    const message = await this.next(timeoutMs);
    if (!message.arbitration)
      throw new Error(`expected an arbitration update, got ${message.update}`);
    return codeName(message.arbitration.status?.code);
  }

  /** Half-closes the stream (the client is done). */
  end(): void {
    this.call.end();
  }

  /** Drops the stream the way a crashing client would. */
  cancel(): void {
    this.call.cancel();
  }
}

export class P4RuntimeDriver {
  private constructor(private readonly client: P4RuntimeWireClient) {}

  static connect(address: string): P4RuntimeDriver {
    return new P4RuntimeDriver(new P4RuntimeWireClient(address));
  }

  private unary<Response>(method: string, request: object): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.client.unary<Response>(method, request, (error, response) => {
        if (error) reject(failureOf(error));
        else resolve(response as Response);
      });
    });
  }

  capabilities(deviceId = 0n): Promise<{ p4runtimeApiVersion?: string }> {
    return this.unary('Capabilities', { deviceId: deviceId.toString() });
  }

  write(request: WriteRequest): Promise<unknown> {
    return this.unary('Write', request);
  }

  setPipeline(request: SetForwardingPipelineConfigRequest): Promise<unknown> {
    return this.unary('SetForwardingPipelineConfig', request);
  }

  getPipeline(
    request: GetForwardingPipelineConfigRequest,
  ): Promise<GetForwardingPipelineConfigResponse__Output> {
    return this.unary('GetForwardingPipelineConfig', request);
  }

  /** All entities of the Read stream, or the RpcFailure it ended with. */
  read(request: ReadRequest): Promise<Entity__Output[]> {
    return new Promise((resolve, reject) => {
      const entities: Entity__Output[] = [];
      const call = this.client.serverStream<{ entities?: Entity__Output[] }>('Read', request);
      call.on('data', (response: { entities?: Entity__Output[] }) =>
        entities.push(...(response.entities ?? [])),
      );
      call.on('error', (error: ServiceError) => reject(failureOf(error)));
      call.on('end', () => resolve(entities));
    });
  }

  openStream(): StreamSession {
    return new StreamSession(
      this.client.bidiStream<StreamMessageRequest, StreamMessageResponse__Output>('StreamChannel'),
    );
  }

  close(): void {
    this.client.close();
  }
}

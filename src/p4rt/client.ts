import * as grpc from '@grpc/grpc-js';
import { DEFAULT_BACKOFF } from '../base/backoff.ts';
import {
  parseClientOptions,
  type P4RuntimeClientOptions,
  type ResolvedClientOptions,
} from './client-options.ts';
import { P4RuntimeRpcError, rpcErrorOf, updateErrorsOf, UpdateError } from './errors.ts';
import type { P4Info, P4Info__Output } from './generated/p4/config/v1/P4Info.ts';
import type { Entity, Entity__Output } from './generated/p4/v1/Entity.ts';
import type { ForwardingPipelineConfig__Output } from './generated/p4/v1/ForwardingPipelineConfig.ts';
import type { _p4_v1_GetForwardingPipelineConfigRequest_ResponseType as ResponseType } from './generated/p4/v1/GetForwardingPipelineConfigRequest.ts';
import type { P4RuntimeClient as GrpcP4RuntimeClient } from './generated/p4/v1/P4Runtime.ts';
import type { ReadResponse__Output } from './generated/p4/v1/ReadResponse.ts';
import type { _p4_v1_SetForwardingPipelineConfigRequest_Action as PipelineAction } from './generated/p4/v1/SetForwardingPipelineConfigRequest.ts';
import type { Update } from './generated/p4/v1/Update.ts';
import type { Pipeline } from './pipeline.ts';
import { p4RuntimeService } from './schema.ts';
import { StreamSession, uint128, type SessionState, type StateListener } from './stream-session.ts';

export interface WriteOptions {
  /**
   * Updates per Write RPC. Default 256: a failed batch reports one p4.v1.Error per update in
   * a gRPC trailer, and Node's HTTP/2 client does not accept trailers above 64 KiB (the call
   * would never complete), so batches stay small enough for every update to fail with a
   * message.
   */
  readonly batchSize?: number;
  /**
   * Write RPCs in flight at once. The caller promises that the updates of one write() do
   * not depend on each other (the spec lets a server apply a batch in any order anyway).
   * Default 4.
   */
  readonly concurrency?: number;
}

/**
 * The outcome of a write(): every update was tried; `failures` lists those the device
 * refused (empty when all were applied). A failure of the session itself (unreachable,
 * not primary) is thrown as a P4RuntimeRpcError instead.
 */
export interface WriteResult {
  readonly failures: readonly UpdateError[];
}

/** Whether ensurePipeline found the pipeline installed or had to push it. */
export type PipelineOutcome = 'unchanged' | 'pushed';

export const DEFAULT_BATCH_SIZE = 256;

export const insert = (entity: Entity): Update => ({ type: 'INSERT', entity });
export const modify = (entity: Entity): Update => ({ type: 'MODIFY', entity });
export const remove = (entity: Entity): Update => ({ type: 'DELETE', entity });

/**
 * A P4Runtime client of one device. start() opens the StreamChannel and claims primary;
 * the session reconnects with backoff and re-arbitrates on its own until close(). RPCs
 * carry our device id, role and election id; a Write while not primary is refused by the
 * device with PERMISSION_DENIED (thrown as a P4RuntimeRpcError).
 */
export class P4RuntimeClient {
  readonly options: ResolvedClientOptions;
  private readonly stub: GrpcP4RuntimeClient;
  private readonly session: StreamSession;

  constructor(options: P4RuntimeClientOptions) {
    this.options = parseClientOptions(options);
    const { tls, maxMessageBytes } = this.options;
    const backoff = this.options.backoff;
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.max_send_message_length': maxMessageBytes,
      // The channel reconnects on its own schedule too (1 s up to 120 s by default): keep it
      // within ours, so a switch that is back is found at our next attempt.
      'grpc.initial_reconnect_backoff_ms': backoff?.initialMs ?? DEFAULT_BACKOFF.initialMs,
      'grpc.max_reconnect_backoff_ms': backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs,
      ...(tls?.serverNameOverride
        ? { 'grpc.ssl_target_name_override': tls.serverNameOverride }
        : {}),
    };
    const credentials =
      tls === undefined
        ? grpc.credentials.createInsecure()
        : grpc.credentials.createSsl(
            tls.rootCerts ?? null,
            tls.privateKey ?? null,
            tls.certChain ?? null,
          );
    const Service = p4RuntimeService();
    this.stub = new Service(this.options.address, credentials, channelOptions);
    this.session = new StreamSession(this.stub, this.options, this.options.backoff);
  }

  get address(): string {
    return this.options.address;
  }

  get deviceId(): bigint {
    return this.options.deviceId;
  }

  get state(): SessionState {
    return this.session.state;
  }

  get isPrimary(): boolean {
    return this.session.state === 'primary';
  }

  /** Calls `listener` on every session state change until the returned function is called. */
  onStateChange(listener: StateListener): () => void {
    return this.session.onStateChange(listener);
  }

  /** Opens the StreamChannel and claims primary; idempotent. */
  start(): void {
    this.session.start();
  }

  /** Resolves once the device says we are primary; rejects after `timeoutMs` or on close(). */
  waitForPrimary(timeoutMs = this.options.rpcTimeoutMs): Promise<void> {
    if (this.isPrimary) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(
          new Error(`${this.address}: not primary after ${timeoutMs} ms (state ${this.state})`),
        );
      }, timeoutMs);
      const unsubscribe = this.session.onStateChange(({ state, reason }) => {
        if (state !== 'primary' && state !== 'closed') return;
        clearTimeout(timer);
        unsubscribe();
        if (state === 'primary') resolve();
        else reject(new Error(`${this.address}: session closed (${reason})`));
      });
    });
  }

  /** Drops the stream and reconnects with backoff, e.g. after an RPC said UNAVAILABLE. */
  reconnect(reason: string): void {
    this.session.restart(reason);
  }

  close(): void {
    this.session.close();
    this.stub.close();
  }

  /** The installed pipeline (the parts `responseType` asks for), undefined when there is none. */
  async getPipelineConfig(
    responseType: ResponseType = 'ALL',
  ): Promise<ForwardingPipelineConfig__Output | undefined> {
    try {
      const response = await this.unary<ForwardingPipelineConfig__Output | undefined>(
        'GetForwardingPipelineConfig',
        (callback) =>
          this.stub.getForwardingPipelineConfig(
            { deviceId: this.deviceId.toString(), responseType },
            this.callOptions(),
            (error, value) => callback(error, value?.config),
          ),
      );
      return response;
    } catch (error) {
      // BMv2 answers FAILED_PRECONDITION when no pipeline was ever set.
      if (
        error instanceof P4RuntimeRpcError &&
        ['FAILED_PRECONDITION', 'NOT_FOUND'].includes(error.code)
      ) {
        return undefined;
      }
      throw error;
    }
  }

  /** The installed pipeline's cookie, undefined when there is no pipeline or no cookie. */
  async getPipelineCookie(): Promise<bigint | undefined> {
    const config = await this.getPipelineConfig('COOKIE_ONLY');
    if (config?.cookie === undefined) return undefined;
    return BigInt(config.cookie.cookie ?? '0');
  }

  /** The installed P4Info, undefined when the device has no pipeline. */
  async getP4Info(): Promise<P4Info__Output | undefined> {
    return (await this.getPipelineConfig('P4INFO_AND_COOKIE'))?.p4info;
  }

  async setPipelineConfig(
    pipeline: Pipeline,
    action: PipelineAction = 'VERIFY_AND_COMMIT',
  ): Promise<void> {
    await this.unary('SetForwardingPipelineConfig', (callback) =>
      this.stub.setForwardingPipelineConfig(
        {
          deviceId: this.deviceId.toString(),
          role: this.options.role,
          electionId: uint128(this.options.electionId),
          action,
          config: {
            // A decoded P4Info is a valid input; only Any's optional type_url types differ.
            p4info: pipeline.p4info as P4Info,
            p4DeviceConfig: pipeline.deviceConfig,
            cookie: { cookie: pipeline.cookie.toString() },
          },
        },
        this.callOptions(),
        callback,
      ),
    );
  }

  /**
   * Pushes `pipeline` (VERIFY_AND_COMMIT, which clears the forwarding state) only when the
   * device's cookie differs from it; a device already running it is left alone.
   */
  async ensurePipeline(pipeline: Pipeline): Promise<PipelineOutcome> {
    if ((await this.getPipelineCookie()) === pipeline.cookie) return 'unchanged';
    await this.setPipelineConfig(pipeline);
    return 'pushed';
  }

  /**
   * Writes `updates` in batches (CONTINUE_ON_ERROR) and reports each refused update with
   * its index in `updates`. Updates that depend on each other belong in separate calls.
   */
  async write(updates: readonly Update[], options: WriteOptions = {}): Promise<WriteResult> {
    const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    const concurrency = Math.max(1, options.concurrency ?? 4);
    const failures: UpdateError[] = [];
    let next = 0;
    let sessionError: P4RuntimeRpcError | undefined;
    const worker = async (): Promise<void> => {
      while (sessionError === undefined && next < updates.length) {
        const first = next;
        next = Math.min(updates.length, next + batchSize);
        const batch = updates.slice(first, next);
        try {
          await this.writeBatch(batch);
        } catch (error) {
          const perUpdate = updateErrorsOf(error as grpc.ServiceError, batch, first);
          if (perUpdate !== undefined) {
            failures.push(...perUpdate);
            continue;
          }
          const rpcError = rpcErrorOf('Write', error);
          if (rpcError.isSessionFailure) {
            sessionError = rpcError;
            return;
          }
          // Refused before any update was tried: every update of the batch shares the error.
          batch.forEach((update, i) => {
            failures.push(new UpdateError(first + i, update, rpcError.code, rpcError.details));
          });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (sessionError !== undefined) throw sessionError;
    failures.sort((a, b) => a.index - b.index);
    return { failures };
  }

  /** Reads the entities matching `entities` (unset fields are wildcards), all responses joined. */
  read(entities: readonly Entity[]): Promise<Entity__Output[]> {
    return new Promise((resolve, reject) => {
      const found: Entity__Output[] = [];
      const call = this.stub.read(
        { deviceId: this.deviceId.toString(), role: this.options.role, entities: [...entities] },
        this.callOptions(),
      );
      call.on('data', (response: ReadResponse__Output) => {
        for (const entity of response.entities ?? []) found.push(entity);
      });
      call.on('error', (error) => reject(rpcErrorOf('Read', error)));
      call.on('end', () => resolve(found));
    });
  }

  /** The P4Runtime API version the server implements. */
  async capabilities(): Promise<string> {
    return this.unary('Capabilities', (callback) =>
      this.stub.capabilities(
        { deviceId: this.deviceId.toString() },
        this.callOptions(),
        (error, value) => callback(error, value?.p4runtimeApiVersion ?? ''),
      ),
    );
  }

  private writeBatch(updates: Update[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stub.write(
        {
          deviceId: this.deviceId.toString(),
          role: this.options.role,
          electionId: uint128(this.options.electionId),
          updates,
          atomicity: 'CONTINUE_ON_ERROR',
        },
        this.callOptions(),
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  private unary<T>(
    rpc: string,
    call: (callback: (error: grpc.ServiceError | null, value?: T) => void) => void,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      call((error, value) => (error ? reject(rpcErrorOf(rpc, error)) : resolve(value as T)));
    });
  }

  private callOptions(): grpc.CallOptions {
    return { deadline: Date.now() + this.options.rpcTimeoutMs };
  }
}

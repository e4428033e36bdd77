import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { Backoff, type BackoffOptions } from '../base/backoff.ts';
import { statusCodeName } from './errors.ts';
import type { P4RuntimeClient as GrpcP4RuntimeClient } from './generated/p4/v1/P4Runtime.ts';
import type { StreamMessageRequest } from './generated/p4/v1/StreamMessageRequest.ts';
import type { StreamMessageResponse__Output } from './generated/p4/v1/StreamMessageResponse.ts';
import { createLogger } from '../base/logger.ts';

/** Debug lines with TALARIA_TRACE=p4rt. */
const log = createLogger('p4rt');

/**
 * Where a session stands:
 * - idle: not started;
 * - connecting: StreamChannel opened, arbitration sent, no answer yet;
 * - primary: the device told us we are primary for our (device, role): writes allowed;
 * - backup: connected, but another controller is primary (or none is): reads only;
 * - disconnected: the stream ended; a reconnect is scheduled with backoff;
 * - closed: close() was called; final.
 */
export type SessionState = 'idle' | 'connecting' | 'primary' | 'backup' | 'disconnected' | 'closed';

const ALLOWED: Record<SessionState, readonly SessionState[]> = {
  idle: ['connecting', 'closed'],
  connecting: ['primary', 'backup', 'disconnected', 'closed'],
  primary: ['backup', 'disconnected', 'closed'],
  backup: ['primary', 'disconnected', 'closed'],
  disconnected: ['connecting', 'closed'],
  closed: [],
};

export interface StateChange {
  readonly state: SessionState;
  readonly previous: SessionState;
  /** Why: the arbitration status, the stream's error, or the caller's action. */
  readonly reason: string;
}

export type StateListener = (change: StateChange) => void;

interface SessionIdentity {
  readonly address: string;
  readonly deviceId: bigint;
  readonly electionId: bigint;
  readonly role: string;
}

export function uint128(value: bigint): { high: string; low: string } {
  return { high: (value >> 64n).toString(), low: (value & 0xffff_ffff_ffff_ffffn).toString() };
}

/**
 * The StreamChannel of one client: opens it, claims primary with a MasterArbitrationUpdate,
 * follows the device's arbitration updates, and reopens it with backoff whenever it ends,
 * until close(). Listeners hear every state change, in order.
 */
export class StreamSession {
  private current: SessionState = 'idle';
  private stream:
    ClientDuplexStream<StreamMessageRequest, StreamMessageResponse__Output> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<StateListener>();
  private readonly backoff: Backoff;

  constructor(
    private readonly stub: GrpcP4RuntimeClient,
    private readonly identity: SessionIdentity,
    backoff: BackoffOptions | undefined,
  ) {
    this.backoff = new Backoff(backoff);
  }

  get state(): SessionState {
    return this.current;
  }

  onStateChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.current !== 'idle') return;
    this.open();
  }

  close(): void {
    if (this.current === 'closed') return;
    clearTimeout(this.reconnectTimer);
    const stream = this.stream;
    this.stream = undefined;
    this.transition('closed', 'closed by the client');
    stream?.cancel();
  }

  /** Drops the stream now and reconnects (after backoff), e.g. after a failed RPC. */
  restart(reason: string): void {
    const stream = this.stream;
    if (stream === undefined) return;
    this.ended(stream, reason);
    stream.cancel();
  }

  private open(): void {
    this.transition('connecting', `opening StreamChannel to ${this.identity.address}`);
    const stream = this.stub.streamChannel();
    this.stream = stream;
    stream.on('data', (message: StreamMessageResponse__Output) => this.received(stream, message));
    stream.on('error', (error: ServiceError) =>
      this.ended(stream, `${statusCodeName(error.code)}: ${error.details}`),
    );
    stream.on('end', () => this.ended(stream, 'the device ended the stream'));
    stream.write({
      arbitration: {
        deviceId: this.identity.deviceId.toString(),
        ...(this.identity.role === '' ? {} : { role: { name: this.identity.role } }),
        electionId: uint128(this.identity.electionId),
      },
    });
  }

  private received(
    stream: ClientDuplexStream<StreamMessageRequest, StreamMessageResponse__Output>,
    message: StreamMessageResponse__Output,
  ): void {
    if (stream !== this.stream) return;
    if (message.update === 'arbitration') {
      const status = message.arbitration?.status;
      const code = status?.code ?? 0;
      this.backoff.reset();
      if (code === 0) this.transition('primary', 'arbitration: we are primary');
      else {
        this.transition(
          'backup',
          `arbitration: ${statusCodeName(code)} ${status?.message ?? ''}`.trim(),
        );
      }
    } else if (message.update === 'error') {
      log.debug('stream error from device', { error: message.error?.message ?? '' });
    }
  }

  private ended(
    stream: ClientDuplexStream<StreamMessageRequest, StreamMessageResponse__Output>,
    reason: string,
  ): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    stream.end();
    if (this.current === 'closed') return;
    this.transition('disconnected', reason);
    const delay = this.backoff.next();
    log.debug('reconnecting', {
      address: this.identity.address,
      delayMs: delay,
      attempt: this.backoff.attempts,
    });
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private transition(state: SessionState, reason: string): void {
    const previous = this.current;
    if (state === previous) return;
    if (!ALLOWED[previous].includes(state)) {
      throw new Error(`P4Runtime session: transition ${previous} -> ${state} is not allowed`);
    }
    this.current = state;
    log.debug('session state', {
      address: this.identity.address,
      deviceId: this.identity.deviceId,
      from: previous,
      to: state,
      reason,
    });
    for (const listener of [...this.listeners]) listener({ state, previous, reason });
  }
}

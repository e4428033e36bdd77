/** A frame that left the switch. */
export interface OutputFrame {
  readonly port: number;
  readonly bytes: Buffer;
}

/**
 * A switch the conformance suite runs against: a P4Runtime server for one device and ports
 * the suite can send frames into and watch.
 */
export interface ConformanceTarget {
  readonly name: 'embedded' | 'bmv2';
  /** gRPC target address (host:port or unix:path). */
  readonly address: string;
  readonly deviceId: bigint;
  /** Port numbers the suite may use (frames sent to other ports are lost). */
  readonly ports: readonly number[];
  /**
   * Sends `frame` into the switch on `port` and returns what came out on any port: waits for a
   * first frame when `expectOutput`, and then (or otherwise) a short while for more.
   */
  send(port: number, frame: Uint8Array, expectOutput: boolean): Promise<OutputFrame[]>;
  /** Resolves once the server has dropped every StreamChannel the suite cancelled. */
  streamsForgotten(): Promise<void>;
  stop(): Promise<void>;
}

export type TargetFactory = (ports: readonly number[]) => Promise<ConformanceTarget>;

/**
 * One switch port: frames arriving from outside go to the receiver given to `onReceive`
 * (the switch feeds them to the pipeline with this port as ingress_port); frames the
 * pipeline sends out on this port go to `send`.
 */
export interface Port {
  /** The port number the P4 program sees (standard_metadata ingress_port / egress_spec). */
  readonly number: number;
  /** What the port is attached to, for logs: `mem` or the Linux interface name. */
  readonly attachment: string;
  /** Sets the receiver of arriving frames; one receiver per port, the last call wins. */
  onReceive(receiver: (frame: Buffer) => void): void;
  /** Sends a frame out of the switch on this port. Never throws; a closed port drops. */
  send(frame: Buffer): void;
  /** Stops receiving and sending; resolves when the port's resources are released. */
  close(): Promise<void>;
}

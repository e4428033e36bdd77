import { status as GrpcStatus } from '@grpc/grpc-js';
import type { MasterArbitrationUpdate } from '../../p4rt/generated/p4/v1/MasterArbitrationUpdate.ts';
import type { Uint128__Output } from '../../p4rt/generated/p4/v1/Uint128.ts';
import { P4RuntimeError } from './p4runtime-error.ts';

/** A 128-bit election id as a bigint; undefined when the message left it unset. */
export type ElectionId = bigint | undefined;

export function electionIdOf(id: Uint128__Output | undefined): ElectionId {
  if (id === undefined) return undefined;
  return (BigInt(id.high ?? '0') << 64n) | BigInt(id.low ?? '0');
}

function uint128(id: bigint): { high: string; low: string } {
  return { high: (id >> 64n).toString(), low: (id & 0xffff_ffff_ffff_ffffn).toString() };
}

/** One StreamChannel that has sent a MasterArbitrationUpdate for this device. */
export interface ArbitratedStream {
  readonly role: string;
  electionId: ElectionId;
  /** Delivers an arbitration notification on the controller's stream. */
  readonly notify: (update: MasterArbitrationUpdate) => void;
}

interface RoleState {
  readonly controllers: Set<ArbitratedStream>;
  /** Set once any controller claimed with an election id; reported while there is no primary. */
  highestSeen: ElectionId;
}

/**
 * Primary/backup arbitration of one device, per role (spec "Client Arbitration and
 * Controller Replication"). The primary of a role is its live controller with the highest
 * election id; an unset id is below every id and never primary. As in PI (BMv2's server),
 * when the primary's stream ends, the next-highest live controller becomes primary and
 * everyone is told; the spec's "highest id ever seen" rule would leave the role without a
 * primary instead (docs/target.md). Every change of primary is announced to all
 * controllers of the role: OK to the primary, ALREADY_EXISTS to backups, NOT_FOUND to
 * everyone while there is no primary.
 */
export class Arbitration {
  private readonly roles = new Map<string, RoleState>();

  constructor(private readonly deviceId: bigint) {}

  /** Admits a new controller; throws INVALID_ARGUMENT for an election id already in use. */
  join(controller: ArbitratedStream): void {
    const state = this.roleState(controller.role);
    this.refuseDuplicate(state, controller, controller.electionId);
    const before = this.primaryOf(state);
    state.controllers.add(controller);
    this.noteSeen(state, controller.electionId);
    this.announce(state, before, controller);
  }

  /** A new MasterArbitrationUpdate from an admitted controller (its role is unchanged). */
  update(controller: ArbitratedStream, electionId: ElectionId): void {
    const state = this.roleState(controller.role);
    this.refuseDuplicate(state, controller, electionId);
    const before = this.primaryOf(state);
    controller.electionId = electionId;
    this.noteSeen(state, electionId);
    this.announce(state, before, controller);
  }

  /** The controller's stream ended: forget it, and announce the new primary if it was one. */
  leave(controller: ArbitratedStream): void {
    const state = this.roles.get(controller.role);
    if (!state || !state.controllers.has(controller)) return;
    const before = this.primaryOf(state);
    state.controllers.delete(controller);
    if (before === controller) for (const c of state.controllers) this.notify(state, c);
    if (state.controllers.size === 0 && state.highestSeen === undefined) {
      this.roles.delete(controller.role);
    }
  }

  /** How many controllers (streams that arbitrated) are live, over all roles. */
  liveControllers(): number {
    let count = 0;
    for (const state of this.roles.values()) count += state.controllers.size;
    return count;
  }

  /** Whether (role, election id) of a Write or SetForwardingPipelineConfig is the primary's. */
  isPrimary(role: string, electionId: ElectionId): boolean {
    if (electionId === undefined) return false;
    const state = this.roles.get(role);
    const primary = state && this.primaryOf(state);
    return primary !== undefined && primary.electionId === electionId;
  }

  private roleState(role: string): RoleState {
    let state = this.roles.get(role);
    if (!state) {
      state = { controllers: new Set(), highestSeen: undefined };
      this.roles.set(role, state);
    }
    return state;
  }

  private refuseDuplicate(
    state: RoleState,
    controller: ArbitratedStream,
    electionId: ElectionId,
  ): void {
    if (electionId === undefined) return;
    for (const other of state.controllers) {
      if (other !== controller && other.electionId === electionId) {
        throw new P4RuntimeError(
          'INVALID_ARGUMENT',
          `election id ${electionId} is already used by another controller of role '${controller.role}'`,
        );
      }
    }
  }

  private noteSeen(state: RoleState, electionId: ElectionId): void {
    if (electionId === undefined) return;
    if (state.highestSeen === undefined || electionId > state.highestSeen) {
      state.highestSeen = electionId;
    }
  }

  private primaryOf(state: RoleState): ArbitratedStream | undefined {
    let primary: ArbitratedStream | undefined;
    for (const c of state.controllers) {
      if (c.electionId === undefined) continue;
      if (!primary || c.electionId > primary.electionId!) primary = c;
    }
    return primary;
  }

  /** Everyone hears of a change of primary; otherwise only the controller that asked. */
  private announce(
    state: RoleState,
    before: ArbitratedStream | undefined,
    asking: ArbitratedStream,
  ): void {
    const after = this.primaryOf(state);
    if (after !== before) for (const c of state.controllers) this.notify(state, c);
    else this.notify(state, asking);
  }

  private notify(state: RoleState, controller: ArbitratedStream): void {
    const primary = this.primaryOf(state);
    const reported = primary?.electionId ?? state.highestSeen;
    const [code, message] =
      primary === controller
        ? [GrpcStatus.OK, 'is primary']
        : primary
          ? [GrpcStatus.ALREADY_EXISTS, 'is backup']
          : [GrpcStatus.NOT_FOUND, 'is backup; the role has no primary'];
    controller.notify({
      deviceId: this.deviceId.toString(),
      ...(controller.role === '' ? {} : { role: { name: controller.role } }),
      ...(reported === undefined ? {} : { electionId: uint128(reported) }),
      status: { code, message },
    });
  }
}

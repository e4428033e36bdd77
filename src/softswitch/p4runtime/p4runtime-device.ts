import type { P4Info } from '../../p4rt/generated/p4/config/v1/P4Info.ts';
import type { Entity, Entity__Output } from '../../p4rt/generated/p4/v1/Entity.ts';
import type {
  ForwardingPipelineConfig,
  ForwardingPipelineConfig__Output,
} from '../../p4rt/generated/p4/v1/ForwardingPipelineConfig.ts';
import type { GetForwardingPipelineConfigRequest__Output } from '../../p4rt/generated/p4/v1/GetForwardingPipelineConfigRequest.ts';
import type { ReadRequest__Output } from '../../p4rt/generated/p4/v1/ReadRequest.ts';
import type { SetForwardingPipelineConfigRequest__Output } from '../../p4rt/generated/p4/v1/SetForwardingPipelineConfigRequest.ts';
import type { Update__Output } from '../../p4rt/generated/p4/v1/Update.ts';
import type { WriteRequest__Output } from '../../p4rt/generated/p4/v1/WriteRequest.ts';
import { decodeMessage, encodeMessage } from '../../p4rt/schema.ts';
import type { Dataplane, LoadPipeline } from '../dataplane/api.ts';
import { Arbitration, electionIdOf } from './arbitration.ts';
import { applyUpdate, readEntity } from './entities.ts';
import { ForwardingState } from './forwarding-state.ts';
import { changedDefaultEntries } from './table-entries.ts';
import { verifyPipelineConfig, type VerifiedConfig } from './pipeline-config.ts';
import {
  invalidArgument,
  notFound,
  P4RuntimeError,
  toP4RuntimeError,
  unimplemented,
  type BatchOutcome,
} from './p4runtime-error.ts';

interface Installed {
  readonly config: VerifiedConfig;
  readonly state: ForwardingState;
}

/** The answer to a Read: the entities found, and per request entity its outcome. */
export interface ReadResult {
  readonly entities: Entity[];
  readonly outcomes: BatchOutcome[];
}

/**
 * One P4Runtime device (the switch serves exactly one, like BMv2's --device-id): its
 * arbitration, its pipeline config and forwarding state, and the RPC semantics on top,
 * independent of gRPC. Every method either returns or throws a P4RuntimeError for the
 * whole request. All work is synchronous, so requests are trivially serializable.
 *
 * Pipeline states: `committed` runs the packets; `saved` (VERIFY_AND_SAVE) is what Read,
 * Write and GetForwardingPipelineConfig see until COMMIT makes it the committed one.
 */
export class P4RuntimeDevice {
  readonly arbitration: Arbitration;
  private committed: Installed | undefined;
  private saved: Installed | undefined;

  constructor(
    readonly deviceId: bigint,
    private readonly loadPipeline: LoadPipeline,
    /** Told whenever the data plane that runs packets changes. */
    private readonly onCommit: (dataplane: Dataplane) => void = () => {},
  ) {
    if (deviceId <= 0n) throw new RangeError('the device id must be > 0');
    this.arbitration = new Arbitration(deviceId);
  }

  /** The data plane packets run through, once a pipeline is committed. */
  get dataplane(): Dataplane | undefined {
    return this.committed?.state.dataplane;
  }

  /** INVALID_ARGUMENT for device id 0 (v1.5: never valid), NOT_FOUND for another device. */
  checkDeviceId(deviceId: string | undefined): void {
    const id = BigInt(deviceId ?? '0');
    if (id === 0n) throw invalidArgument('device_id 0 is not a valid device id');
    if (id !== this.deviceId)
      throw notFound(`unknown device id ${id} (this switch is device ${this.deviceId})`);
  }

  private checkPrimary(
    request: { role?: string; electionId?: { high?: string; low?: string } },
    what: string,
  ): void {
    if (!this.arbitration.isPrimary(request.role ?? '', electionIdOf(request.electionId))) {
      throw new P4RuntimeError(
        'PERMISSION_DENIED',
        `${what} from a client that is not the primary`,
      );
    }
  }

  private controlView(): Installed {
    const installed = this.saved ?? this.committed;
    if (!installed)
      throw new P4RuntimeError('FAILED_PRECONDITION', 'no forwarding pipeline config is set');
    return installed;
  }

  /** Applies a Write batch; per-update outcomes in order (all undefined: all succeeded). */
  write(request: WriteRequest__Output): BatchOutcome[] {
    this.checkDeviceId(request.deviceId);
    this.checkPrimary(request, 'Write');
    const { state } = this.controlView();
    const atomicity = request.atomicity ?? 'CONTINUE_ON_ERROR';
    if (atomicity !== 'CONTINUE_ON_ERROR') {
      throw unimplemented(`atomicity ${String(atomicity)} is not supported; use CONTINUE_ON_ERROR`);
    }
    return (request.updates ?? []).map((update) => outcomeOf(() => applyUpdate(state, update)));
  }

  read(request: ReadRequest__Output): ReadResult {
    this.checkDeviceId(request.deviceId);
    const { state } = this.controlView();
    const entities: Entity[] = [];
    const outcomes = (request.entities ?? []).map((entity) =>
      outcomeOf(() => {
        // Not push(...found): a table of 100,000s of entries overflows the call's arguments.
        for (const found of readEntity(state, entity)) entities.push(found);
      }),
    );
    return { entities, outcomes };
  }

  setPipeline(request: SetForwardingPipelineConfigRequest__Output): void {
    this.checkDeviceId(request.deviceId);
    this.checkPrimary(request, 'SetForwardingPipelineConfig');
    const action = String(request.action ?? 'UNSPECIFIED');
    switch (action) {
      case 'VERIFY':
        verifyPipelineConfig(request.config, this.loadPipeline);
        return;
      case 'VERIFY_AND_SAVE':
        this.saved = this.install(verifyPipelineConfig(request.config, this.loadPipeline));
        return;
      case 'VERIFY_AND_COMMIT':
        this.commit(this.install(verifyPipelineConfig(request.config, this.loadPipeline)));
        return;
      case 'COMMIT': {
        const config = request.config;
        if (config && (config.p4info || (config.p4DeviceConfig?.length ?? 0) > 0)) {
          throw invalidArgument(
            'COMMIT takes no config: it commits the one saved by VERIFY_AND_SAVE',
          );
        }
        if (!this.saved) throw notFound('no config was saved by VERIFY_AND_SAVE');
        this.commit(this.saved);
        return;
      }
      case 'RECONCILE_AND_COMMIT':
        this.commit(this.reconcile(verifyPipelineConfig(request.config, this.loadPipeline)));
        return;
      default:
        throw invalidArgument(`action ${action} is not a SetForwardingPipelineConfig action`);
    }
  }

  /**
   * Commits a pipeline given on the switch's command line (as simple_switch_grpc loads its
   * JSON at start): no arbitration, no cookie. Throws INVALID_ARGUMENT as a push would.
   */
  commitLocalConfig(config: ForwardingPipelineConfig__Output): void {
    this.commit(
      this.install(verifyPipelineConfig({ ...config, cookie: undefined }, this.loadPipeline)),
    );
  }

  getPipeline(request: GetForwardingPipelineConfigRequest__Output): {
    config?: ForwardingPipelineConfig;
  } {
    this.checkDeviceId(request.deviceId);
    const responseType = String(request.responseType ?? 'ALL');
    if (
      !['ALL', 'COOKIE_ONLY', 'P4INFO_AND_COOKIE', 'DEVICE_CONFIG_AND_COOKIE'].includes(
        responseType,
      )
    ) {
      throw invalidArgument(
        `response_type ${responseType} is not a GetForwardingPipelineConfig response type`,
      );
    }
    const installed = this.saved ?? this.committed;
    if (!installed) return {};
    const { deviceConfig, cookie } = installed.config;
    // A decoded message encodes back to itself; only the generated Any types differ.
    const p4info = installed.config.p4info as unknown as P4Info;
    return {
      config: {
        ...(responseType === 'ALL' || responseType === 'P4INFO_AND_COOKIE' ? { p4info } : {}),
        ...(responseType === 'ALL' || responseType === 'DEVICE_CONFIG_AND_COOKIE'
          ? { p4DeviceConfig: deviceConfig }
          : {}),
        ...(cookie !== undefined ? { cookie: { cookie } } : {}),
      },
    };
  }

  private install(config: VerifiedConfig): Installed {
    return { config, state: new ForwardingState(config.index, config.pipeline.createDataplane()) };
  }

  private commit(installed: Installed): void {
    this.committed = installed;
    this.saved = undefined;
    this.onCommit(installed.state.dataplane);
  }

  /**
   * RECONCILE_AND_COMMIT: the new pipeline with the current forwarding state replayed into
   * it by P4Runtime ids, as PI does (members, groups, entries with their counters, changed
   * default entries, counters, registers). Any entity that does not fit the new pipeline
   * makes it INVALID_ARGUMENT and nothing changes.
   */
  private reconcile(config: VerifiedConfig): Installed {
    const next = this.install(config);
    const current = this.saved ?? this.committed;
    if (!current) return next;
    const read = (entity: Entity): Entity[] =>
      readEntity(
        current.state,
        decodeMessage<Entity__Output>('p4.v1.Entity', encodeMessage('p4.v1.Entity', entity)),
      );
    const inserts = [
      ...read({ actionProfileMember: {} }),
      ...read({ actionProfileGroup: {} }),
      ...read({ tableEntry: { counterData: {} } }).filter((e) => !e.tableEntry?.isConst),
    ];
    const modifies = [
      ...changedDefaultEntries(current.state).map((tableEntry) => ({ tableEntry })),
      ...read({ counterEntry: {} }),
      ...read({ registerEntry: {} }),
    ];
    const replay = [
      ...inserts.map((entity) => ({ type: 'INSERT', entity })),
      ...modifies.map((entity) => ({ type: 'MODIFY', entity })),
    ];
    for (const update of replay) {
      // Through the wire form: writers take decoded messages (with their oneof names).
      const decoded = decodeMessage<Update__Output>(
        'p4.v1.Update',
        encodeMessage('p4.v1.Update', update),
      );
      const failure = outcomeOf(() => applyUpdate(next.state, decoded));
      if (failure) {
        throw invalidArgument(
          `the forwarding state cannot be kept with the new pipeline: ${failure.message}`,
        );
      }
    }
    return next;
  }
}

function outcomeOf(work: () => void): BatchOutcome {
  try {
    work();
    return undefined;
  } catch (error) {
    return toP4RuntimeError(error);
  }
}

import type { Dataplane } from '../dataplane/api.ts';
import { OneShotSelectors } from './one-shot-selectors.ts';
import type { DeviceP4InfoIndex, ProfileBinding, TableBinding } from './p4info-index.ts';
import { invalidArgument } from './p4runtime-error.ts';

/**
 * The P4Runtime view of one data plane instance: the P4Info index that translates ids,
 * the data plane holding the state, and the one-shot bookkeeping the data plane knows
 * nothing of. Writers and readers of each entity kind work on it.
 */
export class ForwardingState {
  readonly oneShots = new OneShotSelectors();

  constructor(
    readonly index: DeviceP4InfoIndex,
    readonly dataplane: Dataplane,
  ) {}

  table(id: number | undefined): TableBinding {
    const table = this.index.tables.get(id ?? 0);
    if (!table) throw invalidArgument(`unknown table id ${id ?? 0}`);
    return table;
  }

  profile(id: number | undefined): ProfileBinding {
    const profile = this.index.profiles.get(id ?? 0);
    if (!profile) throw invalidArgument(`unknown action profile id ${id ?? 0}`);
    return profile;
  }
}

import type { Entity, Entity__Output } from '../../p4rt/generated/p4/v1/Entity.ts';
import type { Update__Output } from '../../p4rt/generated/p4/v1/Update.ts';
import { readGroups, readMembers, writeGroup, writeMember } from './action-profiles.ts';
import { readCounters, readDirectCounters, writeCounter, writeDirectCounter } from './counters.ts';
import type { ForwardingState } from './forwarding-state.ts';
import { invalidArgument, notFound, unimplemented } from './p4runtime-error.ts';
import { readRegisters, writeRegister } from './registers.ts';
import { readTableEntries, writeTableEntry } from './table-entries.ts';
import { updateTypeOf } from './update-type.ts';

// Dispatch of Write updates and Read requests by entity kind. Kinds the P4Info cannot
// declare on this target (meters, value sets, digests, externs) have no valid ids; the
// packet replication engine is not implemented.

/** Applies one update completely or not at all; throws the P4RuntimeError to report. */
export function applyUpdate(state: ForwardingState, update: Update__Output): void {
  const entity = update.entity;
  if (!entity) throw invalidArgument('the update has no entity');
  const type = updateTypeOf(update.type);
  switch (entity.entity) {
    case 'tableEntry':
      return writeTableEntry(state, type, entity.tableEntry!);
    case 'actionProfileMember':
      return writeMember(state, type, entity.actionProfileMember!);
    case 'actionProfileGroup':
      return writeGroup(state, type, entity.actionProfileGroup!);
    case 'counterEntry':
      return writeCounter(state, type, entity.counterEntry!);
    case 'directCounterEntry':
      return writeDirectCounter(state, type, entity.directCounterEntry!);
    case 'registerEntry':
      return writeRegister(state, type, entity.registerEntry!);
    case 'meterEntry':
      throw invalidArgument(`unknown meter id ${entity.meterEntry!.meterId ?? 0}`);
    case 'directMeterEntry':
      throw invalidArgument(
        `table ${state.table(entity.directMeterEntry!.tableEntry?.tableId).name} has no direct meter`,
      );
    case 'valueSetEntry':
      throw invalidArgument(`unknown value set id ${entity.valueSetEntry!.valueSetId ?? 0}`);
    case 'digestEntry':
      throw invalidArgument(`unknown digest id ${entity.digestEntry!.digestId ?? 0}`);
    case 'externEntry':
      throw unimplemented('extern entries are not supported by this target');
    case 'packetReplicationEngineEntry':
      throw unimplemented('multicast groups and clone sessions are not supported by this target');
    default:
      throw invalidArgument('the entity has no kind set');
  }
}

/** The entities one read request selects, encoded for the response. */
export function readEntity(state: ForwardingState, entity: Entity__Output): Entity[] {
  switch (entity.entity) {
    case 'tableEntry':
      return readTableEntries(state, entity.tableEntry!).map((tableEntry) => ({ tableEntry }));
    case 'actionProfileMember':
      return readMembers(state, entity.actionProfileMember!).map((actionProfileMember) => ({
        actionProfileMember,
      }));
    case 'actionProfileGroup':
      return readGroups(state, entity.actionProfileGroup!).map((actionProfileGroup) => ({
        actionProfileGroup,
      }));
    case 'counterEntry':
      return readCounters(state, entity.counterEntry!).map((counterEntry) => ({ counterEntry }));
    case 'directCounterEntry':
      return readDirectCounters(state, entity.directCounterEntry!).map((directCounterEntry) => ({
        directCounterEntry,
      }));
    case 'registerEntry':
      return readRegisters(state, entity.registerEntry!).map((registerEntry) => ({
        registerEntry,
      }));
    // Wildcards over kinds that have no instance here read nothing; a named instance is unknown.
    case 'meterEntry':
      if ((entity.meterEntry!.meterId ?? 0) === 0) return [];
      throw invalidArgument(`unknown meter id ${entity.meterEntry!.meterId}`);
    case 'directMeterEntry': {
      const tableId = entity.directMeterEntry!.tableEntry?.tableId ?? 0;
      if (tableId === 0) return [];
      throw invalidArgument(`table ${state.table(tableId).name} has no direct meter`);
    }
    case 'valueSetEntry':
      if ((entity.valueSetEntry!.valueSetId ?? 0) === 0) return [];
      throw invalidArgument(`unknown value set id ${entity.valueSetEntry!.valueSetId}`);
    case 'digestEntry':
      if ((entity.digestEntry!.digestId ?? 0) === 0) return [];
      throw invalidArgument(`unknown digest id ${entity.digestEntry!.digestId}`);
    case 'externEntry':
      if ((entity.externEntry!.externTypeId ?? 0) === 0) return [];
      throw invalidArgument(`unknown extern type id ${entity.externEntry!.externTypeId}`);
    case 'packetReplicationEngineEntry': {
      const pre = entity.packetReplicationEngineEntry!;
      const id = pre.multicastGroupEntry?.multicastGroupId ?? pre.cloneSessionEntry?.sessionId ?? 0;
      if (id === 0) return [];
      throw notFound(
        `no ${pre.type === 'cloneSessionEntry' ? 'clone session' : 'multicast group'} ${id}`,
      );
    }
    default:
      throw invalidArgument('the entity has no kind set');
  }
}

import { decodeBytestring, encodeBytestring } from '../../p4rt/bytestring.ts';
import type {
  RegisterEntry,
  RegisterEntry__Output,
} from '../../p4rt/generated/p4/v1/RegisterEntry.ts';
import { encodeIndex } from './counter-data.ts';
import { selectedIndexes } from './counters.ts';
import type { ForwardingState } from './forwarding-state.ts';
import type { RegisterBinding } from './p4info-index.ts';
import { invalidArgument } from './p4runtime-error.ts';
import type { UpdateType } from './update-type.ts';

// RegisterEntry (spec "RegisterEntry"): MODIFY only, bit<W> cells as P4Data bitstrings, an
// unset index selects every cell. BMv2's PI answers UNIMPLEMENTED to register reads and
// writes; this target implements them (docs/target.md).

function register(state: ForwardingState, id: number | undefined): RegisterBinding {
  const binding = state.index.registers.get(id ?? 0);
  if (!binding) throw invalidArgument(`unknown register id ${id ?? 0}`);
  return binding;
}

export function writeRegister(
  state: ForwardingState,
  type: UpdateType,
  entry: RegisterEntry__Output,
): void {
  if (type !== 'MODIFY')
    throw invalidArgument(`register entries can only be modified, not ${type}`);
  const binding = register(state, entry.registerId);
  const what = `register '${binding.name}'`;
  const indexes = selectedIndexes(entry.index, binding.size, what);
  if (entry.data?.bitstring === undefined)
    throw invalidArgument(`${what}: data must be a bitstring`);
  const value = decodeBytestring(entry.data.bitstring, binding.bitwidth, what);
  for (const index of indexes) state.dataplane.writeRegister(binding.name, index, value);
}

export function readRegisters(
  state: ForwardingState,
  request: RegisterEntry__Output,
): RegisterEntry[] {
  const all = (request.registerId ?? 0) === 0;
  if (all && request.index !== undefined)
    throw invalidArgument('reading an index needs a register_id');
  const bindings = all
    ? [...state.index.registers.values()]
    : [register(state, request.registerId)];
  return bindings.flatMap((binding) =>
    selectedIndexes(request.index, binding.size, `register '${binding.name}'`).map((index) => ({
      registerId: binding.id,
      index: encodeIndex(index),
      data: {
        bitstring: encodeBytestring(
          state.dataplane.readRegister(binding.name, index),
          binding.bitwidth,
          `register '${binding.name}'`,
        ),
      },
    })),
  );
}

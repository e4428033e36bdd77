/**
 * Actions of the BMv2 JSON compiled into runnable bodies, and the checks that turn a control
 * plane action call (name + bigint params) into the runtime data an entry carries.
 */
import type { Action } from '../bmv2/bmv2-json.ts';
import type { ActionCall, DataplaneActionInfo } from './api.ts';
import { MAX_NUMBER_WIDTH } from './bit-io.ts';
import { DataplaneError } from './dataplane-error.ts';
import { invalid } from './load-errors.ts';
import type { PacketState } from './packet-layout.ts';
import { compilePrimitive, type PrimitiveScope, type Step } from './primitives.ts';

/** Action parameters at run time: numbers up to 53 bits, bigints above (as fields). */
export type RuntimeData = readonly (number | bigint)[];

export interface CompiledAction {
  readonly id: number;
  readonly name: string;
  readonly info: DataplaneActionInfo;
  readonly paramWidths: readonly number[];
  run(s: PacketState, data: RuntimeData): void;
}

/** An action with its data, ready to run: what table entries, members and defaults hold. */
export interface BoundAction {
  readonly action: CompiledAction;
  readonly data: RuntimeData;
  /** The call as the control plane gave it (read back verbatim). */
  readonly call: ActionCall;
}

export function compileAction(json: Action, scope: Omit<PrimitiveScope, 'where' | 'paramWidths'>) {
  const paramWidths = json.runtime_data.map((p) => p.bitwidth);
  const steps: Step[] = json.primitives.map((primitive, i) =>
    compilePrimitive(primitive.op, primitive.parameters, {
      ...scope,
      paramWidths,
      where: `action '${json.name}' primitive ${i} (${primitive.op})`,
    }),
  );
  for (const step of steps) {
    if (step.kind === 'jump' && (step.target < 0 || step.target > steps.length)) {
      throw invalid(`action '${json.name}' jumps to ${step.target}, outside its body`);
    }
  }
  const info: DataplaneActionInfo = {
    name: json.name,
    params: json.runtime_data.map((p) => ({ name: p.name, bitwidth: p.bitwidth })),
  };
  const compiled: CompiledAction = {
    id: json.id,
    name: json.name,
    info,
    paramWidths,
    run: steps.some((s) => s.kind === 'jump') ? withJumps(steps) : straight(steps),
  };
  return compiled;
}

function straight(steps: readonly Step[]): CompiledAction['run'] {
  const ops = steps.map((s) => (s.kind === 'op' ? s.run : () => {}));
  if (ops.length === 1) {
    const only = ops[0]!;
    return (s, data) => {
      s.params = data;
      only(s);
    };
  }
  return (s, data) => {
    s.params = data;
    for (const op of ops) op(s);
  };
}

function withJumps(steps: readonly Step[]): CompiledAction['run'] {
  return (s, data) => {
    s.params = data;
    let pc = 0;
    while (pc < steps.length) {
      const step = steps[pc]!;
      if (step.kind === 'op') {
        step.run(s);
        pc++;
      } else if (!step.unlessNonZero || !step.unlessNonZero(s)) {
        pc = step.target;
      } else {
        pc++;
      }
    }
  };
}

/** Checks an action call against the actions allowed here and converts its params. */
export function bindAction(
  call: ActionCall,
  allowed: ReadonlyMap<string, CompiledAction>,
  where: string,
): BoundAction {
  const action = allowed.get(call.action);
  if (!action) {
    throw new DataplaneError(
      'INVALID_ARGUMENT',
      `action '${call.action}' is not an action of ${where}`,
    );
  }
  const widths = action.paramWidths;
  if (call.params.length !== widths.length) {
    throw new DataplaneError(
      'INVALID_ARGUMENT',
      `action '${call.action}' takes ${widths.length} params, got ${call.params.length}`,
    );
  }
  const data = call.params.map((value, i) => {
    const width = widths[i]!;
    if (value < 0n || value >= 1n << BigInt(width)) {
      throw new DataplaneError(
        'OUT_OF_RANGE',
        `param '${action.info.params[i]!.name}' of action '${call.action}': ${value} does not fit in ${width} bits`,
      );
    }
    return width > MAX_NUMBER_WIDTH ? value : Number(value);
  });
  return { action, data, call: { action: call.action, params: [...call.params] } };
}

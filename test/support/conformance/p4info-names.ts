import type { P4Info__Output } from '../../../src/p4rt/generated/p4/config/v1/P4Info.ts';
import type { Preamble__Output } from '../../../src/p4rt/generated/p4/config/v1/Preamble.ts';

/** Finds P4Info ids by name (full name or alias) for the test cases; unknown names throw. */
export class P4InfoNames {
  constructor(readonly p4info: P4Info__Output) {}

  private find<T extends { preamble?: Preamble__Output }>(
    list: T[] | undefined,
    name: string,
    kind: string,
  ): T {
    const found = (list ?? []).find((o) => o.preamble?.name === name || o.preamble?.alias === name);
    if (!found) throw new Error(`the P4Info has no ${kind} '${name}'`);
    return found;
  }

  tableId(name: string): number {
    return this.find(this.p4info.tables, name, 'table').preamble!.id!;
  }

  fieldId(table: string, field: string): number {
    const found = this.find(this.p4info.tables, table, 'table').matchFields?.find(
      (f) => f.name === field,
    );
    if (!found) throw new Error(`table '${table}' has no match field '${field}'`);
    return found.id!;
  }

  actionId(name: string): number {
    return this.find(this.p4info.actions, name, 'action').preamble!.id!;
  }

  paramId(action: string, param: string): number {
    const found = this.find(this.p4info.actions, action, 'action').params?.find(
      (p) => p.name === param,
    );
    if (!found) throw new Error(`action '${action}' has no parameter '${param}'`);
    return found.id!;
  }

  profileId(name: string): number {
    return this.find(this.p4info.actionProfiles, name, 'action profile').preamble!.id!;
  }

  counterId(name: string): number {
    return this.find(this.p4info.counters, name, 'counter').preamble!.id!;
  }

  registerId(name: string): number {
    return this.find(this.p4info.registers, name, 'register').preamble!.id!;
  }
}

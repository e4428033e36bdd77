/**
 * Parser error codes: the program's `errors` list, completed with the core errors it lacks
 * the way BMv2's ErrorCodeMap::add_core does (next free values after the largest one).
 */
import type { Bmv2Json } from '../bmv2/bmv2-json.ts';

const CORE_ERRORS = [
  'NoError',
  'PacketTooShort',
  'NoMatch',
  'StackOutOfBounds',
  'HeaderTooShort',
  'ParserTimeout',
  'ParserInvalidArgument',
] as const;

export type CoreError = (typeof CORE_ERRORS)[number];

export class ParserErrors {
  private readonly byName = new Map<string, number>();
  private readonly byValue = new Map<number, string>();

  constructor(json: Bmv2Json) {
    for (const [name, value] of json.errors ?? []) this.add(name, value);
    let next = this.byValue.size === 0 ? 0 : Math.max(...this.byValue.keys()) + 1;
    for (const name of CORE_ERRORS) if (!this.byName.has(name)) this.add(name, next++);
  }

  code(name: CoreError): number {
    return this.byName.get(name)!;
  }

  name(code: number): string {
    return this.byValue.get(code) ?? `error ${code}`;
  }

  private add(name: string, value: number): void {
    if (this.byName.has(name) || this.byValue.has(value)) return;
    this.byName.set(name, value);
    this.byValue.set(value, name);
  }
}

/** Thrown inside the parser to stop it with an error code (BMv2's parser_exception). */
export class ParserStop {
  constructor(readonly code: number) {}
}

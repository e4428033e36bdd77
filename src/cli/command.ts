import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import { issuePath } from '../validation/zod-issue.ts';

/** Raised for anything wrong on the command line; main prints it as one line and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * One `talaria` subcommand. `options` is what node's parseArgs reads (strict: an
 * unknown option is an error), `schema` validates and types the parsed values, and
 * `run` returns the process exit code.
 */
export interface Command<Schema extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly summary: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly schema: Schema;
  /** Extra help text printed after the option list. */
  readonly details?: string;
  run(options: z.infer<Schema>): Promise<number>;
}

/** Declares a command with its option types inferred from the schema. */
export function defineCommand<Schema extends z.ZodType>(command: Command<Schema>): Command {
  return command as unknown as Command;
}

/** Parses argv for one command, turning parser and schema failures into UsageErrors. */
export function parseCommandOptions(command: Command, argv: string[]): unknown {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: argv,
      options: command.options,
      strict: true,
      allowPositionals: false,
    }).values as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`${command.name}: ${(error as Error).message}`);
  }
  const parsed = command.schema.safeParse(values);
  if (!parsed.success) {
    // Option names are the schema's top-level keys: show them as the user typed them.
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `--${issuePath(issue)}` : 'options';
    throw new UsageError(`${command.name}: ${where}: ${issue.message}`);
  }
  return parsed.data;
}

/** The help text of one command, generated from its option table. */
export function commandHelp(command: Command): string {
  const lines = [`Usage: talaria ${command.name} [options]`, '', command.summary, '', 'Options:'];
  for (const [name, spec] of Object.entries(command.options)) {
    const flag = spec.type === 'string' ? `--${name} <value>` : `--${name}`;
    lines.push(`  ${flag}${spec.multiple ? ' (repeatable)' : ''}`);
  }
  if (command.details) lines.push('', command.details);
  return lines.join('\n');
}

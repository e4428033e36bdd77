import { commandHelp, parseCommandOptions, UsageError, type Command } from './command.ts';
import { commands } from './commands/index.ts';

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: talaria <command> [options]',
    '',
    'Kubernetes Service load balancing in a programmable switch.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'talaria <command> --help' for a command's options.",
  ].join('\n');
}

/** Runs the CLI with argv (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    console.log(overview());
    return 0;
  }
  try {
    if (first.startsWith('-')) throw new UsageError(`unknown option '${first}'`);
    const command: Command | undefined = commands.find((c) => c.name === first);
    if (!command) throw new UsageError(`unknown command '${first}'`);
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(commandHelp(command));
      return 0;
    }
    return await command.run(parseCommandOptions(command, rest));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`talaria: ${error.message} (see 'talaria --help')`);
      return 2;
    }
    throw error;
  }
}

import type { Command } from '../command.ts';
import { agentCommand } from './agent.ts';
import { demoCommand } from './demo.ts';
import { rotateKeyCommand } from './rotate-key.ts';
import { runCommand } from './run.ts';
import { statusCommand } from './status.ts';
import { switchCommand } from './switch.ts';

/** Every subcommand, in the order `talaria --help` lists them. */
export const commands: readonly Command[] = [
  demoCommand,
  runCommand,
  switchCommand,
  agentCommand,
  statusCommand,
  rotateKeyCommand,
];

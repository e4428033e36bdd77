import { z } from 'zod';
import { defineCommand } from '../command.ts';

/** The signal `talaria run` rotates the cookie tag key on. */
export const ROTATE_KEY_SIGNAL = 'SIGUSR2';

const schema = z
  .object({
    pid: z
      .string()
      .regex(/^[1-9]\d{0,9}$/, 'expected a process id')
      .default('1')
      .transform(Number),
  })
  .strict();

/**
 * Asks a running controller to rotate the cookie tag key now (docs/operations.md, "Tag
 * keys"). The controller runs as the container's first process, so
 * `kubectl exec deploy/talaria-controller -- talaria rotate-key` reaches it: whoever may
 * exec into the controller may rotate, nobody else (no network endpoint to abuse).
 */
export const rotateKeyCommand = defineCommand({
  name: 'rotate-key',
  summary: 'Rotate the cookie tag key of a running controller (talaria run)',
  options: { pid: { type: 'string' } },
  schema,
  details: [
    '--pid PID   the controller process (default 1: the container of `talaria run`)',
    '',
    'Sends SIGUSR2; the leader draws a fresh key, makes it current and keeps the old one as',
    'the previous epoch, so open connections keep working. It logs the new epoch ("tag key',
    'rotated") or why it did not rotate (a standby replica, or a key set in the configuration:',
    'then change the configured key instead).',
  ].join('\n'),
  async run({ pid }) {
    try {
      process.kill(pid, ROTATE_KEY_SIGNAL);
    } catch (error) {
      console.error(`talaria rotate-key: process ${pid}: ${(error as Error).message}`);
      return 1;
    }
    console.log(`asked process ${pid} to rotate the tag key (${ROTATE_KEY_SIGNAL})`);
    return 0;
  },
});

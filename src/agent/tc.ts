import { z } from 'zod';
import { HostCommandError, runHostCommand } from './host-command.ts';

/**
 * Attaching programs to TC hooks with iproute2's tc (clsact qdisc, direct-action bpf
 * filter). Our filter has a fixed preference and handle, so `replace` swaps the program of
 * a running hook atomically (agent restart, upgrade) and `del` removes only ours.
 */
export const TALARIA_TC_FILTER = { pref: '1', handle: '0x7a1' } as const;

export type TcHook = 'ingress' | 'egress';

/** Attaches (or atomically replaces) the pinned program on a hook of `dev`. */
export async function attachProgram(dev: string, hook: TcHook, programPin: string): Promise<void> {
  await runHostCommand(['tc', 'qdisc', 'replace', 'dev', dev, 'clsact']);
  await runHostCommand([
    'tc',
    'filter',
    'replace',
    'dev',
    dev,
    hook,
    'pref',
    TALARIA_TC_FILTER.pref,
    'handle',
    TALARIA_TC_FILTER.handle,
    'bpf',
    'direct-action',
    'object-pinned',
    programPin,
  ]);
}

const filterSchema = z.array(
  z.object({
    kind: z.string().optional(),
    pref: z.number().optional(),
    options: z
      .object({
        handle: z.string().optional(),
        prog: z.object({ id: z.number().int() }).optional(),
      })
      .optional(),
  }),
);

/** The id of the program our filter runs on a hook of `dev`, or undefined when none is attached. */
export async function attachedProgramId(dev: string, hook: TcHook): Promise<number | undefined> {
  const { stdout } = await runHostCommand(['tc', '-j', 'filter', 'show', 'dev', dev, hook]);
  const filters = filterSchema.parse(stdout.trim() ? JSON.parse(stdout) : []);
  const ours = filters.find(
    (f) =>
      String(f.pref) === TALARIA_TC_FILTER.pref && f.options?.handle === TALARIA_TC_FILTER.handle,
  );
  return ours?.options?.prog?.id;
}

/**
 * Removes our filter from a hook of `dev`, and the clsact qdisc when no filter is left on
 * it. A device that is already gone (the pod was deleted) counts as detached.
 */
export async function detachProgram(dev: string, hook: TcHook): Promise<void> {
  try {
    if ((await attachedProgramId(dev, hook)) === undefined) return;
    await runHostCommand([
      'tc',
      'filter',
      'del',
      'dev',
      dev,
      hook,
      'pref',
      TALARIA_TC_FILTER.pref,
      'handle',
      TALARIA_TC_FILTER.handle,
      'bpf',
    ]);
    const remaining = await Promise.all(
      ['ingress', 'egress'].map((hook) =>
        runHostCommand(['tc', '-j', 'filter', 'show', 'dev', dev, hook]).then(
          ({ stdout }) => filterSchema.parse(stdout.trim() ? JSON.parse(stdout) : []).length,
        ),
      ),
    );
    if (remaining.every((count) => count === 0)) {
      await runHostCommand(['tc', 'qdisc', 'del', 'dev', dev, 'clsact']);
    }
  } catch (error) {
    if (
      error instanceof HostCommandError &&
      /Cannot find device|No such device/.test(error.stderr)
    ) {
      return;
    }
    throw error;
  }
}

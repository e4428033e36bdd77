import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { runHostCommand } from './host-command.ts';

/**
 * bpftool, driven from TypeScript: how the agent loads programs and reads and writes maps
 * (docs/host-path.md says why bpftool rather than a native libbpf addon). Map keys and
 * values cross this boundary as raw bytes; datapath-maps.ts gives them meaning.
 */

const hexByte = z.string().regex(/^0x[0-9a-f]{2}$/);
const rawBytes = z
  .array(hexByte)
  .transform((bytes) => Buffer.from(bytes.map((b) => parseInt(b, 16))));

const dumpEntrySchema = z.union([
  z.object({ key: rawBytes, value: rawBytes }),
  z.object({
    key: rawBytes,
    values: z.array(z.object({ cpu: z.number().int(), value: rawBytes })),
  }),
]);

/** One entry of a map as bytes; per-CPU maps give one value per CPU. */
export interface MapEntry {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface PerCpuMapEntry {
  readonly key: Buffer;
  readonly values: readonly Buffer[];
}

async function bpftoolJson(args: readonly string[]): Promise<unknown> {
  const { stdout } = await runHostCommand(['bpftool', '-j', ...args]);
  try {
    return JSON.parse(stdout);
  } catch (error) {
    throw new Error(`bpftool ${args.join(' ')}: unparsable JSON: ${(error as Error).message}`);
  }
}

async function dumpRaw(pinPath: string) {
  const parsed = z
    .array(dumpEntrySchema)
    .safeParse(await bpftoolJson(['map', 'dump', 'pinned', pinPath]));
  if (!parsed.success) {
    throw new Error(
      `bpftool map dump ${pinPath}: unexpected output: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}

/** Every entry of a (non per-CPU) pinned map. */
export async function dumpMap(pinPath: string): Promise<MapEntry[]> {
  return (await dumpRaw(pinPath)).map((entry) => {
    if (!('value' in entry)) throw new Error(`${pinPath} is a per-CPU map: use dumpPerCpuMap`);
    return { key: entry.key, value: entry.value };
  });
}

/** Every entry of a pinned per-CPU map, with its value on each CPU. */
export async function dumpPerCpuMap(pinPath: string): Promise<PerCpuMapEntry[]> {
  return (await dumpRaw(pinPath)).map((entry) => {
    if (!('values' in entry)) throw new Error(`${pinPath} is not a per-CPU map`);
    return { key: entry.key, values: entry.values.map((v) => v.value) };
  });
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** A change to one map entry. */
export type MapChange =
  | { readonly op: 'update'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly op: 'delete'; readonly key: Uint8Array };

/**
 * Applies changes to a pinned map in one bpftool process (`bpftool batch`), in order.
 * bpftool stops at the first failing line and says which.
 */
export async function applyMapChanges(
  pinPath: string,
  changes: readonly MapChange[],
): Promise<void> {
  if (changes.length === 0) return;
  const lines = changes.map((change) =>
    change.op === 'update'
      ? `map update pinned ${pinPath} key hex ${hex(change.key)} value hex ${hex(change.value)}`
      : `map delete pinned ${pinPath} key hex ${hex(change.key)}`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'talaria-bpftool-'));
  try {
    const file = join(dir, 'batch');
    await writeFile(file, `${lines.join('\n')}\n`);
    await runHostCommand(['bpftool', 'batch', 'file', file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What `bpftool map create` needs to know of a map. */
export interface MapShape {
  readonly name: string;
  readonly type: 'array' | 'hash' | 'lru_hash' | 'percpu_array';
  readonly keySize: number;
  readonly valueSize: number;
}

/** Creates a map and pins it at `pinPath` (the path must not exist). */
export async function createPinnedMap(
  pinPath: string,
  shape: MapShape,
  maxEntries: number,
): Promise<void> {
  await runHostCommand([
    'bpftool',
    'map',
    'create',
    pinPath,
    'type',
    shape.type,
    'key',
    String(shape.keySize),
    'value',
    String(shape.valueSize),
    'entries',
    String(maxEntries),
    'name',
    shape.name,
  ]);
}

const mapInfoSchema = z.object({
  id: z.number().int(),
  type: z.string(),
  name: z.string(),
  bytes_key: z.number().int(),
  bytes_value: z.number().int(),
  max_entries: z.number().int(),
});

export type PinnedMapInfo = z.infer<typeof mapInfoSchema>;

/** Type, sizes and id of a pinned map. */
export async function pinnedMapInfo(pinPath: string): Promise<PinnedMapInfo> {
  const parsed = mapInfoSchema.safeParse(await bpftoolJson(['map', 'show', 'pinned', pinPath]));
  if (!parsed.success) throw new Error(`bpftool map show ${pinPath}: unexpected output`);
  return parsed.data;
}

/**
 * Loads every program of an object file and pins each at `<pinDir>/<program name>`,
 * using the given pinned maps instead of creating the object's own (by map name).
 */
export async function loadAndPinPrograms(
  objectPath: string,
  pinDir: string,
  reuseMaps: Readonly<Record<string, string>>,
): Promise<void> {
  const mapArgs = Object.entries(reuseMaps).flatMap(([name, path]) => [
    'map',
    'name',
    name,
    'pinned',
    path,
  ]);
  await runHostCommand([
    'bpftool',
    'prog',
    'loadall',
    objectPath,
    pinDir,
    'type',
    'tc',
    ...mapArgs,
  ]);
}

const progRunSchema = z.object({ retval: z.number().int(), duration: z.number() });

export interface ProgramRun {
  /** The program's return value (a TC verdict). */
  readonly retval: number;
  /** The packet as the program left it. */
  readonly output: Buffer;
}

/**
 * Runs a pinned TC program once on `packet` with BPF_PROG_TEST_RUN (`bpftool prog run`):
 * the kernel builds an skb from the frame as a device would, runs the program, and returns
 * its verdict and the resulting bytes. Redirects are not carried out.
 */
export async function testRunProgram(programPin: string, packet: Uint8Array): Promise<ProgramRun> {
  const dir = await mkdtemp(join(tmpdir(), 'talaria-prog-run-'));
  try {
    const input = join(dir, 'in');
    const output = join(dir, 'out');
    await writeFile(input, packet);
    const parsed = progRunSchema.safeParse(
      await bpftoolJson([
        'prog',
        'run',
        'pinned',
        programPin,
        'data_in',
        input,
        'data_out',
        output,
        // Room for what a program adds (the Talaria header); bpftool's default is the input size.
        'data_size_out',
        String(packet.length + 256),
      ]),
    );
    if (!parsed.success) throw new Error(`bpftool prog run ${programPin}: unexpected output`);
    return { retval: parsed.data.retval, output: await readFile(output) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

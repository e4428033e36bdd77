import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runHostCommand } from './host-command.ts';

/**
 * Builds the eBPF objects from bpf/ with clang into bpf/build/ (git-ignored). Tests, the
 * benchmark and the agent call it; it compiles only what is older than its sources, so a
 * container image that ships bpf/build/ needs no clang at run time.
 */

/** The repository's bpf/ directory. */
export const BPF_SOURCE_DIR = new URL('../../bpf/', import.meta.url).pathname;

/** The objects of the host data path and their sources in bpf/. */
export const DATAPATH_OBJECTS = { lxc: 'bpf_lxc.c', host: 'bpf_host.c' } as const;

export type DatapathObject = keyof typeof DATAPATH_OBJECTS;

/** The programs of the host data path: the object each is in and the hook it serves. */
export const DATAPATH_PROGRAMS = {
  /** TC ingress of each pod's host-side veth: what the pod sends. */
  fromPod: { object: 'lxc', name: 'talaria_from_pod' },
  /** TC egress of each pod's host-side veth: what the kernel's path delivers to the pod. */
  toPod: { object: 'lxc', name: 'talaria_to_pod' },
  /** TC ingress of the uplink. */
  fromUplink: { object: 'host', name: 'talaria_from_uplink' },
} as const satisfies Record<string, { object: DatapathObject; name: string }>;

export type DatapathProgram = keyof typeof DATAPATH_PROGRAMS;

async function mtimeMs(path: string): Promise<number> {
  return (await stat(path)).mtimeMs;
}

async function newestHeader(sourceDir: string): Promise<number> {
  const libDir = join(sourceDir, 'lib');
  const names = (await readdir(libDir)).filter((name) => name.endsWith('.h'));
  const times = await Promise.all(names.map((name) => mtimeMs(join(libDir, name))));
  return Math.max(0, ...times);
}

/** clang's include directory for <asm/types.h> on Debian-style multiarch systems. */
async function multiarchInclude(): Promise<string[]> {
  try {
    const { stdout } = await runHostCommand(['clang', '-print-multiarch']);
    const triple = stdout.trim();
    return triple ? [`-I/usr/include/${triple}`] : [];
  } catch {
    return [];
  }
}

export interface BuildOptions {
  readonly sourceDir?: string;
  readonly outputDir?: string;
  /** -D definitions, e.g. { CLIENT_FLOWS_MAX: '1024' }; they force a rebuild into their own file. */
  readonly defines?: Readonly<Record<string, string>>;
}

/**
 * Compiles `source` (a path relative to bpf/, e.g. 'bpf_lxc.c' or 'tests/switch_standin.c')
 * unless its object is newer than it and every header of bpf/lib. Returns the object path.
 */
export async function buildBpfObject(source: string, options: BuildOptions = {}): Promise<string> {
  const sourceDir = options.sourceDir ?? BPF_SOURCE_DIR;
  const outputDir = options.outputDir ?? join(sourceDir, 'build');
  const defines = Object.entries(options.defines ?? {});
  const suffix = defines.map(([name, value]) => `.${name}=${value}`).join('');
  const object = join(outputDir, source.replace(/\//g, '-').replace(/\.c$/, `${suffix}.o`));
  const sourcePath = join(sourceDir, source);
  const newestInput = Math.max(await mtimeMs(sourcePath), await newestHeader(sourceDir));
  const built = await mtimeMs(object).catch(() => 0);
  if (built > newestInput) return object;

  await mkdir(outputDir, { recursive: true });
  // Compile to a private name first: concurrent builders never see half an object.
  const partial = `${object}.${process.pid}.partial`;
  await runHostCommand([
    'clang',
    '-O2',
    '-g',
    '-Wall',
    '-Werror',
    '-target',
    'bpf',
    ...(await multiarchInclude()),
    `-I${sourceDir}`,
    ...defines.map(([name, value]) => `-D${name}=${value}`),
    '-c',
    sourcePath,
    '-o',
    partial,
  ]);
  await rename(partial, object);
  return object;
}

/** Builds the host data path's objects, by name. */
export async function buildDatapathObjects(
  options: BuildOptions = {},
): Promise<Record<DatapathObject, string>> {
  const [lxc, host] = await Promise.all([
    buildBpfObject(DATAPATH_OBJECTS.lxc, options),
    buildBpfObject(DATAPATH_OBJECTS.host, options),
  ]);
  return { lxc, host };
}

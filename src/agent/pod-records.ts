import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { describeFirstIssue } from '../validation/zod-issue.ts';

/**
 * The hand-over between the chained CNI plugin and the agent: one JSON file per pod
 * interface in the pods directory (default /run/talaria/pods). The plugin writes it on ADD
 * and removes it on DEL; the agent reads the directory on every pass. Files survive agent
 * restarts, and pods added while the agent is down are picked up when it comes back.
 */

const macAddress = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'not a lower-case MAC address');

export const podRecordSchema = z
  .object({
    containerId: z.string().min(1),
    ifName: z.string().min(1),
    /** The pod's network namespace, as the runtime gave it (CNI_NETNS). */
    netns: z.string().min(1),
    podIp: z.string().refine(isIPv4, 'not an IPv4 address'),
    podMac: macAddress,
    /** The host side of the pod's veth, in the node's namespace. */
    hostIfname: z.string().min(1).max(15),
    hostIfindex: z.number().int().positive(),
    hostMac: macAddress,
  })
  .strict();

export type PodRecord = z.infer<typeof podRecordSchema>;

function fileBase(podsDir: string, containerId: string, ifName: string): string {
  return join(podsDir, `${containerId}-${ifName}`.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

function recordFile(podsDir: string, containerId: string, ifName: string): string {
  return `${fileBase(podsDir, containerId, ifName)}.json`;
}

/**
 * A pod interface the plugin left on the kernel's path (nsenter or ethtool missing, the veth
 * not found, ...): `<id>-<if>.kernel-path` beside the records, so the agent reports it (log
 * and metrics) and DEL removes it.
 */
export const kernelPathRecordSchema = z
  .object({ containerId: z.string().min(1), ifName: z.string().min(1), reason: z.string() })
  .strict();

export type KernelPathRecord = z.infer<typeof kernelPathRecordSchema>;

const KERNEL_PATH_SUFFIX = '.kernel-path';

async function writeAtomically(file: string, json: unknown): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(json, null, 2)}\n`);
  await rename(partial, file);
}

export async function writeKernelPathRecord(
  podsDir: string,
  record: KernelPathRecord,
): Promise<void> {
  await mkdir(podsDir, { recursive: true });
  const file = `${fileBase(podsDir, record.containerId, record.ifName)}${KERNEL_PATH_SUFFIX}`;
  await writeAtomically(file, record);
}

/** The pods on the kernel's path: every readable `.kernel-path` file of the directory. */
export async function scanKernelPathRecords(podsDir: string): Promise<KernelPathRecord[]> {
  const names = await readdir(podsDir).catch(() => [] as string[]);
  const records: KernelPathRecord[] = [];
  for (const name of names.filter((n) => n.endsWith(KERNEL_PATH_SUFFIX)).sort()) {
    const text = await readFile(join(podsDir, name), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      const parsed = kernelPathRecordSchema.safeParse(JSON.parse(text));
      if (parsed.success) records.push(parsed.data);
    } catch {
      // half-written by hand: not a record
    }
  }
  return records;
}

/** Writes a record atomically (a reader never sees half a file). */
export async function writePodRecord(podsDir: string, record: PodRecord): Promise<void> {
  await mkdir(podsDir, { recursive: true });
  await writeAtomically(recordFile(podsDir, record.containerId, record.ifName), record);
}

export async function removePodRecord(
  podsDir: string,
  containerId: string,
  ifName: string,
): Promise<void> {
  const base = fileBase(podsDir, containerId, ifName);
  await rm(`${base}.json`, { force: true });
  await rm(`${base}${KERNEL_PATH_SUFFIX}`, { force: true });
}

export async function readPodRecord(
  podsDir: string,
  containerId: string,
  ifName: string,
): Promise<PodRecord | undefined> {
  const text = await readFile(recordFile(podsDir, containerId, ifName), 'utf8').catch(
    () => undefined,
  );
  return text === undefined ? undefined : podRecordSchema.parse(JSON.parse(text));
}

export interface PodRecordScan {
  readonly records: PodRecord[];
  /** Files that are not valid records, with what is wrong. */
  readonly invalid: { readonly file: string; readonly problem: string }[];
}

/** Every record of the directory (an absent directory holds none). */
export async function scanPodRecords(podsDir: string): Promise<PodRecordScan> {
  const names = await readdir(podsDir).catch(() => [] as string[]);
  const records: PodRecord[] = [];
  const invalid: { file: string; problem: string }[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = join(podsDir, name);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // removed while scanning
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      invalid.push({ file, problem: `not JSON: ${(error as Error).message}` });
      continue;
    }
    const parsed = podRecordSchema.safeParse(json);
    if (parsed.success) records.push(parsed.data);
    else invalid.push({ file, problem: describeFirstIssue(parsed.error) });
  }
  return { records, invalid };
}

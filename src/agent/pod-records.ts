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

function recordFile(podsDir: string, containerId: string, ifName: string): string {
  const safe = `${containerId}-${ifName}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  return join(podsDir, `${safe}.json`);
}

/** Writes a record atomically (a reader never sees half a file). */
export async function writePodRecord(podsDir: string, record: PodRecord): Promise<void> {
  await mkdir(podsDir, { recursive: true });
  const file = recordFile(podsDir, record.containerId, record.ifName);
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(record, null, 2)}\n`);
  await rename(partial, file);
}

export async function removePodRecord(
  podsDir: string,
  containerId: string,
  ifName: string,
): Promise<void> {
  await rm(recordFile(podsDir, containerId, ifName), { force: true });
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

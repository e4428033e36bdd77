/**
 * The record of a P4 build (p4/build/talaria.build.json): which sources, which compiler,
 * which outputs, which warnings. Written by scripts/p4-build.sh after p4c succeeded
 * (`node --import tsx scripts/p4-build-record.ts <p4c version> <command> <p4c log>`),
 * checked by test/unit/p4-build-fresh.test.ts.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

export const REPO_ROOT = new URL('..', import.meta.url).pathname;
export const P4_DIR = join(REPO_ROOT, 'p4');
export const BUILD_DIR = join(P4_DIR, 'build');
export const BUILD_RECORD = join(BUILD_DIR, 'talaria.build.json');
export const BUILD_OUTPUTS = ['talaria.json', 'talaria.p4info.txtpb'] as const;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Every .p4 file under p4/ except the build outputs, as sorted repository paths. */
export function p4SourceFiles(): string[] {
  return readdirSync(P4_DIR, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.p4'))
    .map((e) => relative(REPO_ROOT, join(e.parentPath, e.name)))
    .filter((path) => !path.startsWith('p4/build/'))
    .sort();
}

/**
 * The digest of the P4 sources: SHA-256 over "<path>\n<SHA-256 of its content>\n" for
 * each source file in sorted path order, so a renamed, added or removed file counts too.
 */
export function p4SourcesDigest(files = p4SourceFiles()): string {
  return sha256(
    files.map((path) => `${path}\n${sha256(readFileSync(join(REPO_ROOT, path)))}\n`).join(''),
  );
}

export function outputDigests(): Record<string, string> {
  return Object.fromEntries(
    BUILD_OUTPUTS.map((name) => [name, sha256(readFileSync(join(BUILD_DIR, name)))]),
  );
}

export const buildRecordSchema = z
  .object({
    sources: z
      .object({ digest: z.string().regex(/^[0-9a-f]{64}$/), files: z.array(z.string()) })
      .strict(),
    compiler: z.object({ version: z.string().min(1), command: z.string().min(1) }).strict(),
    outputs: z.record(z.enum(BUILD_OUTPUTS), z.string().regex(/^[0-9a-f]{64}$/)),
    warnings: z.array(z.string()),
  })
  .strict();

export type BuildRecord = z.infer<typeof buildRecordSchema>;

export function readBuildRecord(): BuildRecord {
  return buildRecordSchema.parse(JSON.parse(readFileSync(BUILD_RECORD, 'utf8')));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [version, command, logPath] = process.argv.slice(2);
  if (!version || !command || !logPath) {
    console.error('usage: p4-build-record.ts <p4c version> <command> <p4c log>');
    process.exit(2);
  }
  const files = p4SourceFiles();
  const record: BuildRecord = {
    sources: { digest: p4SourcesDigest(files), files },
    compiler: { version, command },
    outputs: outputDigests(),
    warnings: readFileSync(logPath, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== ''),
  };
  writeFileSync(BUILD_RECORD, JSON.stringify(record, null, 2) + '\n');
  console.log(`wrote ${relative(REPO_ROOT, BUILD_RECORD)}: sources ${record.sources.digest}`);
}

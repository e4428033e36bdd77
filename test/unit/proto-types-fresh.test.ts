import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_OUT_DIR,
  ENTRY_PROTO,
  GENERATOR_ARGS,
  REPO_ROOT,
  generateProtoTypes,
} from '../../scripts/gen-proto-types.js';
import {
  GOOGLE_PROTO_DIR,
  P4RUNTIME_PROTO_FILE,
  PROTO_DIR,
  PROTO_LOADER_OPTIONS,
} from '../../src/p4rt/schema.ts';

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('generated P4Runtime types (src/p4rt/generated)', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'talaria-proto-types-'));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('are generated with the same options schema.ts loads with', () => {
    const flag = (name: string) => GENERATOR_ARGS.find((a) => a.startsWith(`--${name}`));
    expect(flag('longs')).toBe(`--longs=${PROTO_LOADER_OPTIONS.longs.name}`);
    expect(flag('enums')).toBe(`--enums=${PROTO_LOADER_OPTIONS.enums.name}`);
    expect(flag('bytes')).toBe(`--bytes=${PROTO_LOADER_OPTIONS.bytes.name}`);
    expect(flag('oneofs') !== undefined).toBe(PROTO_LOADER_OPTIONS.oneofs);
    expect(flag('defaults') !== undefined).toBe(PROTO_LOADER_OPTIONS.defaults);
    expect(flag('keepCase') !== undefined).toBe(PROTO_LOADER_OPTIONS.keepCase);
    const includeDirs = GENERATOR_ARGS.flatMap((arg, i) =>
      arg === '-I' ? [path.resolve(REPO_ROOT, GENERATOR_ARGS[i + 1] ?? '')] : [],
    );
    expect(includeDirs).toEqual(PROTO_LOADER_OPTIONS.includeDirs.map((d) => path.resolve(d)));
    expect([path.resolve(PROTO_DIR), GOOGLE_PROTO_DIR]).toEqual(includeDirs);
    expect(ENTRY_PROTO).toBe(P4RUNTIME_PROTO_FILE);
  });

  it('match what `npm run proto:gen` generates from proto/ now', () => {
    generateProtoTypes(scratch);
    const fresh = listFiles(scratch);
    const committed = listFiles(DEFAULT_OUT_DIR);
    expect(committed, 'file list differs: run `npm run proto:gen` and commit').toEqual(fresh);
    const stale = fresh.filter(
      (file) =>
        !fs
          .readFileSync(path.join(scratch, file))
          .equals(fs.readFileSync(path.join(DEFAULT_OUT_DIR, file))),
    );
    expect(stale, 'stale generated files: run `npm run proto:gen` and commit').toEqual([]);
  });
});

#!/usr/bin/env node
// Generates TypeScript types for the P4Runtime schema with @grpc/proto-loader's
// proto-loader-gen-types into src/p4rt/generated/ (or the directory given as the first
// argument). The flags mirror PROTO_LOADER_OPTIONS in src/p4rt/schema.ts, so the types
// describe exactly the objects the loader produces; test/unit/proto-types-fresh.test.ts
// checks both that and that the committed output is current. Usage: npm run proto:gen
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_OUT_DIR = path.join(REPO_ROOT, 'src/p4rt/generated');

/** Include directories relative to the repository, so generated headers name no machine paths. */
export const GENERATOR_ARGS = [
  '--longs=String',
  '--enums=String',
  '--bytes=Buffer',
  '--oneofs',
  '--grpcLib=@grpc/grpc-js',
  '--importFileExtension=.ts',
  '-I',
  'proto',
  '-I',
  'node_modules/google-proto-files',
];

export const ENTRY_PROTO = 'p4/v1/p4runtime.proto';

/** Replaces outDir with freshly generated types. */
export function generateProtoTypes(outDir = DEFAULT_OUT_DIR) {
  const require = createRequire(import.meta.url);
  const loaderDir = path.dirname(require.resolve('@grpc/proto-loader/package.json'));
  const { bin } = JSON.parse(fs.readFileSync(path.join(loaderDir, 'package.json'), 'utf8'));
  const generator = path.join(loaderDir, bin['proto-loader-gen-types']);
  fs.rmSync(outDir, { recursive: true, force: true });
  execFileSync(process.execPath, [generator, ...GENERATOR_ARGS, '-O', outDir, ENTRY_PROTO], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  generateProtoTypes(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
}

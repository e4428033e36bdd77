import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importCycles, importsOf, layerViolations } from '../support/layers.ts';

/** Every TypeScript file under src/ (tracked or new), with its relative imports. */
function sourceImports() {
  const files = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', 'src/*.ts'],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);
  expect(files.length).toBeGreaterThan(100);
  return files.flatMap((file) => importsOf(file, readFileSync(file, 'utf8')));
}

describe('layers of src/ (docs/architecture.md)', () => {
  const imports = sourceImports();

  it('every import points down the layers', () => {
    expect(layerViolations(imports)).toEqual([]);
  });

  it('no import cycle', () => {
    expect(importCycles(imports)).toEqual([]);
  });

  it('the rule catches an upward import, a sideways one and a folder with no layer', () => {
    const fake = (file: string, text: string) => importsOf(file, text);
    expect(
      layerViolations([
        ...fake('src/k8s/informer.ts', "import { x } from '../controller/logger.ts';"),
        ...fake('src/k8s/objects/ip.ts', "export type { T } from '../../p4rt/client.ts';"),
        ...fake('src/model/a.ts', "const m = await import('../newthing/b.ts');"),
        ...fake('src/controller/c.ts', "import { y } from '../base/logger.ts';"),
      ]),
    ).toEqual([
      'src/k8s/informer.ts imports src/controller/logger.ts: src/controller is not below src/k8s',
      'src/k8s/objects/ip.ts imports src/p4rt/client.ts: src/p4rt is not below src/k8s',
      'src/newthing is in no layer',
    ]);
  });

  it('the cycle check catches a cycle and ignores type-only imports', () => {
    expect(
      importCycles([
        ...importsOf('src/a/x.ts', "import { y } from './y.ts';"),
        ...importsOf('src/a/y.ts', "import { x } from './x.ts';"),
        ...importsOf('src/a/p.ts', "import type { Q } from './q.ts';"),
        ...importsOf('src/a/q.ts', "import type { P } from './p.ts';"),
      ]),
    ).toEqual([['src/a/x.ts', 'src/a/y.ts']]);
  });
});

import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';

/**
 * The layers of src/, bottom-up (docs/architecture.md, "Layers"). A module may import
 * from its own folder and from folders of lower layers only; folders of one layer do not
 * import each other.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['base'],
  ['validation', 'metrics'],
  ['wire'],
  ['p4rt', 'k8s'],
  ['model'],
  ['reconcile', 'softswitch', 'agent'],
  ['controller'],
  ['cli'],
];

/** One relative import of a source file. */
export interface SourceImport {
  readonly from: string;
  readonly to: string;
  /** `import type` / `export type`: erased at run time. */
  readonly typeOnly: boolean;
}

/** The relative imports (static, re-exports and dynamic) of a TypeScript source. */
export function importsOf(file: string, text: string): SourceImport[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: SourceImport[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (specifier.startsWith('.'))
      found.push({ from: file, to: normalize(join(dirname(file), specifier)), typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.importClause?.isTypeOnly ?? false);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The folder of src/ a path belongs to (src/k8s/objects/ip.ts -> k8s), or undefined. */
function srcFolder(path: string): string | undefined {
  const parts = path.split('/');
  return parts[0] === 'src' && parts.length > 2 ? parts[1] : undefined;
}

/** Every import that points up or sideways, and every src/ folder with no layer. */
export function layerViolations(imports: readonly SourceImport[]): string[] {
  const layerOf = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));
  const problems = new Set<string>();
  for (const { from, to } of imports) {
    const [a, b] = [srcFolder(from), srcFolder(to)];
    if (a === undefined || b === undefined || a === b) continue;
    for (const folder of [a, b]) {
      if (!layerOf.has(folder)) problems.add(`src/${folder} is in no layer`);
    }
    const [la, lb] = [layerOf.get(a), layerOf.get(b)];
    if (la !== undefined && lb !== undefined && lb >= la) {
      problems.add(`${from} imports ${to}: src/${b} is not below src/${a}`);
    }
  }
  return [...problems].sort();
}

/** The import cycles among modules (type-only imports left out: they are erased). */
export function importCycles(imports: readonly SourceImport[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const { from, to, typeOnly } of imports) {
    if (!graph.has(from)) graph.set(from, []);
    if (!typeOnly) graph.get(from)!.push(to);
  }
  // Tarjan's strongly connected components; a component of two or more is a cycle.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return cycles;
}

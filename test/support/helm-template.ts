import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYamlText } from 'yaml';
import { commandExists } from './tiers.ts';

/**
 * Renders charts/talaria for tests where no helm binary is installed (Debian 12 has no
 * helm package, and no maintained npm package renders charts). It implements the part of
 * Go's text/template and helm's functions that the chart uses, and throws on anything
 * else, so a template that needs more fails here instead of rendering wrongly:
 *
 *   {{ .Values.a.b }} {{ .Release.Namespace }} {{ .Chart.AppVersion }} {{ .Files.Get "f" }}
 *   {{- if PIPELINE }} ... {{- else }} ... {{- end }}      {{/* comments *\/}}
 *   pipelines of toYaml, nindent N, indent N, quote, default X
 *   trim markers {{- and -}}
 *
 * Where `helm` is on PATH, helmTemplate() runs `helm template` instead.
 */

export interface RenderContext {
  readonly values: Record<string, unknown>;
  readonly namespace: string;
  readonly releaseName: string;
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'output'; pipeline: string }
  | { kind: 'if'; pipeline: string; then: Node[]; otherwise: Node[] };

interface Token {
  readonly text: string;
  readonly action?: string;
}

function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let rest = template;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) {
      tokens.push({ text: rest });
      return tokens;
    }
    const close = rest.indexOf('}}', open);
    if (close < 0) throw new Error(`unclosed action: ${rest.slice(open, open + 40)}`);
    let text = rest.slice(0, open);
    let action = rest.slice(open + 2, close);
    if (action.startsWith('- ')) {
      text = text.replace(/\s+$/, '');
      action = action.slice(1);
    }
    tokens.push({ text });
    let after = rest.slice(close + 2);
    if (action.endsWith(' -')) {
      action = action.slice(0, -1);
      after = after.replace(/^\s+/, '');
    }
    tokens.push({ text: '', action: action.trim() });
    rest = after;
  }
}

function parse(tokens: Token[]): Node[] {
  let i = 0;
  const block = (terminators: readonly string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const token = tokens[i++]!;
      if (token.action === undefined) {
        if (token.text) nodes.push({ kind: 'text', text: token.text });
        continue;
      }
      const action = token.action;
      if (action.startsWith('/*')) continue;
      if (terminators.includes(action)) return { nodes, end: action };
      if (action.startsWith('if ')) {
        const then = block(['else', 'end']);
        const otherwise = then.end === 'else' ? block(['end']).nodes : [];
        nodes.push({ kind: 'if', pipeline: action.slice(3), then: then.nodes, otherwise });
        continue;
      }
      if (/^(range|with|define|template|block|else if)\b/.test(action) || action === 'end') {
        throw new Error(`helm-template: '${action}' is not implemented`);
      }
      nodes.push({ kind: 'output', pipeline: action });
    }
    if (terminators.length > 0) throw new Error(`missing {{ ${terminators.join(' / ')} }}`);
    return { nodes, end: '' };
  };
  return block([]).nodes;
}

/** Words of a command: quoted strings stay whole. */
function words(command: string): string[] {
  return command.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
}

function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') {
    return false;
  }
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') throw new Error('helm-template: printing a map or list');
  return String(value);
}

function evaluate(pipeline: string, context: RenderContext, chartDir: string): unknown {
  const scope: Record<string, unknown> = {
    Values: context.values,
    Release: { Namespace: context.namespace, Name: context.releaseName },
    Chart: parseYaml(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as unknown,
  };
  const chart = scope.Chart as Record<string, unknown>;
  scope.Chart = { ...chart, AppVersion: chart.appVersion, Name: chart.name };
  const argument = (word: string): unknown => {
    if (word.startsWith('"')) return JSON.parse(word) as string;
    if (/^-?\d+$/.test(word)) return Number(word);
    if (!word.startsWith('.')) throw new Error(`helm-template: unknown argument '${word}'`);
    let value: unknown = scope;
    for (const part of word.slice(1).split('.')) {
      value = value === undefined || value === null ? undefined : (value as never)[part];
    }
    return value;
  };
  const call = (name: string, args: unknown[]): unknown => {
    switch (name) {
      case 'toYaml':
        return toYamlText(args[0], { sortMapEntries: true }).replace(/\n$/, '');
      case 'quote':
        return JSON.stringify(text(args[0]));
      case 'indent':
        return text(args[1]).replace(/^/gm, ' '.repeat(Number(args[0])));
      case 'nindent':
        return `\n${text(args[1]).replace(/^/gm, ' '.repeat(Number(args[0])))}`;
      case 'default':
        return truthy(args[1]) ? args[1] : args[0];
      default:
        throw new Error(`helm-template: function '${name}' is not implemented`);
    }
  };
  let value: unknown;
  pipeline.split('|').forEach((command, index) => {
    const [head, ...rest] = words(command.trim());
    if (head === undefined) throw new Error(`helm-template: empty command in '${pipeline}'`);
    const args = rest.map(argument);
    if (index > 0) args.push(value);
    if (head === '.Files.Get') value = readFileSync(join(chartDir, String(args[0])), 'utf8');
    else if (head.startsWith('.') || head.startsWith('"')) {
      if (args.length > 0) throw new Error(`helm-template: '${head}' takes no arguments`);
      value = argument(head);
    } else value = call(head, args);
  });
  return value;
}

function render(nodes: readonly Node[], context: RenderContext, chartDir: string): string {
  return nodes
    .map((node) => {
      if (node.kind === 'text') return node.text;
      if (node.kind === 'output') return text(evaluate(node.pipeline, context, chartDir));
      const branch = truthy(evaluate(node.pipeline, context, chartDir))
        ? node.then
        : node.otherwise;
      return render(branch, context, chartDir);
    })
    .join('');
}

/** Deep merge of overrides into the chart's values (maps merge, the rest replaces). */
function merge(base: unknown, override: unknown): unknown {
  if (
    typeof base === 'object' &&
    base !== null &&
    !Array.isArray(base) &&
    typeof override === 'object' &&
    override !== null &&
    !Array.isArray(override)
  ) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [key, value] of Object.entries(override)) out[key] = merge(out[key], value);
    return out;
  }
  return override === undefined ? base : override;
}

/** The chart's values: values.yaml with `overrides` merged in. */
export function chartValues(chartDir: string, overrides: object = {}): Record<string, unknown> {
  const defaults = parseYaml(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as object;
  return merge(defaults, overrides) as Record<string, unknown>;
}

/** The rendered manifests, one YAML document per object (empty documents dropped). */
export function renderChart(
  chartDir: string,
  options: { namespace: string; releaseName?: string; values?: object },
): string[] {
  const context: RenderContext = {
    values: chartValues(chartDir, options.values),
    namespace: options.namespace,
    releaseName: options.releaseName ?? 'talaria',
  };
  const dir = join(chartDir, 'templates');
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .flatMap((name) =>
      render(parse(tokenize(readFileSync(join(dir, name), 'utf8'))), context, chartDir)
        .split(/^---\s*$/m)
        .filter((doc) => doc.replace(/#.*$/gm, '').trim() !== ''),
    );
}

/** `helm template` when helm is installed, else undefined. */
export function helmTemplate(
  chartDir: string,
  options: { namespace: string; releaseName?: string },
): string[] | undefined {
  if (!commandExists('helm')) return undefined;
  const out = execFileSync(
    'helm',
    ['template', options.releaseName ?? 'talaria', chartDir, '--namespace', options.namespace],
    { encoding: 'utf8' },
  );
  return out.split(/^---\s*$/m).filter((doc) => doc.replace(/#.*$/gm, '').trim() !== '');
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DROP_REASONS,
  dropReasonName,
  NOT_IPV4_COUNTER_INDEX,
} from '../../src/wire/drop-reasons.ts';

const repoFile = (path: string) => new URL(`../../${path}`, import.meta.url);

/** `DROP_REASON_<NAME> = <code>` definitions, as P4 constants or C enumerators write them. */
function definedReasons(text: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const [, name, code] of text.matchAll(/\bDROP_REASON_([A-Z0-9_]+)\s*=\s*(\d+)/g)) {
    expect(found, `DROP_REASON_${name} defined twice`).not.toHaveProperty(name!);
    found[name!] = Number(code);
  }
  return found;
}

describe('drop reasons', () => {
  it('p4/include/define.p4 defines exactly the codes of src/wire/drop-reasons.ts', () => {
    const p4 = definedReasons(readFileSync(repoFile('p4/include/define.p4'), 'utf8'));
    expect(p4).toEqual(DROP_REASONS);
  });

  it('the P4 program counts non-IPv4 frames at an index that is no drop reason', () => {
    const p4 = readFileSync(repoFile('p4/include/define.p4'), 'utf8');
    expect(p4).toMatch(new RegExp(`DROP_COUNTER_NOT_IPV4\\s*=\\s*${NOT_IPV4_COUNTER_INDEX};`));
    expect(dropReasonName(NOT_IPV4_COUNTER_INDEX)).toBeUndefined();
  });

  it('docs/wire-format.md lists the same codes and names', () => {
    const doc = readFileSync(repoFile('docs/wire-format.md'), 'utf8');
    const rows = Object.fromEntries(
      [...doc.matchAll(/^\| (\d+) \| `([A-Z0-9_]+)` \|/gm)].map(([, code, name]) => [
        name!,
        Number(code),
      ]),
    );
    expect(rows).toEqual(DROP_REASONS);
  });

  const ebpfHeader = repoFile('bpf/lib/drop_reasons.h');
  it('bpf/lib/drop_reasons.h defines the same codes', () => {
    expect(definedReasons(readFileSync(ebpfHeader, 'utf8'))).toEqual(DROP_REASONS);
  });

  it('names every code and nothing else', () => {
    for (const [name, code] of Object.entries(DROP_REASONS))
      expect(dropReasonName(code)).toBe(name);
    expect(dropReasonName(Math.max(...Object.values(DROP_REASONS)) + 1)).toBeUndefined();
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HOST_DROP_REASONS, STAT_CODES } from '../../src/agent/datapath-stats.ts';
import { DROP_REASONS } from '../../src/wire/drop-reasons.ts';

/**
 * The stats indexes the agent names (src/agent/datapath-stats.ts) are exactly those of the
 * C headers, and bpf/lib/drop_reasons.h holds the shared drop reasons of
 * docs/wire-format.md with the same codes as src/wire/drop-reasons.ts.
 */

const header = (name: string) =>
  readFileSync(new URL(`../../bpf/lib/${name}`, import.meta.url), 'utf8');

/** `PREFIX_NAME = 12,` entries of a C enum, by NAME. */
function enumEntries(source: string, prefix: string): Record<string, number> {
  const entries: Record<string, number> = {};
  for (const match of source.matchAll(
    new RegExp(`^\\s*${prefix}([A-Z0-9_]+)\\s*=\\s*(\\d+),`, 'gm'),
  )) {
    entries[match[1]!] = Number(match[2]);
  }
  return entries;
}

describe('host data path codes', () => {
  it('bpf/lib/drop_reasons.h has the shared drop reasons of the wire format', () => {
    expect(enumEntries(header('drop_reasons.h'), 'DROP_REASON_')).toEqual(DROP_REASONS);
  });

  it('host-only drops agree with the C header and stay in their own range', () => {
    expect(enumEntries(header('drop_reasons.h'), 'HOST_DROP_')).toEqual(HOST_DROP_REASONS);
    for (const code of Object.values(HOST_DROP_REASONS)) expect(code).toBeGreaterThanOrEqual(100);
  });

  it('stat codes agree with bpf/lib/stats.h and fit the stats map', () => {
    expect(enumEntries(header('stats.h'), 'STAT_')).toEqual(STAT_CODES);
    const all = [
      ...Object.values(DROP_REASONS),
      ...Object.values(HOST_DROP_REASONS),
      ...Object.values(STAT_CODES),
    ];
    expect(new Set(all).size).toBe(all.length);
    expect(Math.max(...all)).toBeLessThan(256);
  });
});

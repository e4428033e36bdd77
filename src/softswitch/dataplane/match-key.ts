/**
 * Match keys: validating and normalizing a control-plane match (bigints per key field) and
 * turning it into what lookups compare against. Values of keys up to 53 bits wide are
 * numbers at lookup time, wider ones bigints (as their fields are).
 */
import type { EntryMatch, FieldMatch, KeyFieldInfo } from './api.ts';
import { MAX_NUMBER_WIDTH } from './bit-io.ts';
import { DataplaneError } from './dataplane-error.ts';
import type { KeyValue } from './key-map.ts';

/** A normalized match: the wildcard equivalents (mask 0, prefix 0, full range) are undefined. */
export function normalizeMatch(
  keys: readonly KeyFieldInfo[],
  match: EntryMatch,
  table: string,
): (FieldMatch | undefined)[] {
  if (match.length !== keys.length) {
    throw new DataplaneError(
      'INVALID_ARGUMENT',
      `table '${table}' has ${keys.length} key fields, the match has ${match.length}`,
    );
  }
  return keys.map((key, i) => normalizeField(key, match[i], table));
}

function normalizeField(
  key: KeyFieldInfo,
  m: FieldMatch | undefined,
  table: string,
): FieldMatch | undefined {
  const where = `key field '${key.name}' of table '${table}'`;
  const max = (1n << BigInt(key.bitwidth)) - 1n;
  const fits = (v: bigint, what: string) => {
    if (v < 0n || v > max) {
      throw new DataplaneError(
        'OUT_OF_RANGE',
        `${where}: ${what} ${v} does not fit in ${key.bitwidth} bits`,
      );
    }
  };
  if (m === undefined) {
    if (key.matchKind === 'exact') {
      throw new DataplaneError('INVALID_ARGUMENT', `${where}: exact match missing`);
    }
    return undefined;
  }
  // p4c writes P4 `optional` keys as ternary ones in the BMv2 JSON; BMv2 (with PI) takes an
  // optional match there as a ternary match with every bit set in the mask.
  if (m.kind === 'optional' && key.matchKind === 'ternary') {
    fits(m.value, 'value');
    return { kind: 'ternary', value: m.value, mask: max };
  }
  if (m.kind !== key.matchKind) {
    throw new DataplaneError(
      'INVALID_ARGUMENT',
      `${where}: is a ${key.matchKind} match, got ${m.kind}`,
    );
  }
  switch (m.kind) {
    case 'exact':
    case 'optional':
      fits(m.value, 'value');
      return { kind: m.kind, value: m.value };
    case 'lpm': {
      fits(m.value, 'value');
      if (
        !Number.isInteger(m.prefixLength) ||
        m.prefixLength < 0 ||
        m.prefixLength > key.bitwidth
      ) {
        throw new DataplaneError(
          'INVALID_ARGUMENT',
          `${where}: prefix length ${m.prefixLength} is outside 0..${key.bitwidth}`,
        );
      }
      if ((m.value & ~prefixMask(key.bitwidth, m.prefixLength)) !== 0n) {
        throw new DataplaneError(
          'INVALID_ARGUMENT',
          `${where}: value ${m.value} has bits set beyond its /${m.prefixLength} prefix`,
        );
      }
      return m.prefixLength === 0 ? undefined : { ...m };
    }
    case 'ternary':
      fits(m.value, 'value');
      fits(m.mask, 'mask');
      if ((m.value & ~m.mask) !== 0n) {
        throw new DataplaneError(
          'INVALID_ARGUMENT',
          `${where}: value ${m.value} has bits set outside mask ${m.mask}`,
        );
      }
      return m.mask === 0n ? undefined : { ...m };
    case 'range':
      fits(m.low, 'low');
      fits(m.high, 'high');
      if (m.low > m.high) {
        throw new DataplaneError('INVALID_ARGUMENT', `${where}: low ${m.low} > high ${m.high}`);
      }
      return m.low === 0n && m.high === max ? undefined : { ...m };
  }
}

export function prefixMask(width: number, prefixLength: number): bigint {
  const all = (1n << BigInt(width)) - 1n;
  return all ^ ((1n << BigInt(width - prefixLength)) - 1n);
}

/** A canonical text of a normalized match and priority: the identity of an entry. */
export function matchIdentity(
  match: readonly (FieldMatch | undefined)[],
  priority: number,
): string {
  const parts = match.map((m) => {
    if (!m) return '*';
    switch (m.kind) {
      case 'exact':
      case 'optional':
        return m.value.toString(16);
      case 'lpm':
        return `${m.value.toString(16)}/${m.prefixLength}`;
      case 'ternary':
        return `${m.value.toString(16)}&${m.mask.toString(16)}`;
      case 'range':
        return `${m.low.toString(16)}-${m.high.toString(16)}`;
    }
  });
  return `${parts.join(',')}@${priority}`;
}

export function keyValue(value: bigint, width: number): KeyValue {
  return width > MAX_NUMBER_WIDTH ? value : Number(value);
}

/**
 * A test of one key field against one normalized match, over the lookup representation.
 * Numbers above 32 bits are split in halves for the bitwise tests.
 */
export function fieldMatcher(
  m: FieldMatch | undefined,
  width: number,
): ((v: KeyValue) => boolean) | undefined {
  if (!m) return undefined;
  const big = width > MAX_NUMBER_WIDTH;
  switch (m.kind) {
    case 'exact':
    case 'optional': {
      const value = keyValue(m.value, width);
      return (v) => v === value;
    }
    case 'range': {
      const low = keyValue(m.low, width);
      const high = keyValue(m.high, width);
      return (v) => v >= low && v <= high;
    }
    case 'lpm':
    case 'ternary': {
      const mask = m.kind === 'lpm' ? prefixMask(width, m.prefixLength) : m.mask;
      if (big) {
        return (v) => ((v as bigint) & mask) === m.value;
      }
      const maskHi = Number(mask >> 32n);
      const maskLo = Number(mask & 0xffffffffn);
      const valueHi = Number(m.value >> 32n);
      const valueLo = Number(m.value & 0xffffffffn);
      if (width <= 32) return (v) => ((v as number) & maskLo) >>> 0 === valueLo;
      return (v) =>
        ((v as number) & maskLo) >>> 0 === valueLo &&
        (Math.floor((v as number) / 2 ** 32) & maskHi) >>> 0 === valueHi;
    }
  }
}

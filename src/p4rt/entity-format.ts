import { bytesToMac, numberToIpv4 } from '../wire/addresses.ts';
import { fixedWidthBytes } from './bytestring.ts';
import type { MatchValue, NamedAction, NamedTableEntry, Value } from './entity-codec.ts';
import type { P4InfoIndex } from './p4info-index.ts';

/**
 * Entities as one readable line each, for status output and logs: names by alias,
 * 32-bit address fields as dotted IPv4, 48-bit MAC fields as MACs, the rest in decimal.
 */

export function formatValue(name: string, bitwidth: number, value: Value): string {
  const big = BigInt(value);
  if (bitwidth === 32 && /addr|ip/i.test(name)) return numberToIpv4(Number(big));
  if (bitwidth === 48 && /mac/i.test(name)) return bytesToMac(fixedWidthBytes(big, 48));
  return big.toString();
}

function formatMatch(name: string, bitwidth: number, match: MatchValue): string {
  const f = (v: Value): string => formatValue(name, bitwidth, v);
  switch (match.kind) {
    case 'exact':
    case 'optional':
      return `${name}=${f(match.value)}`;
    case 'lpm':
      return `${name}=${f(match.value)}/${match.prefixLen}`;
    case 'ternary':
      return `${name}=${f(match.value)}&&&${f(match.mask)}`;
    case 'range':
      return `${name}=${f(match.low)}..${f(match.high)}`;
  }
}

export function formatAction(action: NamedAction, index: P4InfoIndex): string {
  const info = index.action(action.name);
  const params = info.params
    .filter((param) => action.params[param.name] !== undefined)
    .map(
      (param) =>
        `${param.name}=${formatValue(param.name, param.bitwidth, action.params[param.name]!)}`,
    );
  return `${info.alias}(${params.join(', ')})`;
}

export function formatTableEntry(entry: NamedTableEntry, index: P4InfoIndex): string {
  const table = index.table(entry.table);
  const match = table.matchFields
    .filter((field) => entry.match[field.name] !== undefined)
    .map((field) => {
      const given = entry.match[field.name]!;
      const value: MatchValue = typeof given === 'object' ? given : { kind: 'exact', value: given };
      return formatMatch(field.name, field.bitwidth, value);
    });
  const key = entry.isDefaultAction ? '(default)' : match.length > 0 ? match.join(' ') : '(any)';
  const priority = entry.priority ? ` priority ${entry.priority}` : '';
  const action = entry.action;
  let target = '(no action)';
  if (action?.kind === 'action') target = formatAction(action.action, index);
  else if (action?.kind === 'group') target = `group ${action.groupId}`;
  else if (action?.kind === 'member') target = `member ${action.memberId}`;
  else if (action?.kind === 'actionSet') {
    target = `{${action.actions.map((a) => `${formatAction(a.action, index)} x${a.weight}`).join(', ')}}`;
  }
  return `${key}${priority} -> ${target}`;
}

import fs from 'node:fs';
import type { MessageTypeDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { p4RuntimePackageDefinition } from '../../src/p4rt/schema.ts';
import { decodeWire } from '../support/p4runtime-wire.ts';
import {
  TextFormatError,
  parseP4InfoText,
  parseTextFormat,
  printTextFormat,
} from '../../src/p4rt/text-format.ts';

// A P4Info in the form p4c writes for a v1model program (a cut-down Talaria pipeline).
const P4INFO_TEXT = String.raw`# proto-file: p4/config/v1/p4info.proto
# proto-message: p4.config.v1.P4Info

pkg_info {
  arch: "v1model"
}
tables {
  preamble {
    id: 37379873
    name: "TalariaIngress.frontends"
    alias: "frontends"
  }
  match_fields {
    id: 1
    name: "vip_addr"
    bitwidth: 32
    match_type: EXACT
  }
  match_fields {
    id: 2
    name: "protocol"
    bitwidth: 8
    match_type: EXACT
  }
  match_fields {
    id: 3
    name: "vip_port"
    bitwidth: 16
    match_type: EXACT
  }
  action_refs {
    id: 20602657
  }
  action_refs {
    id: 21919250
    annotations: "@defaultonly"
    scope: DEFAULT_ONLY
  }
  initial_default_action {
    action_id: 21919250
    arguments {
      param_id: 1
      value: "\000\001"
    }
  }
  direct_resource_ids: 322592545
  size: 1024
}
tables {
  preamble {
    id: 35392382
    name: "TalariaIngress.l3_forward"
    alias: "l3_forward"
  }
  match_fields {
    id: 1
    name: "dst_addr"
    bitwidth: 32
    match_type: LPM
  }
  action_refs {
    id: 18615166
  }
  const_default_action_id: 21919250
  size: 4096
  implementation_id: 0  # no action profile
}
actions {
  preamble {
    id: 20602657
    name: "TalariaIngress.set_service"
    alias: "set_service"
  }
  params {
    id: 1
    name: "service_id"
    bitwidth: 32
  }
}
actions {
  preamble {
    id: 18615166
    name: "TalariaIngress.forward_to_host"
    alias: "forward_to_host"
    annotations: "@brief(\"keeps the \\\"cookie\\\" header\")"
  }
  params { id: 1 name: "port" bitwidth: 9 }
  params { id: 2 name: "smac" bitwidth: 48 }
  params { id: 3 name: "dmac" bitwidth: 48 }
}
actions {
  preamble {
    id: 21919250
    name: "TalariaIngress.drop_no_route"
    alias: "drop_no_route"
  }
  params {
    id: 1
    name: "reason"
    bitwidth: 16
  }
}
action_profiles {
  preamble {
    id: 289038113
    name: "TalariaIngress.backend_selector"
    alias: "backend_selector"
  }
  table_ids: 35392383
  with_selector: true
  size: 65536
  max_group_size: 256
}
counters {
  preamble {
    id: 305815329
    name: "TalariaIngress.drop_counter"
    alias: "drop_counter"
  }
  spec {
    unit: BOTH
  }
  size: 32
}
direct_counters {
  preamble {
    id: 322592545
    name: "TalariaIngress.frontend_counter"
    alias: "frontend_counter"
  }
  spec {
    unit: BOTH
  }
  direct_table_id: 37379873
}
controller_packet_metadata {
  preamble {
    id: 70934305
    name: "packet_in"
    alias: "packet_in"
    annotations: "@controller_header(\"packet_in\")"
  }
  metadata {
    id: 1
    name: "ingress_port"
    bitwidth: 9
  }
}
digests {
  preamble {
    id: 389701409
    name: "new_flow_t"
    alias: "new_flow_t"
  }
  type_spec {
    struct {
      name: "new_flow_t"
    }
  }
}
type_info {
  structs {
    key: "new_flow_t"
    value {
      members {
        name: "client_addr"
        type_spec {
          bitstring {
            bit {
              bitwidth: 32
            }
          }
        }
      }
    }
  }
  serializable_enums {
    key: "DropReason"
    value {
      underlying_type {
        bitwidth: 8
      }
      members {
        name: "NO_ROUTE"
        value: "\001"
      }
    }
  }
}
`;

function parseError(typeName: string, text: string): TextFormatError {
  try {
    parseTextFormat(typeName, text);
  } catch (error) {
    if (error instanceof TextFormatError) return error;
    throw error;
  }
  throw new Error('expected a TextFormatError');
}

describe('parseP4InfoText on a p4c-style P4Info', () => {
  const p4info = parseP4InfoText(P4INFO_TEXT);

  it('reads nested messages, repeated fields and enums by name', () => {
    expect(p4info.pkgInfo).toEqual({ arch: 'v1model' });
    expect(p4info.tables?.map((t) => t.preamble?.name)).toEqual([
      'TalariaIngress.frontends',
      'TalariaIngress.l3_forward',
    ]);
    expect(p4info.tables?.[0]?.matchFields?.[2]).toEqual({
      id: 3,
      name: 'vip_port',
      bitwidth: 16,
      matchType: 'EXACT',
      match: 'matchType',
    });
    expect(p4info.tables?.[0]?.actionRefs?.[1]).toEqual({
      id: 21919250,
      annotations: ['@defaultonly'],
      scope: 'DEFAULT_ONLY',
    });
    expect(p4info.tables?.[1]?.matchFields?.[0]?.matchType).toBe('LPM');
    expect(p4info.counters?.[0]?.spec?.unit).toBe('BOTH');
  });

  it('gives 64-bit integers as strings, bytes as Buffer, and unescapes strings', () => {
    expect(p4info.tables?.[0]?.size).toBe('1024');
    expect(p4info.actionProfiles?.[0]?.size).toBe('65536');
    expect(p4info.tables?.[0]?.initialDefaultAction?.arguments?.[0]?.value).toEqual(
      Buffer.from([0, 1]),
    );
    expect(p4info.actions?.[1]?.preamble?.annotations).toEqual([
      '@brief("keeps the \\"cookie\\" header")',
    ]);
    expect(p4info.tables?.[1]?.implementationId).toBe(0);
  });

  it('reads map fields into objects keyed by the map key', () => {
    expect(p4info.typeInfo?.structs?.['new_flow_t']?.members?.[0]).toEqual({
      name: 'client_addr',
      typeSpec: {
        typeSpec: 'bitstring',
        bitstring: { typeSpec: 'bit', bit: { bitwidth: 32 } },
      },
    });
    expect(p4info.typeInfo?.serializableEnums?.['DropReason']?.members?.[0]?.value).toEqual(
      Buffer.from([1]),
    );
  });

  it('has the shape proto-loader decodes from the wire', () => {
    const codec = p4RuntimePackageDefinition()['p4.config.v1.P4Info'] as MessageTypeDefinition<
      object,
      object
    >;
    expect(codec.deserialize(codec.serialize(p4info))).toEqual(p4info);
  });

  it('prints text that parses back to the same object', () => {
    const printed = printTextFormat('p4.config.v1.P4Info', p4info);
    expect(parseP4InfoText(printed)).toEqual(p4info);
  });
});

describe('parseTextFormat', () => {
  it('resolves octal, hex, simple and unicode escapes', () => {
    const parsed = parseTextFormat(
      'p4.v1.PacketMetadata',
      String.raw`value: "\101\x42\n\"\\\377\0" 'z\''`,
    );
    expect(parsed).toEqual({
      value: Buffer.from([0x41, 0x42, 0x0a, 0x22, 0x5c, 0xff, 0, 0x7a, 0x27]),
    });
    expect(parseTextFormat('p4.v1.Role', String.raw`name: "caf\303\251 \u00e9 é"`)).toEqual({
      name: 'café é é',
    });
  });

  it('reads decimal, hex, octal and negative integers within range', () => {
    expect(
      parseTextFormat('p4.v1.TableEntry', 'table_id: 0x02000001 priority: -7 idle_timeout_ns: 010'),
    ).toEqual({ tableId: 0x02000001, priority: -7, idleTimeoutNs: '8' });
    expect(parseTextFormat('p4.v1.Uint128', 'high: 18446744073709551615')).toEqual({
      high: '18446744073709551615',
    });
  });

  it('accepts angle brackets, list syntax, separators and enum numbers', () => {
    expect(
      parseTextFormat(
        'p4.config.v1.ActionProfile',
        'preamble < id: 1; name: "p" >, table_ids: [1, 2] table_ids: 3 sum_of_weights {}',
      ),
    ).toEqual({
      preamble: { id: 1, name: 'p' },
      tableIds: [1, 2, 3],
      sumOfWeights: {},
      selectorSizeSemantics: 'sumOfWeights',
    });
    expect(parseTextFormat('p4.v1.Update', 'type: 2')).toEqual({ type: 'MODIFY' });
  });

  it.each([
    [
      'an unknown field',
      'p4.v1.TableEntry',
      'table_id: 1\n  tabel: 2',
      2,
      3,
      "p4.v1.TableEntry has no field 'tabel'",
    ],
    ['a missing colon', 'p4.v1.TableEntry', 'table_id 1', 1, 10, "expected ':' after 'table_id'"],
    ['an unterminated string', 'p4.v1.Role', 'name: "abc', 1, 7, 'unterminated string'],
    [
      'a repeated singular field',
      'p4.v1.Role',
      'name: "a"\nname: "b"',
      2,
      1,
      "field 'name' is set more than once",
    ],
    [
      'two members of one oneof',
      'p4.v1.FieldMatch',
      'exact {}\nlpm {}',
      2,
      1,
      "'lpm' and 'exact' are both in oneof 'fieldMatchType'",
    ],
    [
      'an unknown enum value',
      'p4.v1.Update',
      'type: UPSERT',
      1,
      7,
      "'UPSERT' is not a value of enum p4.v1.Update.Type",
    ],
    [
      'an int32 out of range',
      'p4.v1.TableEntry',
      'priority: 2147483648',
      1,
      11,
      '2147483648 is out of range for int32',
    ],
    [
      'a negative unsigned value',
      'p4.v1.TableEntry',
      'table_id: -1',
      1,
      11,
      '-1 is out of range for uint32',
    ],
    [
      'an unclosed message',
      'p4.v1.TableEntry',
      'action {\n  action { action_id: 1 }',
      2,
      26,
      "expected '}' before end of input",
    ],
    ['a bad escape', 'p4.v1.Role', 'name: "a\\qb"', 1, 9, "unknown escape '\\q' in string"],
    ['a number for a string', 'p4.v1.Role', 'name: 5', 1, 7, "expected a quoted string for 'name'"],
  ])('reports %s with its line and column', (_, typeName, text, line, column, message) => {
    const error = parseError(typeName, text);
    expect({ line: error.line, column: error.column, message: error.message }).toEqual({
      line,
      column,
      message: `line ${line}, column ${column}: ${message}`,
    });
  });
});

describe('printTextFormat', () => {
  it('prints one field per line, two-space indented, bytes with octal escapes', () => {
    const text = printTextFormat('p4.v1.TableEntry', {
      tableId: 33554433,
      match: [
        {
          fieldId: 1,
          fieldMatchType: 'lpm',
          lpm: { value: Buffer.from([10, 0, 0x22, 0xfe]), prefixLen: 8 },
        },
      ],
      action: { type: 'action', action: { actionId: 7, params: [] } },
      idleTimeoutNs: '1000',
    });
    expect(text).toBe(
      [
        'table_id: 33554433',
        'match {',
        '  field_id: 1',
        '  lpm {',
        '    value: "\\n\\000\\"\\376"',
        '    prefix_len: 8',
        '  }',
        '}',
        'action {',
        '  action {',
        '    action_id: 7',
        '  }',
        '}',
        'idle_timeout_ns: 1000',
        '',
      ].join('\n'),
    );
  });

  it('rejects a key that is not a field of the message', () => {
    expect(() => printTextFormat('p4.v1.Role', { nmae: 'x' })).toThrow(
      "Role: p4.v1.Role has no field 'nmae'",
    );
  });
});

const PROJECT_P4INFO = new URL('../../p4/build/talaria.p4info.txtpb', import.meta.url);

describe.skipIf(!fs.existsSync(PROJECT_P4INFO))(
  'the project P4Info (p4/build/talaria.p4info.txtpb, skipped until the P4 build wrote it)',
  () => {
    it('parses and names the Talaria tables', () => {
      const p4info = parseP4InfoText(fs.readFileSync(PROJECT_P4INFO, 'utf8'));
      const tables = p4info.tables?.map((t) => t.preamble?.name) ?? [];
      expect(tables).toContain('TalariaIngress.frontends');
      expect(tables).toContain('TalariaIngress.backends');
    });
  },
);

describe("parseP4InfoText against p4c's own binary encoding of the same P4Info", () => {
  it('reads the conformance fixture as p4c wrote it in binary', () => {
    const fixture = (name: string) =>
      fs.readFileSync(new URL(`../support/conformance/fixture/${name}`, import.meta.url));
    // Decoded with the tests' reading of proto/, not with src/p4rt/schema.ts.
    const binary = decodeWire('p4.config.v1.P4Info', fixture('conformance.p4info.bin'));
    expect(parseP4InfoText(fixture('conformance.p4info.txtpb').toString('utf8'))).toEqual(binary);
  });
});

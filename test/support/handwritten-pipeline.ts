/**
 * A small v1model program written by hand in the BMv2 JSON format (the shapes p4c emits),
 * to pin the interpreter's semantics one construct at a time: parser select and errors,
 * LPM, an action selector, direct and indexed counters, csum16 update, mark_to_drop, jumps.
 */
const field = (h: string, f: string) => ({ type: 'field', value: [h, f] });
const hex = (v: number | bigint) => ({ type: 'hexstr', value: `0x${v.toString(16)}` });
const param = (i: number) => ({ type: 'runtime_data', value: i });
const expr = (op: string, left: unknown, right: unknown) => ({
  type: 'expression',
  value: { op, left, right },
});

export function handwrittenProgram() {
  return {
    __meta__: { version: [2, 23], compiler: 'hand-written' },
    header_types: [
      {
        name: 'standard_metadata',
        id: 0,
        fields: [
          ['ingress_port', 9],
          ['egress_spec', 9],
          ['egress_port', 9],
          ['instance_type', 32],
          ['packet_length', 32],
          ['mcast_grp', 16],
          ['checksum_error', 1],
          ['parser_error', 32],
          ['_padding', 4],
        ],
      },
      {
        name: 'meta_t',
        id: 1,
        fields: [
          ['hits', 32],
          ['tmp', 16],
        ],
      },
      {
        name: 'ethernet_t',
        id: 2,
        fields: [
          ['dst', 48],
          ['src', 48],
          ['ether_type', 16],
        ],
      },
      {
        name: 'ipv4_t',
        id: 3,
        fields: [
          ['version', 4],
          ['ihl', 4],
          ['tos', 8],
          ['total_len', 16],
          ['id', 16],
          ['flags', 3],
          ['frag', 13],
          ['ttl', 8],
          ['protocol', 8],
          ['checksum', 16],
          ['src', 32],
          ['dst', 32],
        ],
      },
    ],
    headers: [
      { name: 'standard_metadata', id: 0, header_type: 'standard_metadata', metadata: true },
      { name: 'meta', id: 1, header_type: 'meta_t', metadata: true },
      { name: 'ethernet', id: 2, header_type: 'ethernet_t', metadata: false },
      { name: 'ipv4', id: 3, header_type: 'ipv4_t', metadata: false },
    ],
    header_stacks: [],
    errors: [
      ['NoError', 0],
      ['PacketTooShort', 1],
      ['NoMatch', 2],
      ['StackOutOfBounds', 3],
      ['HeaderTooShort', 4],
      ['ParserTimeout', 5],
      ['ParserInvalidArgument', 6],
      ['BadIhl', 7],
    ],
    parsers: [
      {
        name: 'parser',
        id: 0,
        init_state: 'start',
        parse_states: [
          {
            name: 'start',
            id: 0,
            parser_ops: [{ op: 'extract', parameters: [{ type: 'regular', value: 'ethernet' }] }],
            transition_key: [field('ethernet', 'ether_type')],
            transitions: [
              { type: 'hexstr', value: '0x0800', mask: null, next_state: 'parse_ipv4' },
              { type: 'default', value: null, mask: null, next_state: null },
            ],
          },
          {
            name: 'parse_ipv4',
            id: 1,
            parser_ops: [
              { op: 'extract', parameters: [{ type: 'regular', value: 'ipv4' }] },
              {
                op: 'verify',
                parameters: [
                  expr('==', field('ipv4', 'ihl'), hex(5)),
                  { type: 'hexstr', value: '0x7' },
                ],
              },
            ],
            transition_key: [],
            transitions: [{ type: 'default', value: null, mask: null, next_state: null }],
          },
        ],
      },
    ],
    parse_vsets: [],
    deparsers: [{ name: 'deparser', id: 0, order: ['ethernet', 'ipv4'], primitives: [] }],
    meter_arrays: [],
    counter_arrays: [
      { name: 'drops', id: 0, is_direct: false, size: 4 },
      { name: 'port_counter', id: 1, is_direct: true, binding: 'egress_count', size: 16 },
    ],
    register_arrays: [{ name: 'last_ttl', id: 0, bitwidth: 8, size: 2 }],
    calculations: [
      {
        name: 'ipv4_checksum',
        id: 0,
        algo: 'csum16',
        input: [
          field('ipv4', 'version'),
          field('ipv4', 'ihl'),
          field('ipv4', 'tos'),
          field('ipv4', 'total_len'),
          field('ipv4', 'id'),
          field('ipv4', 'flags'),
          field('ipv4', 'frag'),
          field('ipv4', 'ttl'),
          field('ipv4', 'protocol'),
          field('ipv4', 'src'),
          field('ipv4', 'dst'),
        ],
      },
    ],
    learn_lists: [],
    actions: [
      { name: 'NoAction', id: 0, runtime_data: [], primitives: [] },
      {
        name: 'Ingress.drop',
        id: 1,
        runtime_data: [],
        primitives: [
          { op: 'mark_to_drop', parameters: [{ type: 'header', value: 'standard_metadata' }] },
          { op: 'count', parameters: [{ type: 'counter_array', value: 'drops' }, hex(1)] },
        ],
      },
      {
        name: 'Ingress.route',
        id: 2,
        runtime_data: [
          { name: 'port', bitwidth: 9 },
          { name: 'dmac', bitwidth: 48 },
        ],
        primitives: [
          { op: 'assign', parameters: [field('standard_metadata', 'egress_spec'), param(0)] },
          { op: 'assign', parameters: [field('ethernet', 'src'), field('ethernet', 'dst')] },
          { op: 'assign', parameters: [field('ethernet', 'dst'), param(1)] },
          {
            op: 'assign',
            parameters: [
              field('ipv4', 'ttl'),
              expr('&', expr('+', field('ipv4', 'ttl'), hex(0xff)), hex(0xff)),
            ],
          },
          // if (ttl == 0) mark_to_drop: p4c's jumps inside an action.
          {
            op: '_jump_if_zero',
            parameters: [
              {
                type: 'expression',
                value: { op: 'b2d', left: null, right: expr('==', field('ipv4', 'ttl'), hex(0)) },
              },
              hex(7),
            ],
          },
          { op: 'mark_to_drop', parameters: [{ type: 'header', value: 'standard_metadata' }] },
          { op: 'count', parameters: [{ type: 'counter_array', value: 'drops' }, hex(2)] },
          {
            op: 'register_write',
            parameters: [
              { type: 'register_array', value: 'last_ttl' },
              hex(0),
              field('ipv4', 'ttl'),
            ],
          },
        ],
      },
      {
        name: 'Ingress.pick',
        id: 3,
        runtime_data: [{ name: 'port', bitwidth: 9 }],
        primitives: [
          { op: 'assign', parameters: [field('standard_metadata', 'egress_spec'), param(0)] },
        ],
      },
      {
        name: 'Egress.count_it',
        id: 4,
        runtime_data: [],
        primitives: [
          {
            op: 'assign',
            parameters: [
              field('meta', 'hits'),
              expr('&', expr('+', field('meta', 'hits'), hex(1)), hex(0xffffffff)),
            ],
          },
        ],
      },
      {
        name: 'Ingress.hash_it',
        id: 5,
        runtime_data: [],
        primitives: [
          {
            op: 'modify_field_with_hash_based_offset',
            parameters: [
              field('meta', 'tmp'),
              hex(0),
              { type: 'calculation', value: 'ipv4_checksum' },
              hex(0x10000),
            ],
          },
        ],
      },
    ],
    pipelines: [
      {
        name: 'ingress',
        id: 0,
        init_table: 'node_2',
        tables: [
          {
            name: 'Ingress.routes',
            id: 0,
            key: [{ match_type: 'lpm', name: 'dst_addr', target: ['ipv4', 'dst'], mask: null }],
            match_type: 'lpm',
            type: 'simple',
            max_size: 4,
            with_counters: false,
            support_timeout: false,
            direct_meters: null,
            action_ids: [2, 1],
            actions: ['Ingress.route', 'Ingress.drop'],
            base_default_next: 'Ingress.ecmp',
            next_tables: { 'Ingress.route': 'Ingress.ecmp', 'Ingress.drop': null },
            default_entry: {
              action_id: 1,
              action_const: true,
              action_data: [],
              action_entry_const: true,
            },
          },
          {
            name: 'Ingress.ecmp',
            id: 1,
            key: [{ match_type: 'exact', name: 'ttl', target: ['ipv4', 'ttl'], mask: null }],
            match_type: 'exact',
            type: 'indirect_ws',
            action_profile: 'Ingress.selector',
            max_size: 8,
            with_counters: false,
            support_timeout: false,
            direct_meters: null,
            action_ids: [3, 0],
            actions: ['Ingress.pick', 'NoAction'],
            base_default_next: 'tbl_hash',
            next_tables: { 'Ingress.pick': 'tbl_hash', NoAction: 'tbl_hash' },
          },
          {
            name: 'tbl_hash',
            id: 2,
            key: [],
            match_type: 'exact',
            type: 'simple',
            max_size: 1024,
            with_counters: false,
            support_timeout: false,
            direct_meters: null,
            action_ids: [5],
            actions: ['Ingress.hash_it'],
            base_default_next: null,
            next_tables: { 'Ingress.hash_it': null },
            default_entry: {
              action_id: 5,
              action_const: true,
              action_data: [],
              action_entry_const: true,
            },
          },
          {
            name: 'Ingress.classify',
            id: 3,
            key: [
              {
                match_type: 'ternary',
                name: 'ether_type',
                target: ['ethernet', 'ether_type'],
                mask: null,
              },
            ],
            match_type: 'ternary',
            type: 'simple',
            max_size: 4,
            with_counters: false,
            support_timeout: false,
            direct_meters: null,
            action_ids: [1, 3],
            actions: ['Ingress.drop', 'Ingress.pick'],
            base_default_next: null,
            next_tables: { __HIT__: null, __MISS__: null },
            default_entry: {
              action_id: 3,
              action_const: false,
              action_data: ['0x9'],
              action_entry_const: false,
            },
            entries: [
              {
                match_key: [{ match_type: 'ternary', key: '0x86dd', mask: '0xffff' }],
                action_entry: { action_id: 1, action_data: [] },
                priority: 1,
              },
              {
                match_key: [{ match_type: 'ternary', key: '0x8600', mask: '0xff00' }],
                action_entry: { action_id: 3, action_data: ['0x7'] },
                priority: 2,
              },
            ],
          },
        ],
        action_profiles: [
          {
            name: 'Ingress.selector',
            id: 0,
            max_size: 16,
            selector: {
              algo: 'crc16',
              input: [field('ipv4', 'src'), field('ipv4', 'dst'), field('ipv4', 'protocol')],
            },
          },
        ],
        conditionals: [
          {
            name: 'node_2',
            id: 0,
            expression: {
              type: 'expression',
              value: { op: 'd2b', left: null, right: field('ipv4', '$valid$') },
            },
            true_next: 'Ingress.routes',
            false_next: 'Ingress.classify',
          },
        ],
      },
      {
        name: 'egress',
        id: 1,
        init_table: 'egress_count',
        tables: [
          {
            name: 'egress_count',
            id: 4,
            key: [
              {
                match_type: 'exact',
                name: 'port',
                target: ['standard_metadata', 'egress_port'],
                mask: null,
              },
            ],
            match_type: 'exact',
            type: 'simple',
            max_size: 16,
            with_counters: true,
            support_timeout: false,
            direct_meters: null,
            action_ids: [4, 0],
            actions: ['Egress.count_it', 'NoAction'],
            base_default_next: null,
            next_tables: { 'Egress.count_it': null, NoAction: null },
            default_entry: {
              action_id: 0,
              action_const: false,
              action_data: [],
              action_entry_const: false,
            },
          },
        ],
        action_profiles: [],
        conditionals: [],
      },
    ],
    checksums: [
      {
        name: 'cksum',
        id: 0,
        target: ['ipv4', 'checksum'],
        type: 'generic',
        calculation: 'ipv4_checksum',
        verify: true,
        update: true,
        if_cond: {
          type: 'expression',
          value: { op: 'd2b', left: null, right: field('ipv4', '$valid$') },
        },
      },
    ],
    force_arith: [],
    extern_instances: [],
    field_aliases: [],
  };
}

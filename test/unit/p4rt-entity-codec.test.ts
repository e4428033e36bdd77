import { describe, expect, it } from 'vitest';
import { EntityCodec } from '../../src/p4rt/entity-codec.ts';
import type { Entity__Output } from '../../src/p4rt/generated/p4/v1/Entity.ts';
import { P4InfoIndex, P4InfoLookupError } from '../../src/p4rt/p4info-index.ts';
import { decodeMessage, encodeMessage } from '../../src/p4rt/schema.ts';
import { parseP4InfoText } from '../../src/p4rt/text-format.ts';

// A P4Info written for this test: an exact table, an LPM table behind no profile, a
// table implemented by an action selector, an indexed counter.
const P4INFO = parseP4InfoText(`
tables {
  preamble { id: 33554433 name: "Ingress.vips" alias: "vips" }
  match_fields { id: 1 name: "vip_addr" bitwidth: 32 match_type: EXACT }
  match_fields { id: 2 name: "vip_port" bitwidth: 16 match_type: EXACT }
  action_refs { id: 16777217 }
  action_refs { id: 16777219 annotations: "@defaultonly" scope: DEFAULT_ONLY }
  size: 64
}
tables {
  preamble { id: 33554434 name: "Ingress.routes" alias: "routes" }
  match_fields { id: 1 name: "dst_addr" bitwidth: 32 match_type: LPM }
  action_refs { id: 16777218 }
  size: 16
}
tables {
  preamble { id: 33554435 name: "Ingress.pick" alias: "pick" }
  match_fields { id: 1 name: "service_id" bitwidth: 32 match_type: EXACT }
  action_refs { id: 16777220 }
  implementation_id: 285212673
  size: 64
}
actions { preamble { id: 16777217 name: "Ingress.set_service" alias: "set_service" }
  params { id: 1 name: "service_id" bitwidth: 32 } }
actions { preamble { id: 16777218 name: "Ingress.forward" alias: "forward" }
  params { id: 1 name: "port" bitwidth: 9 }
  params { id: 2 name: "dmac" bitwidth: 48 } }
actions { preamble { id: 16777219 name: "NoAction" alias: "NoAction" } }
actions { preamble { id: 16777220 name: "Ingress.pick_slot" alias: "pick_slot" }
  params { id: 1 name: "slot" bitwidth: 16 } }
action_profiles {
  preamble { id: 285212673 name: "Ingress.selector" alias: "selector" }
  table_ids: 33554435
  with_selector: true
  size: 128
  max_group_size: 8
}
counters {
  preamble { id: 302120961 name: "Ingress.drops" alias: "drops" }
  spec { unit: BOTH }
  size: 32
}
`);

/** What a server would send back: the message through the wire and decoded again. */
function overTheWire(entity: object): Entity__Output {
  return decodeMessage<Entity__Output>('p4.v1.Entity', encodeMessage('p4.v1.Entity', entity));
}

describe('P4InfoIndex', () => {
  const index = new P4InfoIndex(P4INFO);

  it('finds entities by full name and by alias', () => {
    expect(index.table('Ingress.vips').id).toBe(33554433);
    expect(index.table('vips').name).toBe('Ingress.vips');
    expect(index.action('pick_slot').params.map((p) => [p.name, p.bitwidth])).toEqual([
      ['slot', 16],
    ]);
    expect(index.table('pick').implementation?.name).toBe('Ingress.selector');
    expect(index.actionProfile('selector')).toMatchObject({
      withSelector: true,
      size: 128,
      maxGroupSize: 8,
    });
    expect(index.counter('Ingress.drops')).toMatchObject({ unit: 'BOTH', size: 32 });
  });

  it('names what is missing and what exists', () => {
    expect(() => index.table('Ingress.nope')).toThrowError(
      new P4InfoLookupError(
        'table "Ingress.nope" is not in the P4Info (Ingress.vips, Ingress.routes, Ingress.pick)',
      ),
    );
    expect(() => index.table('vips').matchField('port')).toThrow(
      'table Ingress.vips has no "port" (vip_addr, vip_port)',
    );
    expect(() => index.table('vips').action('Ingress.forward')).toThrow(
      'table Ingress.vips has no action "Ingress.forward" (Ingress.set_service, NoAction)',
    );
  });
});

describe('EntityCodec', () => {
  const codec = new EntityCodec(new P4InfoIndex(P4INFO));

  it('encodes a table entry by name with canonical bytestrings', () => {
    const entity = codec.tableEntry({
      table: 'Ingress.vips',
      match: { vip_addr: 0x0a600001n, vip_port: 80 },
      action: {
        kind: 'action',
        action: { name: 'Ingress.set_service', params: { service_id: 7 } },
      },
    });
    expect(entity.tableEntry).toEqual({
      tableId: 33554433,
      match: [
        { fieldId: 1, exact: { value: Buffer.from([0x0a, 0x60, 0x00, 0x01]) } },
        { fieldId: 2, exact: { value: Buffer.from([80]) } },
      ],
      action: { action: { actionId: 16777217, params: [{ paramId: 1, value: Buffer.from([7]) }] } },
    });
  });

  it('round-trips entries, members and groups through the wire', () => {
    const entries = [
      codec.tableEntry({
        table: 'routes',
        match: { dst_addr: { kind: 'lpm', value: 0x0af40100n, prefixLen: 24 } },
        action: {
          kind: 'action',
          action: { name: 'forward', params: { port: 511, dmac: 0xaabbccddeeffn } },
        },
      }),
      codec.tableEntry({
        table: 'pick',
        match: { service_id: 3 },
        action: { kind: 'group', groupId: 3 },
      }),
      codec.tableEntry({
        table: 'pick',
        match: { service_id: 4 },
        action: {
          kind: 'actionSet',
          actions: [1, 2].map((slot) => ({
            action: { name: 'Ingress.pick_slot', params: { slot } },
            weight: 1,
          })),
        },
      }),
      codec.member({
        actionProfile: 'selector',
        memberId: 9,
        action: { name: 'pick_slot', params: { slot: 8 } },
      }),
      codec.group({ actionProfile: 'selector', groupId: 3, members: [{ memberId: 9, weight: 1 }] }),
    ];
    const decoded = entries.map((entity) => codec.decode(overTheWire(entity)));
    expect(decoded).toEqual([
      {
        kind: 'tableEntry',
        entry: {
          table: 'Ingress.routes',
          match: { dst_addr: { kind: 'lpm', value: 0x0af40100n, prefixLen: 24 } },
          action: {
            kind: 'action',
            action: { name: 'Ingress.forward', params: { port: 511n, dmac: 0xaabbccddeeffn } },
          },
        },
      },
      {
        kind: 'tableEntry',
        entry: {
          table: 'Ingress.pick',
          match: { service_id: { kind: 'exact', value: 3n } },
          action: { kind: 'group', groupId: 3 },
        },
      },
      {
        kind: 'tableEntry',
        entry: {
          table: 'Ingress.pick',
          match: { service_id: { kind: 'exact', value: 4n } },
          action: {
            kind: 'actionSet',
            actions: [1n, 2n].map((slot) => ({
              action: { name: 'Ingress.pick_slot', params: { slot } },
              weight: 1,
            })),
          },
        },
      },
      {
        kind: 'member',
        member: {
          actionProfile: 'Ingress.selector',
          memberId: 9,
          action: { name: 'Ingress.pick_slot', params: { slot: 8n } },
        },
      },
      {
        kind: 'group',
        group: {
          actionProfile: 'Ingress.selector',
          groupId: 3,
          members: [{ memberId: 9, weight: 1 }],
        },
      },
    ]);
  });

  it('decodes non-canonical values a server might send', () => {
    const padded = {
      tableEntry: {
        tableId: 33554433,
        match: [
          { fieldId: 1, exact: { value: Buffer.from([0x0a, 0, 0, 1]) } },
          { fieldId: 2, exact: { value: Buffer.from([0, 0, 0, 80]) } },
        ],
        action: {
          action: {
            actionId: 16777217,
            params: [{ paramId: 1, value: Buffer.from([0, 0, 0, 0, 5]) }],
          },
        },
      },
    };
    const decoded = codec.decode(overTheWire(padded));
    expect(decoded.kind === 'tableEntry' && decoded.entry.match.vip_port).toEqual({
      kind: 'exact',
      value: 80n,
    });
  });

  it('checks widths, kinds, missing fields and parameters by name', () => {
    const entry =
      (match: object, params: object = { service_id: 1 }) =>
      () =>
        codec.tableEntry({
          table: 'vips',
          match: match as never,
          action: { kind: 'action', action: { name: 'set_service', params: params as never } },
        });
    expect(entry({ vip_addr: 1, vip_port: 70000 })).toThrow(
      'Ingress.vips.vip_port: value 70000 does not fit in 16 bits',
    );
    expect(entry({ vip_addr: 1 })).toThrow('Ingress.vips: exact match field "vip_port" missing');
    expect(entry({ vip_addr: 1, vip_port: 1, extra: 1 })).toThrow(
      'table Ingress.vips has no "extra"',
    );
    expect(entry({ vip_addr: { kind: 'lpm', value: 1, prefixLen: 8 }, vip_port: 1 })).toThrow(
      'Ingress.vips.vip_addr: is EXACT, given a lpm match',
    );
    expect(entry({ vip_addr: 1, vip_port: 1 }, {})).toThrow(
      'action Ingress.set_service: parameter "service_id" missing',
    );
    expect(entry({ vip_addr: 1, vip_port: 1 }, { service_id: 1, color: 2 })).toThrow(
      'action Ingress.set_service has no "color" (service_id)',
    );
  });

  it("omits a /0 prefix (don't care) and refuses host bits beyond the prefix", () => {
    const route = (value: number, prefixLen: number) =>
      codec.tableEntry({
        table: 'routes',
        match: { dst_addr: { kind: 'lpm', value, prefixLen } },
        action: { kind: 'action', action: { name: 'forward', params: { port: 1, dmac: 1 } } },
      });
    expect(route(0, 0).tableEntry?.match).toEqual([]);
    expect(() => route(0x0a000001, 24)).toThrow(
      'Ingress.routes.dst_addr: value has bits set beyond /24',
    );
  });

  it('builds wildcard reads by name', () => {
    expect(codec.readTable('vips')).toEqual({ tableEntry: { tableId: 33554433 } });
    expect(codec.readAllTables()).toEqual({ tableEntry: { tableId: 0 } });
    expect(codec.readDefaultEntry('vips')).toEqual({
      tableEntry: { tableId: 33554433, isDefaultAction: true },
    });
    expect(codec.readMembers('selector')).toEqual({
      actionProfileMember: { actionProfileId: 285212673 },
    });
    expect(codec.readGroups('selector')).toEqual({
      actionProfileGroup: { actionProfileId: 285212673 },
    });
    expect(codec.readCounter('drops', 3)).toEqual({
      counterEntry: { counterId: 302120961, index: { index: 3 } },
    });
  });

  it('decodes counter cells', () => {
    const cell = codec.decode(
      overTheWire({
        counterEntry: {
          counterId: 302120961,
          index: { index: 9 },
          data: { packetCount: 4, byteCount: 256 },
        },
      }),
    );
    expect(cell).toEqual({
      kind: 'counter',
      cell: { counter: 'Ingress.drops', index: 9, packets: 4n, bytes: 256n },
    });
  });

  it('refuses ids the P4Info does not have', () => {
    expect(() => codec.decode(overTheWire({ tableEntry: { tableId: 42 } }))).toThrow(
      'table id 42 is not in the P4Info',
    );
  });
});

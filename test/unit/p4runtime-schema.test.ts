import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { MessageTypeDefinition, PackageDefinition } from '@grpc/proto-loader';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReadResponse } from '../../src/p4rt/generated/p4/v1/ReadResponse.ts';
import type { StreamMessageRequest } from '../../src/p4rt/generated/p4/v1/StreamMessageRequest.ts';
import type { WriteRequest } from '../../src/p4rt/generated/p4/v1/WriteRequest.ts';
import type { Status__Output } from '../../src/p4rt/generated/google/rpc/Status.ts';
import type { Error__Output } from '../../src/p4rt/generated/p4/v1/Error.ts';
import {
  decodeMessage,
  encodeMessage,
  packAny,
  p4RuntimePackageDefinition,
  p4RuntimeService,
  unpackAny,
} from '../../src/p4rt/schema.ts';

let definition: PackageDefinition;

beforeAll(() => {
  definition = p4RuntimePackageDefinition();
});

function messageDefinition(fullName: string): MessageTypeDefinition<object, object> {
  const found = definition[fullName];
  if (found === undefined || found.format !== 'Protocol Buffer 3 DescriptorProto') {
    throw new Error(`${fullName} is not a message in the loaded schema`);
  }
  return found as MessageTypeDefinition<object, object>;
}

interface FieldDescriptor {
  name: string;
  number: number;
}
interface EnumDescriptor {
  name: string;
  value: { name: string; number: number }[];
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  enumType: EnumDescriptor[];
}

const snakeToCamel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

// Field numbers as the P4Runtime specification v1.5.0 publishes them (message, field, number).
const SPEC_FIELD_NUMBERS: [string, string, number][] = [
  // p4/v1/p4runtime.proto
  ['p4.v1.WriteRequest', 'device_id', 1],
  ['p4.v1.WriteRequest', 'role_id', 2],
  ['p4.v1.WriteRequest', 'election_id', 3],
  ['p4.v1.WriteRequest', 'updates', 4],
  ['p4.v1.WriteRequest', 'atomicity', 5],
  ['p4.v1.WriteRequest', 'role', 6],
  ['p4.v1.ReadRequest', 'entities', 2],
  ['p4.v1.ReadRequest', 'role', 3],
  ['p4.v1.Entity', 'extern_entry', 1],
  ['p4.v1.Entity', 'table_entry', 2],
  ['p4.v1.Entity', 'counter_entry', 7],
  ['p4.v1.Entity', 'direct_counter_entry', 8],
  ['p4.v1.Entity', 'packet_replication_engine_entry', 9],
  ['p4.v1.Entity', 'digest_entry', 12],
  ['p4.v1.TableEntry', 'priority', 4],
  ['p4.v1.TableEntry', 'is_default_action', 8],
  ['p4.v1.TableEntry', 'idle_timeout_ns', 9],
  ['p4.v1.TableEntry', 'metadata', 11],
  ['p4.v1.TableEntry', 'meter_counter_data', 12],
  ['p4.v1.TableEntry', 'is_const', 13],
  ['p4.v1.FieldMatch', 'exact', 2],
  ['p4.v1.FieldMatch', 'lpm', 4],
  ['p4.v1.FieldMatch', 'range', 6],
  ['p4.v1.FieldMatch', 'optional', 7],
  ['p4.v1.FieldMatch', 'other', 100],
  ['p4.v1.FieldMatch.LPM', 'prefix_len', 2],
  ['p4.v1.Action.Param', 'param_id', 2],
  ['p4.v1.Action.Param', 'value', 3],
  ['p4.v1.Action', 'params', 4],
  ['p4.v1.TableAction', 'action_profile_action_set', 4],
  ['p4.v1.ActionProfileAction', 'watch_port', 4],
  ['p4.v1.ActionProfileGroup', 'max_size', 4],
  ['p4.v1.Replica', 'port', 3],
  ['p4.v1.Replica', 'backup_replicas', 4],
  ['p4.v1.StreamMessageResponse', 'idle_timeout_notification', 4],
  ['p4.v1.StreamMessageResponse', 'error', 6],
  ['p4.v1.MasterArbitrationUpdate', 'status', 4],
  ['p4.v1.Role', 'config', 2],
  ['p4.v1.Role', 'name', 3],
  ['p4.v1.SetForwardingPipelineConfigRequest', 'role', 6],
  ['p4.v1.ForwardingPipelineConfig', 'cookie', 3],
  ['p4.v1.Error', 'details', 5],
  ['p4.v1.CapabilitiesResponse', 'experimental', 999],
  // p4/v1/p4data.proto
  ['p4.v1.P4Data', 'header_union_stack', 9],
  ['p4.v1.P4Data', 'error', 11],
  ['p4.v1.P4Data', 'enum_value', 12],
  ['p4.v1.P4Varbit', 'bitwidth', 2],
  // p4/config/v1/p4info.proto
  ['p4.config.v1.P4Info', 'controller_packet_metadata', 9],
  ['p4.config.v1.P4Info', 'digests', 12],
  ['p4.config.v1.P4Info', 'externs', 100],
  ['p4.config.v1.P4Info', 'type_info', 200],
  ['p4.config.v1.PkgInfo', 'annotation_locations', 10],
  ['p4.config.v1.PkgInfo', 'platform_properties', 11],
  ['p4.config.v1.Preamble', 'annotation_locations', 7],
  ['p4.config.v1.Preamble', 'structured_annotations', 6],
  ['p4.config.v1.MatchField', 'other_match_type', 7],
  ['p4.config.v1.MatchField', 'type_name', 8],
  ['p4.config.v1.MatchField', 'annotation_locations', 10],
  ['p4.config.v1.Table', 'implementation_id', 6],
  ['p4.config.v1.Table', 'size', 8],
  ['p4.config.v1.Table', 'has_initial_entries', 11],
  ['p4.config.v1.Table', 'other_properties', 100],
  ['p4.config.v1.ActionRef', 'scope', 3],
  ['p4.config.v1.Action.Param', 'annotation_locations', 8],
  ['p4.config.v1.ActionProfile', 'sum_of_members', 7],
  ['p4.config.v1.ActionProfile', 'weights_disallowed', 8],
  ['p4.config.v1.DirectCounter', 'direct_table_id', 3],
  // p4/config/v1/p4types.proto
  ['p4.config.v1.P4TypeInfo', 'new_types', 7],
  ['p4.config.v1.P4DataTypeSpec', 'serializable_enum', 11],
  ['p4.config.v1.P4EnumTypeSpec.Member', 'structured_annotations', 3],
];

// proto-loader lists top-level messages; nested ones live in their parent's descriptor.
function messageDescriptor(fullName: string): MessageDescriptor {
  const parts = fullName.split('.');
  for (let split = parts.length; split > 0; split--) {
    const found = definition[parts.slice(0, split).join('.')];
    if (found?.format !== 'Protocol Buffer 3 DescriptorProto') continue;
    let descriptor = found.type as MessageDescriptor;
    for (const nested of parts.slice(split)) {
      const next = descriptor.nestedType.find((n) => n.name === nested);
      if (next === undefined) throw new Error(`${fullName}: no nested message ${nested}`);
      descriptor = next;
    }
    return descriptor;
  }
  throw new Error(`${fullName} is not a message in the loaded schema`);
}

describe('P4Runtime schema loaded by @grpc/proto-loader', () => {
  it('contains every file of the schema and its google imports', () => {
    for (const name of [
      'p4.v1.WriteRequest',
      'p4.v1.P4Data',
      'p4.config.v1.P4Info',
      'p4.config.v1.P4TypeInfo',
      'google.rpc.Status',
      'google.protobuf.Any',
    ]) {
      expect(messageDefinition(name).type).toBeDefined();
    }
  });

  it.each(SPEC_FIELD_NUMBERS)('%s.%s is field %i', (message, field, number) => {
    const descriptor = messageDescriptor(message);
    const found = descriptor.field.find((f) => f.name === snakeToCamel(field));
    expect(found, `${message}.${field} missing`).toBeDefined();
    expect(found?.number).toBe(number);
  });

  it.each([
    ['p4.v1.Update', 'Type', { UNSPECIFIED: 0, INSERT: 1, MODIFY: 2, DELETE: 3 }],
    [
      'p4.v1.SetForwardingPipelineConfigRequest',
      'Action',
      {
        UNSPECIFIED: 0,
        VERIFY: 1,
        VERIFY_AND_SAVE: 2,
        VERIFY_AND_COMMIT: 3,
        COMMIT: 4,
        RECONCILE_AND_COMMIT: 5,
      },
    ],
    [
      'p4.v1.WriteRequest',
      'Atomicity',
      { CONTINUE_ON_ERROR: 0, ROLLBACK_ON_ERROR: 1, DATAPLANE_ATOMIC: 2 },
    ],
    [
      'p4.config.v1.MatchField',
      'MatchType',
      { UNSPECIFIED: 0, EXACT: 2, LPM: 3, TERNARY: 4, RANGE: 5, OPTIONAL: 6 },
    ],
    [
      'p4.config.v1.P4Ids',
      'Prefix',
      {
        UNSPECIFIED: 0,
        ACTION: 0x01,
        TABLE: 0x02,
        VALUE_SET: 0x03,
        CONTROLLER_HEADER: 0x04,
        PSA_EXTERNS_START: 0x10,
        ACTION_PROFILE: 0x11,
        COUNTER: 0x12,
        DIRECT_COUNTER: 0x13,
        METER: 0x14,
        DIRECT_METER: 0x15,
        REGISTER: 0x16,
        DIGEST: 0x17,
        OTHER_EXTERNS_START: 0x80,
        MAX: 0xff,
      },
    ],
  ])('enum %s.%s has the spec values', (message, enumName, values) => {
    const descriptor = messageDescriptor(message);
    const found = descriptor.enumType.find((e) => e.name === enumName);
    expect(Object.fromEntries(found?.value.map((v) => [v.name, v.number]) ?? [])).toEqual(values);
  });

  it('has top-level enum p4.v1.SdnPort with the reserved port values', () => {
    const sdnPort = definition['p4.v1.SdnPort']?.type as EnumDescriptor;
    expect(Object.fromEntries(sdnPort.value.map((v) => [v.name, v.number >>> 0]))).toEqual({
      SDN_PORT_UNKNOWN: 0,
      SDN_PORT_MIN: 1,
      SDN_PORT_MAX: 0xfffffeff,
      SDN_PORT_RECIRCULATE: 0xfffffffa,
      SDN_PORT_CPU: 0xfffffffd,
    });
  });

  it('defines the P4Runtime service with its six RPCs and their streaming kinds', () => {
    const service = p4RuntimeService().service;
    const shape = Object.fromEntries(
      Object.entries(service).map(([name, method]) => [
        name,
        [method.path, method.requestStream, method.responseStream],
      ]),
    );
    expect(shape).toEqual({
      Write: ['/p4.v1.P4Runtime/Write', false, false],
      Read: ['/p4.v1.P4Runtime/Read', false, true],
      SetForwardingPipelineConfig: ['/p4.v1.P4Runtime/SetForwardingPipelineConfig', false, false],
      GetForwardingPipelineConfig: ['/p4.v1.P4Runtime/GetForwardingPipelineConfig', false, false],
      StreamChannel: ['/p4.v1.P4Runtime/StreamChannel', true, true],
      Capabilities: ['/p4.v1.P4Runtime/Capabilities', false, false],
    });
  });
});

describe('P4Runtime messages through encode/decode', () => {
  const roundTrip = (typeName: string, value: object) => {
    const codec = messageDefinition(typeName);
    return codec.deserialize(codec.serialize(value));
  };

  it('round-trips a WriteRequest with exact and LPM matches and an action with params', () => {
    const request: WriteRequest = {
      deviceId: '1',
      role: 'talaria',
      electionId: { high: '0', low: '7' },
      atomicity: 'ROLLBACK_ON_ERROR',
      updates: [
        {
          type: 'INSERT',
          entity: {
            tableEntry: {
              tableId: 0x02000001,
              match: [
                { fieldId: 1, exact: { value: Buffer.from([10, 96, 0, 10]) } },
                { fieldId: 2, lpm: { value: Buffer.from([10, 0, 0, 0]), prefixLen: 8 } },
              ],
              action: {
                action: {
                  actionId: 0x01000002,
                  params: [
                    { paramId: 1, value: Buffer.from([0x01, 0x00]) },
                    { paramId: 2, value: Buffer.from('001122334455', 'hex') },
                  ],
                },
              },
              idleTimeoutNs: '5000000000',
            },
          },
        },
      ],
    };
    expect(roundTrip('p4.v1.WriteRequest', request)).toEqual({
      deviceId: '1',
      role: 'talaria',
      electionId: { high: '0', low: '7' },
      atomicity: 'ROLLBACK_ON_ERROR',
      updates: [
        {
          type: 'INSERT',
          entity: {
            entity: 'tableEntry',
            tableEntry: {
              tableId: 0x02000001,
              match: [
                {
                  fieldId: 1,
                  fieldMatchType: 'exact',
                  exact: { value: Buffer.from([10, 96, 0, 10]) },
                },
                {
                  fieldId: 2,
                  fieldMatchType: 'lpm',
                  lpm: { value: Buffer.from([10, 0, 0, 0]), prefixLen: 8 },
                },
              ],
              action: {
                type: 'action',
                action: {
                  actionId: 0x01000002,
                  params: [
                    { paramId: 1, value: Buffer.from([0x01, 0x00]) },
                    { paramId: 2, value: Buffer.from('001122334455', 'hex') },
                  ],
                },
              },
              idleTimeoutNs: '5000000000',
            },
          },
        },
      ],
    });
  });

  it('encodes an LPM field match with the spec wire layout', () => {
    const bytes = encodeMessage('p4.v1.FieldMatch', {
      fieldId: 1,
      lpm: { value: Buffer.from([10, 0, 0, 0]), prefixLen: 8 },
    });
    // field_id (1, varint) = 1; lpm (4, length-delimited) { value (1) = 0a000000, prefix_len (2) = 8 }
    expect(bytes.toString('hex')).toBe('0801' + '2208' + '0a040a000000' + '1008');
  });

  it('round-trips a ReadResponse with a table entry and counter entries', () => {
    const response: ReadResponse = {
      entities: [
        {
          tableEntry: {
            tableId: 0x02000003,
            match: [{ fieldId: 1, exact: { value: Buffer.from([0, 0, 0, 9]) } }],
            action: { actionProfileGroupId: 4 },
            counterData: { byteCount: '18446744073709551615', packetCount: '12' },
          },
        },
        {
          counterEntry: {
            counterId: 0x12000001,
            index: { index: '3' },
            data: { byteCount: '1500', packetCount: '1' },
          },
        },
        {
          directCounterEntry: {
            tableEntry: { tableId: 0x02000003 },
            data: { packetCount: '42' },
          },
        },
      ],
    };
    expect(roundTrip('p4.v1.ReadResponse', response)).toEqual({
      entities: [
        {
          entity: 'tableEntry',
          tableEntry: {
            tableId: 0x02000003,
            match: [
              { fieldId: 1, fieldMatchType: 'exact', exact: { value: Buffer.from([0, 0, 0, 9]) } },
            ],
            action: { type: 'actionProfileGroupId', actionProfileGroupId: 4 },
            // int64 on the wire: the all-ones bit pattern reads back as -1.
            counterData: { byteCount: '-1', packetCount: '12' },
          },
        },
        {
          entity: 'counterEntry',
          counterEntry: {
            counterId: 0x12000001,
            index: { index: '3' },
            data: { byteCount: '1500', packetCount: '1' },
          },
        },
        {
          entity: 'directCounterEntry',
          directCounterEntry: {
            tableEntry: { tableId: 0x02000003 },
            data: { packetCount: '42' },
          },
        },
      ],
    });
  });

  it('round-trips a StreamMessageRequest carrying a MasterArbitrationUpdate', () => {
    const request: StreamMessageRequest = {
      arbitration: {
        deviceId: '1',
        role: { name: 'talaria' },
        electionId: { high: '2', low: '3' },
      },
    };
    const codec = messageDefinition('p4.v1.StreamMessageRequest');
    const bytes = codec.serialize(request);
    // arbitration (1) { device_id (1) = 1, role (2) { name (3) = "talaria" }, election_id (3) {2, 3} }
    expect(bytes.toString('hex')).toBe(
      '0a13' + '0801' + '1209' + '1a07' + Buffer.from('talaria').toString('hex') + '1a0408021003',
    );
    expect(codec.deserialize(bytes)).toEqual({
      update: 'arbitration',
      arbitration: {
        deviceId: '1',
        role: { name: 'talaria' },
        electionId: { high: '2', low: '3' },
      },
    });
  });

  it('packs p4.v1.Error into google.rpc.Status details and unpacks it', () => {
    const status = encodeMessage('google.rpc.Status', {
      code: 2,
      message: 'batch failed',
      details: [
        packAny('p4.v1.Error', { canonicalCode: 0 }),
        packAny('p4.v1.Error', { canonicalCode: 6, message: 'entry exists' }),
      ],
    });
    const decoded = decodeMessage<Status__Output>('google.rpc.Status', status);
    expect(decoded.details?.[1]?.type_url).toBe('type.googleapis.com/p4.v1.Error');
    const errors = (decoded.details ?? []).map((d) => unpackAny<Error__Output>(d, 'p4.v1.Error'));
    expect(errors).toEqual([{ canonicalCode: 0 }, { canonicalCode: 6, message: 'entry exists' }]);
  });

  it('refuses to unpack an Any of another type than expected', () => {
    const any = packAny('p4.v1.Uint128', { low: '1' });
    expect(() => unpackAny(any, 'p4.v1.Error')).toThrow(
      'google.protobuf.Any holds p4.v1.Uint128, expected p4.v1.Error',
    );
  });
});

describe('schema location', () => {
  it('loads from any working directory', () => {
    const schemaUrl = new URL('../../src/p4rt/schema.ts', import.meta.url).href;
    const tsxLoader = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        tsxLoader,
        '-e',
        `import(${JSON.stringify(schemaUrl)}).then((s) => console.log(Object.keys(s.p4RuntimeService().service).length))`,
      ],
      { cwd: os.tmpdir(), encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
    );
    expect(out.trim()).toBe('6');
  });
});

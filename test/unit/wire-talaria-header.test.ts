import { describe, expect, it } from 'vitest';
import {
  cookieHeader,
  decodeTalariaHeader,
  encodeTalariaHeader,
  firstPacketHeader,
  talariaHeaderProblem,
  type TalariaHeader,
} from '../../src/wire/talaria-header.ts';
import { WireFormatError } from '../../src/wire/wire-error.ts';

const sample: TalariaHeader = {
  version: 1,
  flags: 0x3,
  reserved: 0xa5,
  nextType: 0x0800,
  serviceId: 0x01020304,
  slot: 0x0506,
  keyEpoch: 0x0708,
  tag: 0x090a0b0c,
};

function thrown(fn: () => unknown): WireFormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WireFormatError) return error;
    throw error;
  }
  throw new Error('expected a WireFormatError');
}

describe('Talaria header codec', () => {
  it('lays the fields out at the offsets of docs/wire-format.md, big-endian', () => {
    expect(Buffer.from(encodeTalariaHeader(sample)).toString('hex')).toBe(
      '13a5' + '0800' + '01020304' + '0506' + '0708' + '090a0b0c',
    );
  });

  it('decodes what it encodes', () => {
    expect(decodeTalariaHeader(encodeTalariaHeader(sample))).toEqual(sample);
  });

  it('decodes at an offset inside a frame', () => {
    const frame = new Uint8Array(14 + 16 + 4);
    frame.set(encodeTalariaHeader(sample), 14);
    expect(decodeTalariaHeader(frame, 14)).toEqual(sample);
  });

  it('refuses a truncated header, saying how much was there', () => {
    const error = thrown(() => decodeTalariaHeader(new Uint8Array(20), 10));
    expect(error.field).toBe('talaria');
    expect(error.message).toBe('talaria: truncated: 10 of 16 bytes');
  });

  it.each([
    ['version', 16, 'talaria.version'],
    ['flags', 16, 'talaria.flags'],
    ['reserved', 256, 'talaria.reserved'],
    ['nextType', 0x10000, 'talaria.next_type'],
    ['serviceId', 2 ** 32, 'talaria.service_id'],
    ['slot', -1, 'talaria.slot'],
    ['keyEpoch', 1.5, 'talaria.key_epoch'],
    ['tag', 2 ** 32, 'talaria.tag'],
  ] as const)('refuses %s = %s, naming %s', (key, value, field) => {
    const error = thrown(() => encodeTalariaHeader({ ...sample, [key]: value }));
    expect(error.field).toBe(field);
    expect(error.message).toContain(String(value));
  });

  it('decodes any version so that the receiver can drop it by reason', () => {
    const bytes = encodeTalariaHeader({ ...sample, version: 2 });
    const header = decodeTalariaHeader(bytes);
    expect(header.version).toBe(2);
    expect(talariaHeaderProblem(header)).toBe('BAD_VERSION');
    expect(talariaHeaderProblem({ ...sample, nextType: 0x86dd })).toBe('UNSUPPORTED_NEXT_TYPE');
    expect(talariaHeaderProblem(sample)).toBeUndefined();
  });

  it('builds the headers hosts write', () => {
    expect(Buffer.from(encodeTalariaHeader(firstPacketHeader())).toString('hex')).toBe(
      '10000800' + '00'.repeat(12),
    );
    const reply = cookieHeader({ serviceId: 7, slot: 2, tag: 0xffffffff, reply: true });
    expect(reply).toMatchObject({ version: 1, flags: 0x3, serviceId: 7, slot: 2, tag: 0xffffffff });
    expect(cookieHeader({ serviceId: 7, slot: 2, tag: 1 }).flags).toBe(0x1);
  });
});

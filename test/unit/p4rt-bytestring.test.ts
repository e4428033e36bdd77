import { describe, expect, it } from 'vitest';
import {
  BytestringError,
  canonicalBytestring,
  decodeBytestring,
  encodeBytestring,
  ipv4ToValue,
  macToValue,
  valueToIpv4,
  valueToMac,
} from '../../src/p4rt/bytestring.ts';

describe('bytestrings', () => {
  it('encodes canonically: shortest big-endian form, one zero byte for 0', () => {
    expect(encodeBytestring(0, 32, 'f')).toEqual(Buffer.from([0]));
    expect(encodeBytestring(1, 32, 'f')).toEqual(Buffer.from([1]));
    expect(encodeBytestring(0x1234, 32, 'f')).toEqual(Buffer.from([0x12, 0x34]));
    expect(encodeBytestring(0x10000, 32, 'f')).toEqual(Buffer.from([1, 0, 0]));
    expect(encodeBytestring(2n ** 48n - 1n, 48, 'f')).toEqual(Buffer.alloc(6, 0xff));
  });

  it('refuses values wider than the field, naming it', () => {
    expect(() => encodeBytestring(512, 9, 'forward_to_host.port')).toThrowError(
      new BytestringError('forward_to_host.port: value 512 does not fit in 9 bits'),
    );
    expect(() => encodeBytestring(-1, 8, 'p')).toThrow(/negative/);
    expect(() => encodeBytestring(1.5, 8, 'p')).toThrow(/not an integer/);
  });

  it('decodes any length that fits, and refuses empty or too wide strings', () => {
    expect(decodeBytestring(Buffer.from([0, 0, 0x12, 0x34]), 16, 'f')).toBe(0x1234n);
    expect(decodeBytestring(Buffer.from([0x01, 0xff]), 9, 'f')).toBe(511n);
    expect(() => decodeBytestring(Buffer.from([0x02, 0x00]), 9, 'slot')).toThrow(
      'slot: value 0x200 does not fit in 9 bits',
    );
    expect(() => decodeBytestring(Buffer.alloc(0), 8, 'f')).toThrow('f: empty bytestring');
  });

  it('round-trips through encode and decode at every width boundary', () => {
    for (const width of [1, 8, 9, 16, 32, 48, 64]) {
      for (const value of [0n, 1n, (1n << BigInt(width)) - 1n]) {
        expect(decodeBytestring(encodeBytestring(value, width, 'f'), width, 'f')).toBe(value);
      }
    }
  });

  it('canonicalizes padded strings', () => {
    expect(canonicalBytestring(Buffer.from([0, 0, 5]))).toEqual(Buffer.from([5]));
    expect(canonicalBytestring(Buffer.from([0, 0]))).toEqual(Buffer.from([0]));
  });

  it('converts IPv4 and MAC addresses', () => {
    expect(ipv4ToValue('10.0.0.1', 'a')).toBe(0x0a000001n);
    expect(valueToIpv4(0xc0a80001n)).toBe('192.168.0.1');
    expect(() => ipv4ToValue('10.0.0.256', 'vip')).toThrow('vip: "10.0.0.256" is not an IPv4 address');
    expect(() => ipv4ToValue('fd00::1', 'vip')).toThrow(/not an IPv4 address/);
    expect(macToValue('AA:bb:cc:00:00:01', 'm')).toBe(0xaabbcc000001n);
    expect(valueToMac(0x0a0000000001n)).toBe('0a:00:00:00:00:01');
    expect(() => macToValue('aa:bb', 'smac')).toThrow('smac: "aa:bb" is not a MAC address');
  });
});

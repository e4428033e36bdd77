import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeTag, tagInputBytes, type TagInput } from '../../src/wire/tag.ts';
import { WireFormatError } from '../../src/wire/wire-error.ts';

/** CRC-32 as docs/wire-format.md defines it, bit by bit (independent of zlib). */
function referenceCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    for (let bit = 0; bit < 8; bit++) {
      const inBit = (byte >> bit) & 1;
      const top = crc & 1;
      crc >>>= 1;
      if (top ^ inBit) crc ^= 0xedb88320;
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const input: TagInput = {
  key: 0x11223344,
  clientAddr: '10.244.1.5',
  vipAddr: '10.96.0.10',
  clientPort: 0x9c40,
  vipPort: 80,
  protocol: 6,
  serviceId: 0x000003e9,
  slot: 0x0102,
};

const ipv4 = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
  .map((octets) => octets.join('.'));
const tagInput: fc.Arbitrary<TagInput> = fc.record({
  key: fc.nat({ max: 0xffffffff }),
  clientAddr: ipv4,
  vipAddr: ipv4,
  clientPort: fc.nat({ max: 0xffff }),
  vipPort: fc.nat({ max: 0xffff }),
  protocol: fc.nat({ max: 255 }),
  serviceId: fc.nat({ max: 0xffffffff }),
  slot: fc.nat({ max: 0xffff }),
});

describe('tag', () => {
  it('covers the 23 bytes key, client addr, VIP, client port, VIP port, protocol, service, slot', () => {
    expect(Buffer.from(tagInputBytes(input)).toString('hex')).toBe(
      '11223344' + '0af40105' + '0a60000a' + '9c40' + '0050' + '06' + '000003e9' + '0102',
    );
  });

  it('is the reflected IEEE CRC-32 of those bytes', () => {
    // The CRC catalogue's check value of CRC-32/ISO-HDLC, to pin the reference itself.
    expect(referenceCrc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    fc.assert(
      fc.property(tagInput, (i) => computeTag(i) === referenceCrc32(tagInputBytes(i))),
      { numRuns: 300 },
    );
  });

  it('changes when any covered field changes', () => {
    const base = computeTag(input);
    const changed: Partial<TagInput>[] = [
      { key: input.key ^ 1 },
      { clientAddr: '10.244.1.6' },
      { vipAddr: '10.96.0.11' },
      { clientPort: input.clientPort + 1 },
      { vipPort: 81 },
      { protocol: 17 },
      { serviceId: input.serviceId + 1 },
      { slot: input.slot + 1 },
    ];
    for (const change of changed) expect(computeTag({ ...input, ...change })).not.toBe(base);
  });

  it('refuses out-of-range fields by name', () => {
    expect(() => computeTag({ ...input, slot: 0x10000 })).toThrow(WireFormatError);
    expect(() => computeTag({ ...input, slot: 0x10000 })).toThrow(/^tag\.slot: /);
    expect(() => computeTag({ ...input, vipAddr: '10.96.0' })).toThrow(
      /^tag\.vip_addr: not an IPv4/,
    );
    expect(() => computeTag({ ...input, key: -1 })).toThrow(/^tag\.key: /);
  });
});

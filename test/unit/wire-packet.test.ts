import { describe, expect, it } from 'vitest';
import { internetChecksum } from '../../src/wire/checksum.ts';
import {
  buildPacket,
  checksumProblems,
  parsePacket,
  type PacketSpec,
} from '../../src/wire/packet.ts';
import { cookieHeader } from '../../src/wire/talaria-header.ts';
import { WireFormatError } from '../../src/wire/wire-error.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));

const ethernet = { dst: '02:00:00:00:00:fe', src: '02:00:00:00:01:01' };
const tcpSpec: PacketSpec = {
  ethernet,
  talaria: cookieHeader({ serviceId: 1001, slot: 2, tag: 0xcafef00d }),
  ipv4: {
    src: '10.244.1.5',
    dst: '10.96.0.10',
    ttl: 64,
    identification: 0x1c46,
    dontFragment: true,
  },
  tcp: { srcPort: 40000, dstPort: 80, seq: 1, ack: 2, flags: 0x18, window: 502 },
  payload: new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n!'),
};
const udpSpec: PacketSpec = {
  ethernet,
  ipv4: { src: '10.244.1.5', dst: '10.96.0.20' },
  udp: { srcPort: 33000, dstPort: 53 },
  payload: fromHex('1234010000010000000000000377656200'),
};

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof WireFormatError) return error.field;
    throw error;
  }
  throw new Error('expected a WireFormatError');
}

describe('internet checksum', () => {
  it('gives the textbook IPv4 header checksum', () => {
    // The usual worked example: 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7.
    expect(internetChecksum(fromHex('450000730000400040110000c0a80001c0a800c7'))).toBe(0xb861);
  });

  it('sums split ranges as one, whatever the odd boundaries', () => {
    const data = fromHex('0102030405060708090a0b');
    const whole = internetChecksum(data);
    expect(internetChecksum(data.subarray(0, 3), data.subarray(3, 8), data.subarray(8))).toBe(
      whole,
    );
  });
});

describe('packet builder and parser', () => {
  it('builds Ethernet | Talaria | IPv4 | TCP with lengths and checksums filled in', () => {
    const bytes = buildPacket(tcpSpec);
    expect(hex(bytes.subarray(12, 14))).toBe('88b5');
    expect(bytes.length).toBe(14 + 16 + 20 + 20 + 19);
    const parsed = parsePacket(bytes);
    expect(parsed.ipv4).toMatchObject({ version: 4, ihl: 5, totalLength: 59, protocol: 6 });
    expect(parsed.tcp).toMatchObject({ dataOffset: 5, srcPort: 40000, dstPort: 80 });
    expect(checksumProblems(parsed)).toEqual([]);
    // The IPv4 header checksum makes the header sum to zero (RFC 1071).
    expect(internetChecksum(bytes.subarray(30, 50))).toBe(0);
  });

  it('builds UDP with a checksum over the pseudo-header and keeps an explicit 0', () => {
    const parsed = parsePacket(buildPacket(udpSpec));
    expect(parsed.udp!.length).toBe(8 + 17);
    expect(parsed.udp!.checksum).not.toBe(0);
    expect(checksumProblems(parsed)).toEqual([]);
    const none = parsePacket(buildPacket({ ...udpSpec, udp: { ...udpSpec.udp!, checksum: 0 } }));
    expect(none.udp!.checksum).toBe(0);
    expect(checksumProblems(none)).toEqual([]);
  });

  it('parses what it builds back to the same bytes', () => {
    for (const spec of [tcpSpec, udpSpec]) {
      const bytes = buildPacket({ ...spec, trailer: new Uint8Array(6) });
      expect(hex(buildPacket(parsePacket(bytes)))).toBe(hex(bytes));
    }
  });

  it('keeps options and a padding trailer apart from the datagram', () => {
    const spec: PacketSpec = {
      ...tcpSpec,
      ipv4: { ...tcpSpec.ipv4!, options: fromHex('94040000') },
      tcp: { ...tcpSpec.tcp!, options: fromHex('0101080a0000000100000002') },
      trailer: fromHex('000000'),
    };
    const parsed = parsePacket(buildPacket(spec));
    expect(parsed.ipv4).toMatchObject({ ihl: 6, totalLength: 24 + 32 + 19 });
    expect(parsed.tcp!.dataOffset).toBe(8);
    expect(hex(parsed.trailer)).toBe('000000');
    expect(checksumProblems(parsed)).toEqual([]);
  });

  it('reports the checksums that are wrong, by field', () => {
    const bad = buildPacket({
      ...tcpSpec,
      ipv4: { ...tcpSpec.ipv4!, checksum: 1 },
      tcp: { ...tcpSpec.tcp!, checksum: 2 },
    });
    expect(checksumProblems(parsePacket(bad))).toEqual(['ipv4.hdr_checksum', 'tcp.checksum']);
    const badUdp = buildPacket({ ...udpSpec, udp: { ...udpSpec.udp!, checksum: 3 } });
    expect(checksumProblems(parsePacket(badUdp))).toEqual(['udp.checksum']);
  });

  it('does not parse ports out of fragments', () => {
    const fragment = parsePacket(
      buildPacket({
        ...udpSpec,
        ipv4: { ...udpSpec.ipv4!, protocol: 17, moreFragments: true },
        udp: undefined,
      }),
    );
    expect(fragment.udp).toBeUndefined();
    expect(fragment.ipv4!.moreFragments).toBe(true);
  });

  it.each([
    ['a frame shorter than Ethernet', (b: Uint8Array) => b.subarray(0, 13), 'ethernet'],
    ['a cut Talaria header', (b: Uint8Array) => b.subarray(0, 20), 'talaria'],
    ['a cut IPv4 header', (b: Uint8Array) => b.subarray(0, 40), 'ipv4'],
    ['a cut TCP header', (b: Uint8Array) => b.subarray(0, 60), 'ipv4.total_len'],
  ])('refuses %s, naming the field', (_, cut, field) => {
    expect(fieldOf(() => parsePacket(cut(buildPacket(tcpSpec))))).toBe(field);
  });

  it.each([
    ['IHL 4', { ipv4: { ...tcpSpec.ipv4!, ihl: 4 } }, 'ipv4.ihl'],
    ['IP version 6', { ipv4: { ...tcpSpec.ipv4!, version: 6 } }, 'ipv4.version'],
    [
      'total length below the header',
      { ipv4: { ...tcpSpec.ipv4!, totalLength: 12 } },
      'ipv4.total_len',
    ],
    [
      'total length beyond the frame',
      { ipv4: { ...tcpSpec.ipv4!, totalLength: 200 } },
      'ipv4.total_len',
    ],
    ['TCP data offset 4', { tcp: { ...tcpSpec.tcp!, dataOffset: 4 } }, 'tcp.data_offset'],
    [
      'TCP data offset past the segment',
      { tcp: { ...tcpSpec.tcp!, dataOffset: 15 } },
      'tcp.options',
    ],
  ] as const)('refuses %s, naming %s', (_, change, field) => {
    expect(fieldOf(() => parsePacket(buildPacket({ ...tcpSpec, ...change })))).toBe(field);
  });

  it('refuses a UDP length that is not the IPv4 payload length', () => {
    const longer = buildPacket({ ...udpSpec, udp: { ...udpSpec.udp!, length: 30 } });
    expect(fieldOf(() => parsePacket(longer))).toBe('udp.len');
  });

  it('refuses to build values that do not fit, by field', () => {
    expect(
      fieldOf(() => buildPacket({ ...tcpSpec, tcp: { ...tcpSpec.tcp!, srcPort: 65536 } })),
    ).toBe('tcp.src_port');
    expect(
      fieldOf(() => buildPacket({ ...tcpSpec, ipv4: { ...tcpSpec.ipv4!, dst: '10.96.0.256' } })),
    ).toBe('ipv4.dst');
    expect(
      fieldOf(() => buildPacket({ ...tcpSpec, ethernet: { ...ethernet, src: '02:00' } })),
    ).toBe('ethernet.src_addr');
    expect(
      fieldOf(() =>
        buildPacket({ ...tcpSpec, ipv4: { ...tcpSpec.ipv4!, options: fromHex('01') } }),
      ),
    ).toBe('ipv4.options');
    expect(fieldOf(() => buildPacket({ ethernet, ipv4: { src: '1.1.1.1', dst: '2.2.2.2' } }))).toBe(
      'ipv4.protocol',
    );
  });
});

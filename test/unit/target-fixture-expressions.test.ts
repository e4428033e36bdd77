import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashAlgorithm } from '../../src/softswitch/dataplane/hash-algorithms.ts';
import { loadPipeline } from '../../src/softswitch/index.ts';

/**
 * test/fixtures/p4/expressions.p4, compiled by p4c, run on the embedded data plane: every
 * result field is recomputed here from P4 semantics (widths wrap, signed shifts, slices,
 * concatenation) and from the hash definitions, so a wrong interpretation of what p4c
 * emitted shows up as a difference.
 */
const json = JSON.parse(
  readFileSync(new URL('../fixtures/p4/build/expressions.json', import.meta.url), 'utf8'),
) as unknown;

const PROBE: [string, number][] = [
  ['a', 8],
  ['b', 8],
  ['c', 16],
  ['d', 32],
  ['e', 48],
  ['f', 64],
  ['s', 8],
  ['odd3', 3],
  ['odd5', 5],
];

const RESULT: [string, number][] = [
  ['sum8', 8],
  ['diff8', 8],
  ['prod8', 8],
  ['shl16', 16],
  ['shr16', 16],
  ['mix32', 32],
  ['inc48', 48],
  ['mul64', 64],
  ['not64', 64],
  ['slice8', 8],
  ['concat16', 16],
  ['sshr8', 8],
  ['negative', 8],
  ['smaller', 8],
  ['crc16', 16],
  ['crc32', 32],
  ['csum16', 16],
  ['xor16', 16],
  ['identity', 32],
  ['crc16_odd', 16],
  ['bounded', 16],
  ['packets', 32],
];

type Values = Record<string, bigint>;

function pack(layout: [string, number][], values: Values): Uint8Array {
  let bits = 0n;
  let width = 0;
  for (const [name, w] of layout) {
    bits = (bits << BigInt(w)) | BigInt.asUintN(w, values[name]!);
    width += w;
  }
  const bytes = new Uint8Array(width / 8);
  for (let i = bytes.length - 1; i >= 0; i--) {
    bytes[i] = Number(bits & 0xffn);
    bits >>= 8n;
  }
  return bytes;
}

function unpack(layout: [string, number][], bytes: Uint8Array): Values {
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let remaining = bytes.length * 8;
  const values: Values = {};
  for (const [name, w] of layout) {
    remaining -= w;
    values[name] = (bits >> BigInt(remaining)) & ((1n << BigInt(w)) - 1n);
  }
  return values;
}

const u = (w: number, v: bigint) => BigInt.asUintN(w, v);
const signed8 = (v: bigint) => BigInt.asIntN(8, v);

function hashOf(algo: string, bytes: number[]): bigint {
  return hashAlgorithm(algo, 'test').computeBig(Uint8Array.from(bytes), bytes.length);
}

function be(value: bigint, bytes: number): number[] {
  return Array.from({ length: bytes }, (_, i) =>
    Number((value >> BigInt(8 * (bytes - 1 - i))) & 0xffn),
  );
}

function expected(p: Values, packets: bigint): Values {
  const { a, b, c, d, e, f, s, odd3, odd5 } = p as Required<Values> & Record<string, bigint>;
  // {odd3, odd5, odd3}: 11 bits packed MSB first, zero-padded to 2 bytes.
  const oddBits = (((odd3! << 5n) | odd5!) << 3n) | odd3!;
  return {
    sum8: u(8, a! + b!),
    diff8: u(8, a! - b!),
    prod8: u(8, a! * b!),
    shl16: u(16, c! << 3n),
    shr16: c! >> 3n,
    mix32: u(32, d! ^ (d! >> 7n) ^ (d! << 25n)),
    inc48: u(48, e! + 1n),
    mul64: u(64, f! * 3n),
    not64: u(64, ~f!),
    slice8: (c! >> 4n) & 0xffn,
    concat16: (a! << 8n) | b!,
    sshr8: u(8, signed8(s!) >> 1n),
    negative: signed8(s!) < 0n ? 1n : 0n,
    smaller: a! < b! ? a! : b!,
    crc16: hashOf('crc16', [...be(a!, 1), ...be(c!, 2), ...be(d!, 4)]),
    crc32: hashOf('crc32', [...be(d!, 4), ...be(e!, 6), 7]),
    csum16: hashOf('csum16', [...be(a!, 1), ...be(b!, 1), ...be(c!, 2), ...be(f!, 8)]),
    xor16: hashOf('xor16', [...be(c!, 2), ...be(d!, 4)]),
    identity: d!,
    crc16_odd: hashOf('crc16', be(oddBits << 5n, 2)),
    bounded: 100n + (hashOf('crc16', be(a!, 1)) % 7n),
    packets,
  };
}

const uint = (w: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(w)) - 1n });
const probeArbitrary = fc.record(
  Object.fromEntries(PROBE.map(([name, w]) => [name, uint(w)])) as Record<
    string,
    fc.Arbitrary<bigint>
  >,
);

const ETHERNET = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb6];

describe('p4c fixture: expressions.p4', () => {
  it('computes every result field as P4 and BMv2 define it', () => {
    const dp = loadPipeline(json).createDataplane();
    let packets = 0n;
    fc.assert(
      fc.property(probeArbitrary, (probe) => {
        const frame = Uint8Array.from([...ETHERNET, ...pack(PROBE, probe)]);
        const result = dp.process(1, frame);
        packets++;
        expect(result.dropped).toBeUndefined();
        expect(result.outputs).toHaveLength(1);
        const out = result.outputs[0]!;
        expect(out.port).toBe(2);
        expect([...out.bytes.subarray(0, frame.length)]).toEqual([...frame]);
        expect(unpack(RESULT, out.bytes.subarray(frame.length))).toEqual(expected(probe, packets));
      }),
      { numRuns: 300, seed: 11 },
    );
    expect(dp.readRegister('FixtureIngress.packets', 0)).toBe(packets);
  });

  it('drops frames without a probe (mark_to_drop, then exit)', () => {
    const dp = loadPipeline(json).createDataplane();
    const frame = Uint8Array.from([...ETHERNET.slice(0, 12), 0x08, 0x00, 1, 2, 3]);
    expect(dp.process(1, frame)).toEqual({
      outputs: [],
      dropped: { stage: 'ingress' },
      parserError: 'NoError',
    });
  });

  it('reports a probe cut short as PacketTooShort and runs ingress without it', () => {
    const dp = loadPipeline(json).createDataplane();
    const frame = Uint8Array.from([...ETHERNET, 1, 2, 3]);
    const result = dp.process(1, frame);
    expect(result.parserError).toBe('PacketTooShort');
    expect(result.dropped).toEqual({ stage: 'ingress' });
  });
});

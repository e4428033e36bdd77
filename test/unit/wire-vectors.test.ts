import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateVectorFileText, VECTOR_FILE_NAME } from '../../scripts/gen-vectors.ts';
import { DROP_COUNTER_NAMES } from '../../src/wire/drop-reasons.ts';
import {
  checksumProblems,
  IP_PROTOCOL,
  parsePacket,
  type ParsedPacket,
} from '../../src/wire/packet.ts';
import { computeTag } from '../../src/wire/tag.ts';
import {
  decodeTalariaHeader,
  ETHERTYPE_TALARIA,
  hasFlag,
  TalariaFlag,
  talariaHeaderProblem,
} from '../../src/wire/talaria-header.ts';
import { WireFormatError } from '../../src/wire/wire-error.ts';
import {
  hexToBytes,
  loadVectorFiles,
  parseVectorFile,
  PATHS,
  VECTORS_DIR,
  type SwitchState,
} from '../../src/wire/vectors.ts';

const files = loadVectorFiles();
const all = [...files.values()].flatMap((file) => file.vectors.map((vector) => ({ file, vector })));

function protocolName(number: number): 'TCP' | 'UDP' {
  return number === IP_PROTOCOL.TCP ? 'TCP' : 'UDP';
}

/** The switch key of a cookie's epoch: the current or the previous one, else none. */
function keyOfEpoch(state: SwitchState, epoch: number): bigint | undefined {
  if (epoch === state.tagKeys.epoch) return state.tagKeys.current;
  if (epoch === (state.tagKeys.epoch + 0xffff) % 0x10000) return state.tagKeys.previous;
  return undefined;
}

/**
 * The tag the switch must find on a packet, from its client-side tuple and the key of the
 * header's epoch; undefined when the switch holds no key of that epoch.
 */
function expectedTag(state: SwitchState, packet: ParsedPacket): number | undefined {
  const header = packet.talaria!;
  const key = keyOfEpoch(state, header.keyEpoch);
  if (key === undefined) return undefined;
  const l4 = packet.tcp ?? packet.udp!;
  const reply = hasFlag(header, TalariaFlag.REPLY);
  const frontend = state.replyFrontends.find((f) => f.serviceId === header.serviceId)!;
  return computeTag({
    key,
    clientAddr: reply ? packet.ipv4!.dst : packet.ipv4!.src,
    clientPort: reply ? l4.dstPort : l4.srcPort,
    vipAddr: frontend.vipAddr,
    vipPort: frontend.vipPort,
    protocol: packet.ipv4!.protocol,
    serviceId: header.serviceId,
    slot: header.slot,
  });
}

describe('packet vectors (test/vectors)', () => {
  it('load through the schema', () => {
    expect(files.size).toBeGreaterThan(0);
    expect(all.length).toBeGreaterThan(0);
  });

  it('are what scripts/gen-vectors.ts generates (run npm run vectors:gen after a change)', async () => {
    const committed = readFileSync(join(VECTORS_DIR, VECTOR_FILE_NAME), 'utf8');
    expect(committed).toBe(await generateVectorFileText());
  });

  it('cover every path and every drop counter', () => {
    const paths = new Set(all.map(({ vector }) => vector.path));
    expect(PATHS.filter((p) => !paths.has(p))).toEqual([]);
    const drops = new Set(
      all.flatMap(({ vector: v }) => (v.expect.kind === 'drop' ? [v.expect.reason] : [])),
    );
    expect(DROP_COUNTER_NAMES.filter((name) => !drops.has(name))).toEqual([]);
  });

  it('refuse a malformed file with the JSON path of the problem', () => {
    const text = readFileSync(join(VECTORS_DIR, VECTOR_FILE_NAME), 'utf8');
    const file = JSON.parse(text);
    file.vectors[3].input.packet = 'XYZ';
    file.vectors[4].name = file.vectors[5].name;
    expect(() => parseVectorFile(JSON.stringify(file), 'broken.json')).toThrow(
      /^broken\.json: not a Talaria vector file:\n {2}vectors\.3\.input\.packet: not lower-case hex bytes\n {2}vectors\.5\.name: duplicate/,
    );
  });

  describe.each(all.map(({ file, vector }) => [vector.name, file.switch, vector] as const))(
    '%s',
    (_, state, vector) => {
      const input = hexToBytes(vector.input.packet);
      const inputHasHeader =
        input.length >= 14 && ((input[12]! << 8) | input[13]!) === ETHERTYPE_TALARIA;

      if (inputHasHeader && input.length >= 30) {
        it('input: the Talaria header decodes', () => {
          expect(decodeTalariaHeader(input, 14).nextType).toBeGreaterThan(0);
        });
      } else if (inputHasHeader) {
        it('input: the cut Talaria header is refused by the decoder', () => {
          expect(() => decodeTalariaHeader(input, 14)).toThrow(/^talaria: truncated/);
        });
      }

      it('input: the codec finds the same fault as the switch, or none', () => {
        const reason = vector.expect.kind === 'drop' ? vector.expect.reason : undefined;
        if (reason === 'PARSE_ERROR') {
          expect(() => parsePacket(input)).toThrow(WireFormatError);
          return;
        }
        const packet = parsePacket(input);
        const headerProblem = packet.talaria && talariaHeaderProblem(packet.talaria);
        if (reason === 'BAD_VERSION' || reason === 'UNSUPPORTED_NEXT_TYPE') {
          expect(headerProblem).toBe(reason);
          return;
        }
        expect(headerProblem).toBeUndefined();
        if (reason === 'NOT_IPV4') {
          expect(packet.ipv4).toBeUndefined();
          return;
        }
        expect(packet.ipv4!.ihl > 5).toBe(reason === 'IPV4_OPTIONS');
        if (reason === 'IPV4_OPTIONS') return;
        expect(checksumProblems(packet).includes('ipv4.hdr_checksum')).toBe(
          reason === 'BAD_IPV4_CHECKSUM',
        );
        if (reason === 'BAD_IPV4_CHECKSUM') return;
        expect(packet.ipv4!.ttl <= 1).toBe(reason === 'TTL_EXPIRED');
      });

      if (vector.path === 'forged-tag') {
        it('input: the cookie does not verify with the switch key', () => {
          const packet = parsePacket(input);
          const header = packet.talaria!;
          const verifies =
            hasFlag(header, TalariaFlag.COOKIE) && expectedTag(state, packet) === header.tag;
          expect(verifies).toBe(false);
        });
      }

      const replayed =
        vector.path === 'reply-source' ||
        vector.path === 'syn-with-cookie' ||
        vector.name === 'replayed-cookie-from-a-port-without-agent';
      if (
        vector.path === 'cookie' ||
        vector.path === 'reply' ||
        vector.path === 'unknown-slot' ||
        (vector.path === 'key-epoch' && vector.expect.kind === 'forward') ||
        replayed
      ) {
        it('input: the cookie verifies with the switch key of its epoch', () => {
          const packet = parsePacket(input);
          expect(hasFlag(packet.talaria!, TalariaFlag.COOKIE)).toBe(true);
          expect(packet.talaria!.tag).toBe(expectedTag(state, packet));
        });
      }

      const expected = vector.expect;
      if (expected.kind !== 'forward') return;

      it('output: parses strictly; its checksums are right unless the input L4 one was wrong', () => {
        const inputPacket = parsePacket(input);
        const output = parsePacket(hexToBytes(expected.packet));
        const inputL4Problems = checksumProblems(inputPacket).filter(
          (p) => p !== 'ipv4.hdr_checksum',
        );
        expect(checksumProblems(output)).toEqual(inputL4Problems);
        expect(output.ipv4!.ttl).toBe(inputPacket.ipv4!.ttl - 1);
      });

      it("output: has the route's MACs and a header only towards an agent host", () => {
        const output = parsePacket(hexToBytes(expected.packet));
        const route = state.routes.find((r) => r.port === expected.port)!;
        expect(output.ethernet).toMatchObject({ src: route.switchMac, dst: route.hostMac });
        if (route.kind === 'external') expect(output.talaria).toBeUndefined();
      });

      it('output: a cookie the switch wrote or passed on verifies and names the backend', () => {
        const output = parsePacket(hexToBytes(expected.packet));
        const header = output.talaria;
        if (!header || !hasFlag(header, TalariaFlag.COOKIE)) {
          expect(header === undefined || header.flags === 0).toBe(true);
          return;
        }
        expect(header).toMatchObject({ version: 1, reserved: 0, keyEpoch: state.tagKeys.epoch });
        expect(header.tag).toBe(expectedTag(state, output));
        const l4 = output.tcp ?? output.udp!;
        const frontend = state.replyFrontends.find((f) => f.serviceId === header.serviceId)!;
        expect(frontend.protocol).toBe(protocolName(output.ipv4!.protocol));
        if (hasFlag(header, TalariaFlag.REPLY)) {
          expect([output.ipv4!.src, l4.srcPort]).toEqual([frontend.vipAddr, frontend.vipPort]);
        } else {
          const backend = state.backends.find(
            (b) => b.serviceId === header.serviceId && b.slot === header.slot,
          )!;
          expect([output.ipv4!.dst, l4.dstPort]).toEqual([backend.addr, backend.port]);
        }
      });
    },
  );
});

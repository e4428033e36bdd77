import type { DropReason } from './drop-reasons.ts';
import { checkRemaining, checkUnsigned } from './wire-error.ts';

/**
 * The Talaria header, version 1 (docs/wire-format.md): 16 bytes after the Ethernet
 * header, under EtherType 0x88B5, all fields big-endian.
 */

export const ETHERTYPE_TALARIA = 0x88b5;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const TALARIA_HEADER_LENGTH = 16;
export const TALARIA_VERSION = 1;

export const TalariaFlag = {
  /** slot and tag are valid. */
  COOKIE: 0x1,
  /** The packet goes backend -> client. */
  REPLY: 0x2,
} as const;

export interface TalariaHeader {
  /** 4 bits. */
  readonly version: number;
  /** 4 bits: TalariaFlag. */
  readonly flags: number;
  /** 8 bits, zero on send, ignored on receive. */
  readonly reserved: number;
  /** EtherType of what follows. */
  readonly nextType: number;
  readonly serviceId: number;
  readonly slot: number;
  /**
   * 16 bits: the epoch of the switch key that made `tag` (docs/wire-format.md, "Key
   * epochs"). Part of the cookie: hosts copy it with service_id, slot and tag.
   */
  readonly keyEpoch: number;
  readonly tag: number;
}

/** The header a client host writes on the first packet of a connection. */
export function firstPacketHeader(): TalariaHeader {
  return {
    version: TALARIA_VERSION,
    flags: 0,
    reserved: 0,
    nextType: ETHERTYPE_IPV4,
    serviceId: 0,
    slot: 0,
    keyEpoch: 0,
    tag: 0,
  };
}

/** A header carrying a connection's cookie; `reply` for backend -> client packets. */
export function cookieHeader(cookie: {
  readonly serviceId: number;
  readonly slot: number;
  readonly tag: number;
  readonly keyEpoch?: number;
  readonly reply?: boolean;
}): TalariaHeader {
  return {
    ...firstPacketHeader(),
    flags: TalariaFlag.COOKIE | (cookie.reply ? TalariaFlag.REPLY : 0),
    serviceId: cookie.serviceId,
    slot: cookie.slot,
    keyEpoch: cookie.keyEpoch ?? 0,
    tag: cookie.tag,
  };
}

export function hasFlag(header: TalariaHeader, flag: number): boolean {
  return (header.flags & flag) === flag;
}

/** Encodes `header` into 16 bytes; throws a WireFormatError naming a field that does not fit. */
export function encodeTalariaHeader(header: TalariaHeader): Uint8Array {
  const bytes = new Uint8Array(TALARIA_HEADER_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setUint8(
    0,
    (checkUnsigned('talaria.version', header.version, 4) << 4) |
      checkUnsigned('talaria.flags', header.flags, 4),
  );
  view.setUint8(1, checkUnsigned('talaria.reserved', header.reserved, 8));
  view.setUint16(2, checkUnsigned('talaria.next_type', header.nextType, 16));
  view.setUint32(4, checkUnsigned('talaria.service_id', header.serviceId, 32));
  view.setUint16(8, checkUnsigned('talaria.slot', header.slot, 16));
  view.setUint16(10, checkUnsigned('talaria.key_epoch', header.keyEpoch, 16));
  view.setUint32(12, checkUnsigned('talaria.tag', header.tag, 32));
  return bytes;
}

/**
 * Decodes the 16 bytes at `offset`, whatever their version: receivers decide what to do
 * with a header they do not support (talariaHeaderProblem). Throws a WireFormatError
 * when fewer than 16 bytes are left.
 */
export function decodeTalariaHeader(bytes: Uint8Array, offset = 0): TalariaHeader {
  checkRemaining('talaria', bytes, offset, TALARIA_HEADER_LENGTH);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, TALARIA_HEADER_LENGTH);
  const first = view.getUint8(0);
  return {
    version: first >> 4,
    flags: first & 0x0f,
    reserved: view.getUint8(1),
    nextType: view.getUint16(2),
    serviceId: view.getUint32(4),
    slot: view.getUint16(8),
    keyEpoch: view.getUint16(10),
    tag: view.getUint32(12),
  };
}

/** Why a receiver must drop a decoded header, or undefined when it can be handled. */
export function talariaHeaderProblem(header: TalariaHeader): DropReason | undefined {
  if (header.version !== TALARIA_VERSION) return 'BAD_VERSION';
  if (header.nextType !== ETHERTYPE_IPV4) return 'UNSUPPORTED_NEXT_TYPE';
  return undefined;
}

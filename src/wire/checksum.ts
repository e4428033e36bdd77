/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of
 * big-endian 16-bit words, an odd last byte padded with zero. Pass several byte ranges to
 * sum them as one (pseudo-header + segment).
 */
export function internetChecksum(...parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const part of parts) {
    for (const byte of part) {
      if (odd === undefined) odd = byte;
      else {
        sum += (odd << 8) | byte;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

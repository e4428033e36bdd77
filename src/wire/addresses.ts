import { isIPv4 } from 'node:net';
import { WireFormatError } from './wire-error.ts';

/** IPv4 and MAC addresses between their text form and what the wire carries. */

/** 'a.b.c.d' to a uint32. */
export function ipv4ToNumber(address: string, field = 'ipv4 address'): number {
  if (!isIPv4(address)) throw new WireFormatError(field, `not an IPv4 address: '${address}'`);
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** A uint32 to 'a.b.c.d'. */
export function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** 'aa:bb:cc:dd:ee:ff' to 6 bytes. */
export function macToBytes(mac: string, field = 'mac address'): Uint8Array {
  if (!MAC_PATTERN.test(mac)) throw new WireFormatError(field, `not a MAC address: '${mac}'`);
  return Uint8Array.from(mac.split(':').map((octet) => parseInt(octet, 16)));
}

/** 6 bytes to lower-case 'aa:bb:cc:dd:ee:ff'. */
export function bytesToMac(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A uint48 (P4Runtime's value of a MAC) from 'aa:bb:cc:dd:ee:ff'. */
export function macToNumber(mac: string, field = 'mac address'): number {
  return macToBytes(mac, field).reduce((acc, b) => acc * 256 + b, 0);
}

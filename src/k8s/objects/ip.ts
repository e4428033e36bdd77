import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { ipFamily } from '../../base/ip-family.ts';

/**
 * IP addresses and prefixes as the API writes them, parsed once into one canonical
 * spelling (IPv6 lower-case and compressed), so that two spellings of one address are one
 * frontend key.
 */

/** The canonical form of an address, or undefined when it is not an IP address. */
export function canonicalIp(ip: string): string | undefined {
  // node's isIPv4 refuses leading zeros ("010.0.0.1"), as the API does.
  if (isIPv4(ip)) return ip;
  // A zone ("fe80::1%eth0") names a local link: never a Service or node address.
  if (isIPv6(ip) && !ip.includes('%')) return new URL(`http://[${ip}]`).hostname.slice(1, -1);
  return undefined;
}

/** A prefix "address/length" in canonical form, or undefined when it is not one. */
export function canonicalCidr(cidr: string): string | undefined {
  const slash = cidr.indexOf('/');
  if (slash < 0) return undefined;
  const address = canonicalIp(cidr.slice(0, slash));
  const lengthText = cidr.slice(slash + 1);
  if (address === undefined || !/^\d{1,3}$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  return length <= (ipFamily(address) === 4 ? 32 : 128) ? `${address}/${length}` : undefined;
}

/** zod: an IPv4 or IPv6 address, output in canonical form. */
export const ipAddress = z.string().transform((value, ctx) => {
  const canonical = canonicalIp(value);
  if (canonical === undefined) {
    ctx.addIssue({ code: 'custom', message: `not an IP address: '${value}'` });
    return z.NEVER;
  }
  return canonical;
});

/** zod: an IPv4 or IPv6 prefix, output in canonical form. */
export const ipPrefix = z.string().transform((value, ctx) => {
  const canonical = canonicalCidr(value);
  if (canonical === undefined) {
    ctx.addIssue({ code: 'custom', message: `not an IP prefix: '${value}'` });
    return z.NEVER;
  }
  return canonical;
});

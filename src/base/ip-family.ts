import { isIPv4, isIPv6 } from 'node:net';

/** The IP version of an address, a frontend or a route. */
export type IpFamily = 4 | 6;

/** The family of an address, or undefined when it is not an IP address. */
export function ipFamily(ip: string): IpFamily | undefined {
  if (isIPv4(ip)) return 4;
  if (isIPv6(ip)) return 6;
  return undefined;
}

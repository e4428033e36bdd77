import { z } from 'zod';

/** The largest port number: v1model's egress_spec is 9 bits and 511 means drop. */
export const maxPortNumber = 510;

/** One `--port` value: `N@mem` (an in-memory port) or `N@IFNAME` (a Linux interface). */
export type PortSpec =
  | { readonly number: number; readonly kind: 'memory' }
  | { readonly number: number; readonly kind: 'interface'; readonly interfaceName: string };

// Linux interface names: 1-15 bytes, no '/', ':' or whitespace.
const interfaceName = /^[^\s/:]{1,15}$/;

/** zod schema of one `--port` value, producing a PortSpec. */
export const portSpecSchema = z.string().transform((value, ctx): PortSpec => {
  const match = /^(\d+)@(.+)$/.exec(value);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not PORT@mem or PORT@IFNAME` });
    return z.NEVER;
  }
  const number = Number(match[1]);
  const target = match[2]!;
  if (number > maxPortNumber) {
    ctx.addIssue({ code: 'custom', message: `port ${number} is above ${maxPortNumber}` });
    return z.NEVER;
  }
  if (target === 'mem') return { number, kind: 'memory' };
  if (!interfaceName.test(target)) {
    ctx.addIssue({ code: 'custom', message: `'${target}' is not a Linux interface name` });
    return z.NEVER;
  }
  return { number, kind: 'interface', interfaceName: target };
});

/** zod schema of all `--port` values: port numbers and interfaces used once each. */
export const portSpecsSchema = z.array(portSpecSchema).superRefine((specs, ctx) => {
  const numbers = new Set<number>();
  const interfaces = new Set<string>();
  for (const spec of specs) {
    if (numbers.has(spec.number)) {
      ctx.addIssue({ code: 'custom', message: `port ${spec.number} is given twice` });
    }
    numbers.add(spec.number);
    if (spec.kind === 'interface') {
      if (interfaces.has(spec.interfaceName)) {
        ctx.addIssue({ code: 'custom', message: `interface ${spec.interfaceName} is given twice` });
      }
      interfaces.add(spec.interfaceName);
    }
  }
});

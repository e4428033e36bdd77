import { z } from 'zod';
import { canonicalIp } from './ip.ts';
import { namespacedMeta, nullishTo, portNumber } from './meta.ts';
import { serviceProtocol } from './service.ts';

/**
 * discovery.k8s.io/v1 EndpointSlice, as far as Talaria reads it. The API caps a slice at
 * 1000 endpoints (and 100 addresses per endpoint, 100 ports); anything above is refused
 * here too, so one runaway object cannot blow up the switch tables.
 */

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MAX_ENDPOINTS_PER_SLICE = 1000;

const conditions = z.object({
  ready: z.boolean().nullish(),
  serving: z.boolean().nullish(),
  terminating: z.boolean().nullish(),
});

const endpoint = z.object({
  addresses: z.array(z.string().min(1)).min(1).max(100),
  conditions: nullishTo(conditions, {}),
  nodeName: z.string().min(1).nullish(),
});

const endpointPort = z.object({
  name: nullishTo(z.string(), ''),
  protocol: nullishTo(serviceProtocol, 'TCP'),
  port: portNumber.nullish(),
});

export const endpointSliceSchema = z
  .object({
    metadata: namespacedMeta,
    addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
    endpoints: nullishTo(z.array(endpoint).max(MAX_ENDPOINTS_PER_SLICE), []),
    ports: nullishTo(z.array(endpointPort).max(100), []),
  })
  .transform((slice, ctx) => {
    if (slice.addressType === 'FQDN') return slice;
    // IP addresses must match the slice's family; they come out canonical.
    const endpoints = slice.endpoints.map((ep, index) => {
      const addresses = ep.addresses.map((address) => {
        const canonical = canonicalIp(address);
        const family = canonical?.includes(':') ? 'IPv6' : 'IPv4';
        if (canonical === undefined || family !== slice.addressType) {
          ctx.addIssue({
            code: 'custom',
            path: ['endpoints', index, 'addresses'],
            message: `not an ${slice.addressType} address: '${address}'`,
          });
        }
        return canonical ?? address;
      });
      return { ...ep, addresses };
    });
    return { ...slice, endpoints };
  });

export type EndpointSlice = z.output<typeof endpointSliceSchema>;

/** "namespace/service" of the Service a slice belongs to, from its service-name label. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const name = slice.metadata.labels[SERVICE_NAME_LABEL];
  return name ? `${slice.metadata.namespace}/${name}` : undefined;
}

import { describe, expect, it } from 'vitest';
import { describeIssues } from '../../src/k8s/invalid-object-reporter.ts';
import { endpointSliceSchema } from '../../src/k8s/objects/endpoint-slice.ts';
import { canonicalCidr, canonicalIp } from '../../src/k8s/objects/ip.ts';
import { nodeSchema } from '../../src/k8s/objects/node.ts';
import { serviceSchema } from '../../src/k8s/objects/service.ts';
import {
  endpointSliceObject,
  nodeObject,
  serviceObject,
} from '../../src/k8s/testing/object-builders.ts';
import type { z } from 'zod';

function problems(schema: z.ZodType, object: unknown): string {
  const parsed = schema.safeParse(object);
  return parsed.success ? 'valid' : describeIssues(parsed.error);
}

const web = () =>
  serviceObject({ name: 'web', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80 }] });

describe('object schemas', () => {
  it('write addresses in one canonical form', () => {
    expect(canonicalIp('FD00:0:0::0001')).toBe('fd00::1');
    expect(canonicalIp('10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('010.0.0.1')).toBeUndefined();
    expect(canonicalIp('fe80::1%eth0')).toBeUndefined();
    expect(canonicalCidr('FD00:10::/64')).toBe('fd00:10::/64');
    expect(canonicalCidr('10.0.0.0/33')).toBeUndefined();
  });

  it('accept what the API serves, with nulls as defaults and unknown fields dropped', () => {
    const raw = web();
    Object.assign(raw.spec as object, {
      externalIPs: null,
      sessionAffinity: null,
      healthCheckNodePort: 31000,
    });
    const service = serviceSchema.parse(raw);
    expect(service.spec.externalIPs).toEqual([]);
    expect(service.spec.sessionAffinity).toBe('None');
    expect('healthCheckNodePort' in service.spec).toBe(false);
  });

  it('name every problem of a bad Service', () => {
    const raw = web();
    const spec = raw.spec as { ports: { port: number; protocol: string }[]; clusterIPs: string[] };
    spec.ports[0]!.port = 70_000;
    spec.ports[0]!.protocol = 'QUIC';
    spec.clusterIPs = ['10.96.0.300'];
    delete (raw.metadata as { namespace?: string }).namespace;
    expect(problems(serviceSchema, raw)).toMatchInlineSnapshot(
      `"metadata.namespace: Invalid input: expected string, received undefined; spec.clusterIPs.0: not an IP address, "None" or "": '10.96.0.300'; spec.ports.0.protocol: Invalid option: expected one of "TCP"|"UDP"|"SCTP"; spec.ports.0.port: Too big: expected number to be <=65535"`,
    );
  });

  it('refuse an EndpointSlice with more endpoints than the API allows, or the wrong family', () => {
    const huge = endpointSliceObject({
      name: 'web-1',
      service: 'web',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: Array.from({ length: 1001 }, (_, i) => ({ ip: `10.1.${i >> 8}.${i & 255}` })),
    });
    expect(problems(endpointSliceSchema, huge)).toBe(
      'endpoints: Too big: expected array to have <=1000 items',
    );
    const mixed = endpointSliceObject({
      name: 'web-1',
      service: 'web',
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [{ ip: '10.1.0.1' }, { ip: 'fd00::1' }, { ip: 'pod.local' }],
    });
    expect(problems(endpointSliceSchema, mixed)).toBe(
      "endpoints.1.addresses: not an IPv4 address: 'fd00::1'; endpoints.2.addresses: not an IPv4 address: 'pod.local'",
    );
  });

  it('refuse a Node whose InternalIP is not an address, and keep Hostname entries as names', () => {
    expect(
      problems(
        nodeSchema,
        nodeObject({ name: 'n1', internalIPs: ['192.168.0.300'], podCIDRs: [] }),
      ),
    ).toBe("status.addresses.0: InternalIP is not an IP address: '192.168.0.300'");
    expect(
      problems(
        nodeSchema,
        nodeObject({ name: 'n1', internalIPs: ['192.168.0.3'], podCIDRs: ['10.244.0.0/24'] }),
      ),
    ).toBe('valid');
  });
});

import { z } from 'zod';
import { canonicalIp, ipAddress } from './ip.ts';
import { namespacedMeta, nullishTo, portNumber } from './meta.ts';

/** v1 Service, as far as Talaria reads it. IPs come out canonical; JSON nulls become defaults. */

export const serviceProtocol = z.enum(['TCP', 'UDP', 'SCTP']);

const servicePort = z.object({
  name: nullishTo(z.string(), ''),
  protocol: nullishTo(serviceProtocol, 'TCP'),
  port: portNumber,
  targetPort: z.union([z.int().min(1).max(65535), z.string().min(1)]).nullish(),
  nodePort: portNumber.nullish(),
});

/** "None" marks a headless Service; "" a ClusterIP not allocated yet. */
const clusterIp = z.string().transform((value, ctx) => {
  if (value === 'None' || value === '') return value;
  const canonical = canonicalIp(value);
  if (canonical === undefined) {
    ctx.addIssue({ code: 'custom', message: `not an IP address, "None" or "": '${value}'` });
    return z.NEVER;
  }
  return canonical;
});

const trafficPolicy = nullishTo(z.enum(['Cluster', 'Local']), 'Cluster');

const serviceSpec = z.object({
  type: nullishTo(z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']), 'ClusterIP'),
  clusterIP: nullishTo(clusterIp, ''),
  clusterIPs: nullishTo(z.array(clusterIp).max(2), []),
  externalIPs: nullishTo(z.array(ipAddress).max(64), []),
  // The API allows any number of ports; a thousand is far past any real Service.
  ports: nullishTo(z.array(servicePort).max(1000), []),
  selector: z.record(z.string(), z.string()).nullish(),
  sessionAffinity: nullishTo(z.enum(['None', 'ClientIP']), 'None'),
  sessionAffinityConfig: z
    .object({
      clientIP: z.object({ timeoutSeconds: z.int().min(1).max(86_400).nullish() }).nullish(),
    })
    .nullish(),
  externalTrafficPolicy: trafficPolicy,
  internalTrafficPolicy: trafficPolicy,
  publishNotReadyAddresses: nullishTo(z.boolean(), false),
});

const serviceStatus = z.object({
  loadBalancer: z
    .object({
      ingress: nullishTo(
        z.array(z.object({ ip: ipAddress.nullish(), hostname: z.string().nullish() })).max(64),
        [],
      ),
    })
    .nullish(),
});

export const serviceSchema = z.object({
  metadata: namespacedMeta,
  spec: serviceSpec,
  status: nullishTo(serviceStatus, {}),
});

export type Service = z.output<typeof serviceSchema>;
export type ServicePort = Service['spec']['ports'][number];

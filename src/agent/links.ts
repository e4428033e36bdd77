import { z } from 'zod';
import { runHostCommand } from './host-command.ts';

/** Network interfaces of the agent's network namespace, as `ip -j link` reports them. */

const linkSchema = z.object({
  ifindex: z.number().int(),
  ifname: z.string(),
  address: z.string().optional(),
  operstate: z.string(),
  mtu: z.number().int(),
  /** veth: the peer's ifindex (in the peer's namespace). */
  link_index: z.number().int().optional(),
});

export interface Link {
  readonly ifindex: number;
  readonly name: string;
  /** Lower-case MAC, '' for links without one. */
  readonly mac: string;
  /** 'UP', 'DOWN', 'LOWERLAYERDOWN', ... */
  readonly operState: string;
  readonly mtu: number;
  readonly peerIfindex?: number;
}

function toLink(raw: z.infer<typeof linkSchema>): Link {
  return {
    ifindex: raw.ifindex,
    name: raw.ifname,
    mac: (raw.address ?? '').toLowerCase(),
    operState: raw.operstate,
    mtu: raw.mtu,
    peerIfindex: raw.link_index,
  };
}

/** `argvPrefix` runs `ip` elsewhere, e.g. ['nsenter', '--net=/run/netns/pod'] for a pod. */
export async function listLinks(argvPrefix: readonly string[] = []): Promise<Link[]> {
  const { stdout } = await runHostCommand([...argvPrefix, 'ip', '-j', 'link', 'show']);
  const parsed = z.array(linkSchema).safeParse(JSON.parse(stdout));
  if (!parsed.success)
    throw new Error(`ip -j link show: unexpected output: ${parsed.error.message}`);
  return parsed.data.map(toLink);
}

export async function findLink(name: string, argvPrefix: readonly string[] = []): Promise<Link> {
  const link = (await listLinks(argvPrefix)).find((l) => l.name === name);
  if (!link) throw new Error(`no network interface named '${name}'`);
  return link;
}

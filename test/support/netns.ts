import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import {
  runHostCommand,
  type HostCommandOptions,
  type HostCommandResult,
} from '../../src/agent/host-command.ts';
import { findLink, type Link } from '../../src/agent/links.ts';

/**
 * Network namespaces for kernel-tier tests and benchmarks: hosts, pods and switches as
 * namespaces joined by veth pairs, commands and long-running processes inside them, and
 * removal of everything afterwards.
 *
 *   const lab = await NetnsLab.create('agent');
 *   const host = await lab.addNamespace('host1');          // 'tl-agent-<pid>-host1'
 *   await lab.addVethPair({ netns: host, name: 'uplink' }, { netns: sw, name: 'swp1' });
 *   await lab.exec(host, ['ip', 'addr']);
 *   afterAll(() => lab.cleanup());
 *
 * Names: namespaces are `tl-<tag>-<pid>-<name>`, so concurrent labs never meet and a lab
 * finds and removes what a crashed run of its tag left behind (its pid is gone). Interfaces
 * are created directly inside their namespaces, never in the caller's, so their names only
 * need to be unique per namespace (at most 15 characters). Only addresses inside these
 * namespaces are ever used.
 */

/** argv that runs `argv` inside the named namespace (network only: mounts stay as they are). */
export function inNetns(netns: string, argv: readonly string[]): string[] {
  return ['nsenter', `--net=/run/netns/${netns}`, ...argv];
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface VethEnd {
  readonly netns: string;
  readonly name: string;
  /** Default: the kernel's random one. */
  readonly mac?: string;
  /** Default 1500. */
  readonly mtu?: number;
}

export class NetnsLab {
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();

  private constructor(readonly prefix: string) {}

  /** A lab for one test file or benchmark; `tag` is short, [a-z0-9]. */
  static async create(tag: string): Promise<NetnsLab> {
    if (!/^[a-z0-9]{1,12}$/.test(tag))
      throw new Error(`NetnsLab tag '${tag}': use 1-12 of [a-z0-9]`);
    await NetnsLab.removeOrphans(tag);
    return new NetnsLab(`tl-${tag}-${process.pid}`);
  }

  /** Removes namespaces of `tag` whose creating process is gone. */
  private static async removeOrphans(tag: string): Promise<void> {
    const names = await readdir('/run/netns').catch(() => [] as string[]);
    const pattern = new RegExp(`^tl-${tag}-(\\d+)-`);
    for (const name of names) {
      const pid = pattern.exec(name)?.[1];
      if (pid !== undefined && !processAlive(Number(pid))) {
        await runHostCommand(['ip', 'netns', 'del', name]).catch(() => undefined);
      }
    }
  }

  /**
   * Creates a namespace with its loopback up; returns its full name. IPv6 is off unless
   * asked for, so links coming up send no router solicitations or MLD reports that a test
   * counting packets would have to tell apart from its own.
   */
  async addNamespace(name: string, options: { ipv6?: boolean } = {}): Promise<string> {
    const netns = `${this.prefix}-${name}`;
    await runHostCommand(['ip', 'netns', 'add', netns]);
    this.namespaces.push(netns);
    if (!options.ipv6) {
      await this.exec(netns, [
        'sysctl',
        '-qw',
        'net.ipv6.conf.all.disable_ipv6=1',
        'net.ipv6.conf.default.disable_ipv6=1',
      ]);
    }
    await this.exec(netns, ['ip', 'link', 'set', 'lo', 'up']);
    return netns;
  }

  /** Creates a veth pair between two namespaces (or within one) and sets both ends up. */
  async addVethPair(a: VethEnd, b: VethEnd): Promise<void> {
    await runHostCommand([
      'ip',
      '-n',
      a.netns,
      'link',
      'add',
      'name',
      a.name,
      ...(a.mac ? ['address', a.mac] : []),
      'type',
      'veth',
      'peer',
      'name',
      b.name,
      ...(b.mac ? ['address', b.mac] : []),
      'netns',
      b.netns,
    ]);
    for (const end of [a, b]) {
      if (end.mtu)
        await this.exec(end.netns, ['ip', 'link', 'set', end.name, 'mtu', String(end.mtu)]);
      await this.exec(end.netns, ['ip', 'link', 'set', end.name, 'up']);
    }
  }

  /** Runs a command to completion inside a namespace. */
  exec(
    netns: string,
    argv: readonly string[],
    options?: HostCommandOptions,
  ): Promise<HostCommandResult> {
    return runHostCommand(inNetns(netns, argv), options);
  }

  /** Runs a shell script inside a namespace (for `ip` sequences and sysctls). */
  sh(netns: string, script: string): Promise<HostCommandResult> {
    return this.exec(netns, ['sh', '-ec', script]);
  }

  /**
   * An interface of a namespace (ifindex, MAC, state). Asked with `ip`: /sys/class/net would
   * show the caller's namespace, since nsenter --net keeps the mount namespace and its sysfs.
   */
  link(netns: string, dev: string): Promise<Link> {
    return findLink(dev, inNetns(netns, []));
  }

  async mac(netns: string, dev: string): Promise<string> {
    return (await this.link(netns, dev)).mac;
  }

  /**
   * Starts a long-running process inside a namespace; cleanup() kills it if it is still
   * running. The caller bounds its lifetime as well (tool options, timeouts).
   */
  spawn(netns: string, argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const [file, ...args] = inNetns(netns, argv);
    const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Kills what the lab started and deletes its namespaces (and with them every interface). */
  async cleanup(): Promise<void> {
    await Promise.all([...this.children].map((child) => stopChild(child)));
    for (const netns of this.namespaces.splice(0).reverse()) {
      await runHostCommand(['ip', 'netns', 'del', netns]).catch(() => undefined);
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

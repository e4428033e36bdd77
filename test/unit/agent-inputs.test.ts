import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CniError, runCniPlugin } from '../../src/agent/cni-plugin.ts';
import {
  decodeConfig,
  decodeFlow,
  decodeLocalPod,
  decodeVip,
  encodeConfig,
  encodeFlowKey,
  encodeFlowValue,
  encodeLocalPodKey,
  encodeLocalPodValue,
  encodeVipKey,
  encodeVipValue,
} from '../../src/agent/datapath-maps.ts';
import { parseFrontendsFile, vipEntriesFromFrontends } from '../../src/agent/frontends-file.ts';
import { agentOptionsSchema } from '../../src/agent/node-agent.ts';
import {
  scanKernelPathRecords,
  scanPodRecords,
  writePodRecord,
} from '../../src/agent/pod-records.ts';
import { frontendKey, type Frontend } from '../../src/model/desired-state.ts';

/** What the agent reads from outside (options, files, CNI) and the map codecs. */

describe('map codecs', () => {
  it('round-trip every key and value, with addresses and ports in network order', () => {
    const config = {
      enabled: true,
      uplinkIfindex: 7,
      uplinkMac: '02:00:00:00:01:00',
      switchMac: '02:00:00:00:ff:01',
      tcpIdleTimeoutNs: 0n,
      udpIdleTimeoutNs: 120_000_000_000n,
    };
    expect(decodeConfig(encodeConfig(config))).toEqual(config);

    const vip = { addr: '10.96.0.10', port: 80, protocol: 'TCP' as const, offloaded: false };
    const vipKey = encodeVipKey(vip);
    expect(vipKey.toString('hex')).toBe('0a60000a0050' + '0600');
    expect(decodeVip(vipKey, encodeVipValue(vip))).toEqual(vip);

    const key = {
      clientAddr: '10.200.1.2',
      serverAddr: '10.96.0.10',
      clientPort: 40000,
      serverPort: 80,
      protocol: 'UDP' as const,
    };
    const cookie = { serviceId: 1001, slot: 2, keyEpoch: 9, tag: 0xdeadbeef };
    const flowKey = encodeFlowKey(key);
    expect(flowKey.toString('hex')).toBe('0ac801020a60000a9c400050' + '11000000');
    const flowValue = encodeFlowValue(cookie, 5n);
    expect(flowValue.subarray(0, 12).toString('hex')).toBe('000003e900020009deadbeef');
    expect(decodeFlow(flowKey, flowValue)).toEqual({ key, cookie, lastSeenNs: 5n });

    const pod = {
      addr: '10.200.1.2',
      hostIfindex: 12,
      podMac: '02:00:00:00:01:02',
      hostMac: '02:00:00:00:01:01',
    };
    expect(decodeLocalPod(encodeLocalPodKey(pod.addr), encodeLocalPodValue(pod))).toEqual(pod);
  });

  it('refuses what does not fit, naming the field', () => {
    expect(() => encodeVipKey({ addr: 'fd00::1', port: 80, protocol: 'TCP' })).toThrow(
      /vip address/,
    );
    expect(() =>
      encodeConfig({
        enabled: true,
        uplinkIfindex: 1,
        uplinkMac: '02:00:00:00:01',
        switchMac: '02:00:00:00:ff:01',
        tcpIdleTimeoutNs: 0n,
        udpIdleTimeoutNs: 0n,
      }),
    ).toThrow(/uplink mac/);
  });
});

describe('frontends file', () => {
  const frontend = (ip: string, port: number): Frontend => ({
    key: frontendKey(ip, 'TCP', port),
    ip,
    family: ip.includes(':') ? 6 : 4,
    protocol: 'TCP',
    port,
    kind: 'ClusterIP',
    service: { namespace: 'default', name: 'web', portName: 'http' },
    backends: [{ ip: '10.200.2.2', port: 8080, family: 4, state: 'active' }],
  });

  it('takes the model frontends as the controller writes them, IPv4 only, duplicates once', () => {
    const text = JSON.stringify({
      frontends: [frontend('10.96.0.10', 80), frontend('fd00::10', 80), frontend('10.96.0.10', 80)],
    });
    expect(parseFrontendsFile(text, 'f.json')).toEqual([
      { addr: '10.96.0.10', port: 80, protocol: 'TCP', offloaded: true },
    ]);
  });

  it('keeps a frontend marked not offloaded, with its flag clear', () => {
    expect(
      vipEntriesFromFrontends([{ ip: '10.96.0.30', protocol: 'UDP', port: 53, offloaded: false }]),
    ).toEqual([{ addr: '10.96.0.30', port: 53, protocol: 'UDP', offloaded: false }]);
  });

  it('names the file and the field of a bad entry', () => {
    expect(() =>
      parseFrontendsFile('{"frontends":[{"ip":"10.96.0.1","protocol":"SCTP","port":1}]}', 'f.json'),
    ).toThrow(/^f\.json: frontends\.0\.protocol: /);
    expect(() => parseFrontendsFile('nope', 'f.json')).toThrow(/^f\.json: not JSON/);
  });
});

describe('agent options', () => {
  it('defaults what is not given and lower-cases the MAC', () => {
    const options = agentOptionsSchema.parse({
      uplink: 'eth0',
      switchMac: '02:AA:00:00:00:01',
      frontends: '/f',
    });
    expect(options).toMatchObject({
      switchMac: '02:aa:00:00:00:01',
      bpffs: '/sys/fs/bpf',
      podsDir: '/run/talaria/pods',
      clientFlows: 65_536,
      halfOpenFlows: 16_384,
      udpIdleTimeoutSeconds: 120,
      tcpIdleTimeoutSeconds: 0,
    });
  });

  it('refuses sizes that are not positive integers and interface names the kernel would not take', () => {
    const base = { uplink: 'eth0', switchMac: '02:00:00:00:00:01', frontends: '/f' };
    expect(agentOptionsSchema.safeParse({ ...base, clientFlows: '0' }).success).toBe(false);
    expect(agentOptionsSchema.safeParse({ ...base, halfOpenFlows: '1.5' }).success).toBe(false);
    expect(
      agentOptionsSchema.safeParse({ ...base, uplink: 'a-very-long-interface-name' }).success,
    ).toBe(false);
  });
});

describe('pod records and the CNI plugin', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scans valid records and reports invalid files with what is wrong', async () => {
    dir = await mkdtemp(join(tmpdir(), 'talaria-pods-'));
    const record = {
      containerId: 'abc',
      ifName: 'eth0',
      netns: '/run/netns/x',
      podIp: '10.200.1.2',
      podMac: '02:00:00:00:01:02',
      hostIfname: 'lxc-x',
      hostIfindex: 5,
      hostMac: '02:00:00:00:01:01',
    };
    await writePodRecord(dir, record);
    await writeFile(join(dir, 'broken.json'), '{"containerId": 1}');
    await writeFile(join(dir, 'garbage.json'), 'not json');
    const scan = await scanPodRecords(dir);
    expect(scan.records).toEqual([record]);
    expect(scan.invalid.map((i) => i.problem)).toEqual([
      expect.stringMatching(/^containerId: /),
      expect.stringMatching(/^not JSON/),
    ]);
  });

  it('answers VERSION and refuses ADD without a previous result (it is a chained plugin)', async () => {
    const version = JSON.parse(
      await runCniPlugin({ env: { CNI_COMMAND: 'VERSION' }, stdin: '' }),
    ) as {
      supportedVersions: string[];
    };
    expect(version.supportedVersions).toContain('1.0.0');
    const add = runCniPlugin({
      env: {
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: 'c',
        CNI_NETNS: '/run/netns/x',
        CNI_IFNAME: 'eth0',
      },
      stdin: JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'talaria-cni' }),
    });
    await expect(add).rejects.toBeInstanceOf(CniError);
    await expect(add).rejects.toMatchObject({ code: 7 });
  });

  it('leaves the pod on the kernel path when ADD cannot finish, passing the result through', async () => {
    dir = await mkdtemp(join(tmpdir(), 'talaria-pods-'));
    const prevResult = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', sandbox: '/nonexistent/netns' }],
      ips: [{ address: '10.200.1.2/24', interface: 0 }],
      dns: {},
    };
    const config = {
      cniVersion: '1.0.0',
      name: 'n',
      type: 'talaria-cni',
      podsDir: dir,
      prevResult,
    };
    const env = {
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c1',
      CNI_NETNS: '/nonexistent/netns',
      CNI_IFNAME: 'eth0',
      // Neither nsenter nor ethtool can be found: as on a node without them.
      PATH: '/nonexistent',
    };
    const savedPath = process.env.PATH;
    process.env.PATH = env.PATH;
    let out: string;
    try {
      out = await runCniPlugin({ env, stdin: JSON.stringify(config) });
    } finally {
      process.env.PATH = savedPath;
    }
    expect(JSON.parse(out)).toEqual(prevResult);
    expect((await scanPodRecords(dir)).records).toEqual([]);
    const [fallback, ...more] = await scanKernelPathRecords(dir);
    expect(more).toEqual([]);
    expect(fallback).toMatchObject({ containerId: 'c1', ifName: 'eth0' });
    expect(fallback!.reason).toMatch(/nsenter/);
    // DEL forgets it.
    await runCniPlugin({ env: { ...env, CNI_COMMAND: 'DEL' }, stdin: JSON.stringify(config) });
    expect(await scanKernelPathRecords(dir)).toEqual([]);
  });

  it('DEL of an unknown pod succeeds (DEL is idempotent)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'talaria-pods-'));
    const out = await runCniPlugin({
      env: { CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'gone', CNI_IFNAME: 'eth0' },
      stdin: JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'talaria-cni', podsDir: dir }),
    });
    expect(out).toBe('');
  });
});

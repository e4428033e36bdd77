import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { P4RuntimeClient } from '../../src/p4rt/client.ts';
import { loadPipeline } from '../../src/softswitch/dataplane/load-pipeline.ts';
import { ServerTlsError } from '../../src/softswitch/p4runtime/server-tls.ts';
import { startSwitch, type RunningSwitch } from '../../src/softswitch/p4runtime/software-switch.ts';
import { makeTestCertificates, type TestCertificates } from '../support/test-certificates.ts';
import { commandExists } from '../support/tiers.ts';

/**
 * The embedded switch's P4Runtime server with TLS and mutual TLS, and the controller's
 * client against it, with certificates made by openssl for the test: a client with a
 * certificate the server's CA signed gets in; without one, with one from another CA, or in
 * plaintext, it does not.
 */

const openssl = commandExists('openssl');
const describeWithOpenssl = openssl
  ? describe
  : (name: string, body: () => void) => describe.skip(`${name} [skipped: needs openssl]`, body);

describeWithOpenssl('P4Runtime over TLS and mutual TLS', () => {
  let certs: TestCertificates;
  let mutual: RunningSwitch;
  let serverOnly: RunningSwitch;
  const clients: P4RuntimeClient[] = [];

  const client = (
    address: string,
    tls?: ConstructorParameters<typeof P4RuntimeClient>[0]['tls'],
  ) => {
    const c = new P4RuntimeClient({
      address,
      deviceId: 1n,
      electionId: 1n,
      rpcTimeoutMs: 5_000,
      ...(tls ? { tls } : {}),
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    certs = await makeTestCertificates();
    mutual = await startSwitch({
      deviceId: 1n,
      grpcAddress: '127.0.0.1:0',
      ports: [],
      loadPipeline,
      tls: { cert: certs.server.cert, key: certs.server.key, clientCa: certs.ca.cert },
    });
    serverOnly = await startSwitch({
      deviceId: 1n,
      grpcAddress: '127.0.0.1:0',
      ports: [],
      loadPipeline,
      tls: { cert: certs.server.cert, key: certs.server.key },
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await mutual?.stop();
    await serverOnly?.stop();
    await certs?.remove();
  });

  it('a client with a certificate the CA signed is served, and becomes primary over the stream', async () => {
    const c = client(mutual.address, {
      rootCerts: certs.ca.cert,
      certChain: certs.client.cert,
      privateKey: certs.client.key,
    });
    expect(await c.capabilities()).toBe('1.5.0');
    c.start();
    await c.waitForPrimary(10_000);
    expect(c.state).toBe('primary');
  });

  it('a client without a certificate is refused by the mutual TLS server', async () => {
    const c = client(mutual.address, { rootCerts: certs.ca.cert });
    await expect(c.capabilities()).rejects.toThrow(/UNAVAILABLE|14/);
  });

  it('a client with a certificate from another CA is refused', async () => {
    const c = client(mutual.address, {
      rootCerts: certs.ca.cert,
      certChain: certs.rogueClient.cert,
      privateKey: certs.rogueClient.key,
    });
    await expect(c.capabilities()).rejects.toThrow(/UNAVAILABLE|14/);
  });

  it('a plaintext client gets nothing from a TLS server', async () => {
    await expect(client(mutual.address).capabilities()).rejects.toThrow(/UNAVAILABLE|14/);
    await expect(client(serverOnly.address).capabilities()).rejects.toThrow(/UNAVAILABLE|14/);
  });

  it('a TLS client refuses a server whose certificate its CA did not sign', async () => {
    const c = client(serverOnly.address, { rootCerts: certs.rogueClient.cert });
    await expect(c.capabilities()).rejects.toThrow(/UNAVAILABLE|14/);
  });

  it('server TLS without mutual TLS serves a client that verifies it', async () => {
    expect(await client(serverOnly.address, { rootCerts: certs.ca.cert }).capabilities()).toBe(
      '1.5.0',
    );
  });

  it('talaria status talks mutual TLS with --tls-ca, --tls-cert and --tls-key', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const code = await main([
      'status',
      '--switch',
      mutual.address,
      '--tls-ca',
      certs.ca.certFile,
      '--tls-cert',
      certs.client.certFile,
      '--tls-key',
      certs.client.keyFile,
    ]);
    vi.restoreAllMocks();
    // It got an answer: the switch has no pipeline yet.
    expect(code).toBe(1);
    expect(errors.join('\n')).toContain('has no pipeline');
  });

  it('refuses TLS material that is not PEM, before listening', async () => {
    await expect(
      startSwitch({
        deviceId: 1n,
        grpcAddress: '127.0.0.1:0',
        ports: [],
        loadPipeline,
        tls: { cert: 'not a certificate', key: certs.server.key },
      }),
    ).rejects.toThrow(ServerTlsError);
  });
});

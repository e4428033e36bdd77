import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Real X.509 certificates for TLS tests, made with the openssl CLI in a temp directory: a
 * CA, a server certificate for 127.0.0.1 / localhost and client certificates signed by it,
 * and a second, untrusted CA with a client certificate of its own.
 */

const run = promisify(execFile);

export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestCertificates {
  readonly dir: string;
  readonly ca: KeyPair;
  readonly server: KeyPair;
  readonly client: KeyPair;
  /** A client certificate signed by a CA the server does not trust. */
  readonly rogueClient: KeyPair;
  remove(): Promise<void>;
}

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 30_000 });
}

async function pair(dir: string, name: string): Promise<KeyPair> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  return { cert: await readFile(certFile), key: await readFile(keyFile), certFile, keyFile };
}

async function selfSignedCa(dir: string, name: string): Promise<KeyPair> {
  await openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ]);
  return pair(dir, name);
}

async function signed(dir: string, name: string, ca: string, extensions: string): Promise<KeyPair> {
  await openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  ]);
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  ]);
  return pair(dir, name);
}

export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'talaria-certs-'));
  try {
    const ca = await selfSignedCa(dir, 'ca');
    const server = await signed(
      dir,
      'server',
      'ca',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
    const client = await signed(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth\n');
    await selfSignedCa(dir, 'rogue-ca');
    const rogueClient = await signed(
      dir,
      'rogue-client',
      'rogue-ca',
      'extendedKeyUsage=clientAuth\n',
    );
    return {
      dir,
      ca,
      server,
      client,
      rogueClient,
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

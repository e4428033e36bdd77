import { readFile } from 'node:fs/promises';
import { ServerCredentials } from '@grpc/grpc-js';
import { z } from 'zod';
import { describeFirstIssue } from '../../validation/zod-issue.ts';

/**
 * TLS of the embedded switch's P4Runtime server (docs/operations.md, "Keys and
 * certificates"): a certificate and its key serve TLS; a CA besides makes it mutual TLS, and
 * then only clients with a certificate that CA signed get past the handshake (the tag key
 * can be read over P4Runtime, so who may connect is who may speak for every Service).
 */

const pem = (what: string) =>
  z
    .union([z.instanceof(Buffer), z.string().min(1)])
    .transform((v) => Buffer.from(v))
    .refine((v) => v.includes('-----BEGIN '), `${what} is not PEM (no -----BEGIN line)`);

export const serverTlsSchema = z
  .object({
    /** The server's certificate chain, PEM. */
    cert: pem('cert'),
    /** Its private key, PEM. */
    key: pem('key'),
    /** CA certificates that sign client certificates, PEM: present, mutual TLS. */
    clientCa: pem('clientCa').optional(),
  })
  .strict();

export type ServerTls = z.input<typeof serverTlsSchema>;

export class ServerTlsError extends Error {
  override readonly name = 'ServerTlsError';
}

/** gRPC server credentials for `tls`; plaintext when it is undefined. */
export function serverCredentials(tls: ServerTls | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  const parsed = serverTlsSchema.safeParse(tls);
  if (!parsed.success)
    throw new ServerTlsError(`P4Runtime server TLS: ${describeFirstIssue(parsed.error, 'tls')}`);
  const { cert, key, clientCa } = parsed.data;
  return ServerCredentials.createSsl(
    clientCa ?? null,
    [{ cert_chain: cert, private_key: key }],
    clientCa !== undefined,
  );
}

/** Reads the PEM files of `talaria switch --tls-cert/--tls-key/--tls-client-ca`. */
export async function readServerTlsFiles(files: {
  readonly cert: string;
  readonly key: string;
  readonly clientCa?: string | undefined;
}): Promise<ServerTls> {
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new ServerTlsError(`cannot read the ${what} ${path}: ${(error as Error).message}`);
    }
  };
  return {
    cert: await read(files.cert, 'certificate'),
    key: await read(files.key, 'private key'),
    ...(files.clientCa ? { clientCa: await read(files.clientCa, 'client CA') } : {}),
  };
}

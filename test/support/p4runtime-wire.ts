import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, credentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/**
 * The P4Runtime schema as the tests read it, independently of src/p4rt/schema.ts (which the
 * embedded server uses): protobufjs reflection over the .proto files in proto/ and the
 * google/rpc ones of google-proto-files, and a gRPC client whose methods are looked up on the
 * reflected p4.v1.P4Runtime service. A bug in how the project loads, encodes or decodes the
 * schema then shows up as a disagreement instead of cancelling itself out.
 *
 * Messages are plain objects in the conventions the generated types describe: camelCase
 * keys, 64-bit integers as decimal strings, enums as names, bytes as Buffer, and a property
 * naming the set member of each oneof.
 */

const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));
const GOOGLE_DIR = path.dirname(
  createRequire(import.meta.url).resolve('google-proto-files/package.json'),
);

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: false,
  oneofs: true,
};

let root: protobuf.Root | undefined;

function schema(): protobuf.Root {
  if (root) return root;
  const loaded = new protobuf.Root();
  loaded.resolvePath = (_origin, target) =>
    path.isAbsolute(target)
      ? target
      : path.join(target.startsWith('google/') ? GOOGLE_DIR : PROTO_DIR, target);
  loaded.loadSync('p4/v1/p4runtime.proto');
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

function type(name: string): protobuf.Type {
  return schema().lookupType(name);
}

export function encodeWire(typeName: string, value: object): Buffer {
  const t = type(typeName);
  return Buffer.from(t.encode(t.fromObject(value)).finish());
}

export function decodeWire<T>(typeName: string, bytes: Uint8Array): T {
  const t = type(typeName);
  return t.toObject(t.decode(bytes), TO_OBJECT) as T;
}

/** Unpacks a google.protobuf.Any that must hold `typeName`. */
export function unpackWireAny<T>(
  any: { type_url?: string; value?: Uint8Array },
  typeName: string,
): T {
  const url = any.type_url ?? '';
  if (url.slice(url.lastIndexOf('/') + 1) !== typeName) {
    throw new Error(`google.protobuf.Any holds "${url}", expected ${typeName}`);
  }
  return decodeWire<T>(typeName, any.value ?? Buffer.alloc(0));
}

interface MethodCodec {
  readonly path: string;
  readonly serialize: (value: object) => Buffer;
  readonly deserialize: (bytes: Buffer) => unknown;
}

/** A P4Runtime gRPC client built from the reflected service, each RPC by its .proto name. */
export class P4RuntimeWireClient {
  private readonly client: Client;
  private readonly methods = new Map<string, MethodCodec>();

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    });
    const service = schema().lookupService('p4.v1.P4Runtime');
    for (const method of service.methodsArray) {
      method.resolve();
      const request = method.resolvedRequestType!;
      const response = method.resolvedResponseType!;
      this.methods.set(method.name, {
        path: `/${service.fullName.slice(1)}/${method.name}`,
        serialize: (value) => encodeWire(request.fullName.slice(1), value),
        deserialize: (bytes) => decodeWire(response.fullName.slice(1), bytes),
      });
    }
  }

  private method(name: string): MethodCodec {
    const found = this.methods.get(name);
    if (!found) throw new Error(`p4.v1.P4Runtime has no method ${name}`);
    return found;
  }

  unary<Response>(
    name: string,
    request: object,
    callback: (error: ServiceError | null, response?: Response) => void,
  ): void {
    const { path: methodPath, serialize, deserialize } = this.method(name);
    this.client.makeUnaryRequest(
      methodPath,
      serialize,
      deserialize as (bytes: Buffer) => Response,
      request,
      callback,
    );
  }

  serverStream<Response>(name: string, request: object) {
    const { path: methodPath, serialize, deserialize } = this.method(name);
    return this.client.makeServerStreamRequest(
      methodPath,
      serialize,
      deserialize as (bytes: Buffer) => Response,
      request,
    );
  }

  bidiStream<Request extends object, Response>(
    name: string,
  ): ClientDuplexStream<Request, Response> {
    const { path: methodPath, serialize, deserialize } = this.method(name);
    return this.client.makeBidiStreamRequest(
      methodPath,
      serialize,
      deserialize as (bytes: Buffer) => Response,
    );
  }

  close(): void {
    this.client.close();
  }
}

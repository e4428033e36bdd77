// The one place that loads the P4Runtime schema (proto/, see docs/proto.md). Everyone codes
// against PROTO_LOADER_OPTIONS: the generated types in ./generated/ describe exactly the
// plain objects these options produce (camelCase keys, 64-bit integers as decimal strings,
// enums as names, bytes as Buffer, a virtual property naming the set member of each oneof).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { Any, Any__Output } from './generated/google/protobuf/Any.ts';
import type { ProtoGrpcType } from './generated/p4runtime.ts';

/** Our proto/ tree, found from this file so that any working directory works. */
export const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

/** google/rpc/*.proto come from the google-proto-files package, never copied into proto/. */
export const GOOGLE_PROTO_DIR = path.dirname(
  createRequire(import.meta.url).resolve('google-proto-files/package.json'),
);

/** Entry file; it imports the rest of the schema. */
export const P4RUNTIME_PROTO_FILE = 'p4/v1/p4runtime.proto';

export const PROTO_LOADER_OPTIONS = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR, GOOGLE_PROTO_DIR],
}) satisfies protoLoader.Options;

const ANY_TYPE_URL_PREFIX = 'type.googleapis.com/';

export type P4RuntimeServiceClientConstructor = ProtoGrpcType['p4']['v1']['P4Runtime'];

let packageDefinition: protoLoader.PackageDefinition | undefined;
let grpcObject: ProtoGrpcType | undefined;
let reflectionRoot: protobuf.Root | undefined;
let protoNamedRoot: protobuf.Root | undefined;

/** The proto-loader package definition of the whole schema (loaded once). */
export function p4RuntimePackageDefinition(): protoLoader.PackageDefinition {
  packageDefinition ??= protoLoader.loadSync(P4RUNTIME_PROTO_FILE, {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [...PROTO_LOADER_OPTIONS.includeDirs],
  });
  return packageDefinition;
}

/** The grpc-js object tree for the schema, typed by the generated ProtoGrpcType. */
export function p4RuntimeGrpcObject(): ProtoGrpcType {
  grpcObject ??= grpc.loadPackageDefinition(
    p4RuntimePackageDefinition(),
  ) as unknown as ProtoGrpcType;
  return grpcObject;
}

/**
 * `p4.v1.P4Runtime`: construct it for a client (`new P4Runtime(address, credentials)`); its
 * `.service` is what `grpc.Server.addService` takes.
 */
export function p4RuntimeService(): P4RuntimeServiceClientConstructor {
  return p4RuntimeGrpcObject().p4.v1.P4Runtime;
}

function loadRoot(keepCase: boolean): protobuf.Root {
  const root = new protobuf.Root();
  // Resolve imports the way proto-loader does: first include directory that has the file.
  // google/protobuf/*.proto are taken from protobufjs's bundled copies before this runs.
  root.resolvePath = (_origin, target) => {
    if (path.isAbsolute(target)) return target;
    return path.join(target.startsWith('google/') ? GOOGLE_PROTO_DIR : PROTO_DIR, target);
  };
  root.loadSync(P4RUNTIME_PROTO_FILE, { keepCase });
  root.resolveAll();
  return root;
}

/** protobufjs reflection of the schema, with the same camelCase field names proto-loader uses. */
export function schemaRoot(): protobuf.Root {
  reflectionRoot ??= loadRoot(PROTO_LOADER_OPTIONS.keepCase);
  return reflectionRoot;
}

/** The reflected message type, e.g. `messageType('p4.v1.WriteRequest')`. */
export function messageType(fullName: string): protobuf.Type {
  const found = schemaRoot().lookup(fullName);
  if (!(found instanceof protobuf.Type)) {
    throw new Error(`unknown protobuf message type "${fullName}"`);
  }
  return found;
}

/**
 * The field's name as written in the .proto file (snake_case), which protobuf text format
 * uses; the reflection root only knows the camelCase name.
 */
export function protoFieldName(field: protobuf.FieldBase): string {
  const parent = field.parent;
  if (!(parent instanceof protobuf.Type)) {
    throw new Error(`field "${field.name}" does not belong to a message type`);
  }
  protoNamedRoot ??= loadRoot(true);
  const original = protoNamedRoot.lookupType(parent.fullName).fieldsById[field.id];
  if (original === undefined) {
    throw new Error(`field ${field.id} of ${parent.fullName} missing from the schema`);
  }
  return original.name;
}

/** Converts a protobufjs message into the plain object shape of PROTO_LOADER_OPTIONS. */
export function toPlainObject<T>(type: protobuf.Type, message: protobuf.Message): T {
  return type.toObject(message, PROTO_LOADER_OPTIONS) as T;
}

/** Encodes a plain object (as proto-loader's serializer does: fromObject, then encode). */
export function encodeMessage(typeName: string, value: object): Buffer {
  const type = messageType(typeName);
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

/** Decodes bytes into the plain object shape of PROTO_LOADER_OPTIONS. */
export function decodeMessage<T>(typeName: string, bytes: Uint8Array): T {
  const type = messageType(typeName);
  return toPlainObject<T>(type, type.decode(bytes));
}

/** Packs a message into google.protobuf.Any, e.g. p4.v1.Error into google.rpc.Status.details. */
export function packAny(typeName: string, value: object): Any & Any__Output {
  return { type_url: ANY_TYPE_URL_PREFIX + typeName, value: encodeMessage(typeName, value) };
}

/** The full message name an Any carries (the part of type_url after the last '/'). */
export function anyTypeName(any: Any__Output): string {
  const typeUrl = any.type_url ?? '';
  const slash = typeUrl.lastIndexOf('/');
  if (slash < 0 || slash === typeUrl.length - 1) {
    throw new Error(`google.protobuf.Any has no usable type_url ("${typeUrl}")`);
  }
  return typeUrl.slice(slash + 1);
}

/**
 * Unpacks an Any into a plain object. With `expectedTypeName`, an Any of another type is an
 * error naming both types.
 */
export function unpackAny<T>(any: Any__Output, expectedTypeName?: string): T {
  const typeName = anyTypeName(any);
  if (expectedTypeName !== undefined && typeName !== expectedTypeName) {
    throw new Error(`google.protobuf.Any holds ${typeName}, expected ${expectedTypeName}`);
  }
  return decodeMessage<T>(typeName, any.value ?? Buffer.alloc(0));
}

// Protobuf text format (what p4c writes to *.p4info.txtpb), parsed and printed through the
// reflection types of schema.ts. Parsing yields the same plain objects proto-loader gives
// with PROTO_LOADER_OPTIONS (camelCase keys, 64-bit integers as decimal strings, enums by
// name, bytes as Buffer, oneof virtual properties), so text and wire input look alike.
// Not supported (P4Info does not use them): extensions, expanded Any, float and double.
import protobuf from 'protobufjs';
import type { P4Info__Output } from './generated/p4/config/v1/P4Info.ts';
import { messageType, protoFieldName } from './schema.ts';

/** A syntax or schema error, with the 1-based line and column where it was found. */
export class TextFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${message}`);
    this.name = 'TextFormatError';
  }
}

type TokenKind = 'identifier' | 'integer' | 'string' | 'symbol' | 'end';

interface Token {
  kind: TokenKind;
  /** Source text; for strings, the contents with escapes resolved, as bytes. */
  text: string;
  bytes?: Buffer;
  line: number;
  column: number;
}

const SYMBOLS = new Set(['{', '}', '<', '>', '[', ']', ':', ',', ';']);
const SIMPLE_ESCAPES: Record<string, number> = {
  n: 0x0a,
  t: 0x09,
  r: 0x0d,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  v: 0x0b,
  '\\': 0x5c,
  "'": 0x27,
  '"': 0x22,
  '?': 0x3f,
};

class Tokenizer {
  private offset = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly source: string) {}

  next(): Token {
    this.skipSpaceAndComments();
    const line = this.line;
    const column = this.offset - this.lineStart + 1;
    const start = this.offset;
    const ch = this.source[this.offset];
    if (ch === undefined) return { kind: 'end', text: 'end of input', line, column };
    if (SYMBOLS.has(ch)) {
      this.offset++;
      return { kind: 'symbol', text: ch, line, column };
    }
    if (ch === '"' || ch === "'") {
      const bytes = this.readString(ch, line, column);
      return { kind: 'string', text: this.source.slice(start, this.offset), bytes, line, column };
    }
    const word = this.take(/-?[A-Za-z0-9_.+]+/y);
    if (word === '') throw new TextFormatError(`unexpected character '${ch}'`, line, column);
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(word))
      return { kind: 'identifier', text: word, line, column };
    if (/^-?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(word)) {
      return { kind: 'integer', text: word, line, column };
    }
    throw new TextFormatError(`invalid token '${word}'`, line, column);
  }

  /** Consumes what the sticky `pattern` matches at the current offset ('' if nothing). */
  private take(pattern: RegExp): string {
    pattern.lastIndex = this.offset;
    const matched = pattern.exec(this.source)?.[0] ?? '';
    this.offset += matched.length;
    return matched;
  }

  private skipSpaceAndComments(): void {
    for (;;) {
      const ch = this.source[this.offset];
      if (ch === '\n') {
        this.offset++;
        this.line++;
        this.lineStart = this.offset;
      } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
        this.offset++;
      } else if (ch === '#') {
        while (this.offset < this.source.length && this.source[this.offset] !== '\n') this.offset++;
      } else {
        return;
      }
    }
  }

  private readString(quote: string, line: number, column: number): Buffer {
    const chunks: Buffer[] = [];
    const plainRun = quote === '"' ? /[^"\\\n]+/y : /[^'\\\n]+/y;
    this.offset++;
    for (;;) {
      const plain = this.take(plainRun);
      if (plain !== '') chunks.push(Buffer.from(plain, 'utf8'));
      const ch = this.source[this.offset];
      if (ch === undefined || ch === '\n') {
        throw new TextFormatError('unterminated string', line, column);
      }
      this.offset++;
      if (ch === quote) return Buffer.concat(chunks);
      chunks.push(Buffer.from(this.readEscape(line)));
    }
  }

  private readEscape(line: number): number[] {
    const escapeColumn = this.offset - this.lineStart;
    const ch = this.source[this.offset] ?? '';
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) {
      this.offset++;
      return [simple];
    }
    if (/[0-7]/.test(ch)) {
      const value = parseInt(this.take(/[0-7]{1,3}/y), 8);
      if (value > 0xff) throw new TextFormatError('octal escape above \\377', line, escapeColumn);
      return [value];
    }
    if (ch === 'x' || ch === 'X') {
      this.offset++;
      const digits = this.take(/[0-9a-fA-F]{1,2}/y);
      if (digits === '') throw new TextFormatError('\\x needs hex digits', line, escapeColumn);
      return [parseInt(digits, 16)];
    }
    if (ch === 'u' || ch === 'U') {
      this.offset++;
      const digits = this.take(ch === 'u' ? /[0-9a-fA-F]{4}/y : /[0-9a-fA-F]{8}/y);
      const codePoint = parseInt(digits, 16);
      if (digits === '' || codePoint > 0x10ffff) {
        throw new TextFormatError(`bad \\${ch} escape`, line, escapeColumn);
      }
      return [...Buffer.from(String.fromCodePoint(codePoint), 'utf8')];
    }
    throw new TextFormatError(`unknown escape '\\${ch}' in string`, line, escapeColumn);
  }
}

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const LONG_TYPES = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

function integerLiteral(text: string): bigint {
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  const magnitude = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  return negative ? -magnitude : magnitude;
}

const fieldsByProtoName = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

function fieldByProtoName(type: protobuf.Type, name: string): protobuf.Field | undefined {
  let fields = fieldsByProtoName.get(type);
  if (fields === undefined) {
    fields = new Map(type.fieldsArray.map((f) => [protoFieldName(f), f]));
    fieldsByProtoName.set(type, fields);
  }
  return fields.get(name);
}

/** Map fields are reflected as a message with fields `key` and `value` in text format. */
interface MapEntry {
  key: string;
  value: unknown;
}

class Parser {
  private token: Token;

  constructor(private readonly tokens: Tokenizer) {
    this.token = tokens.next();
  }

  parseDocument(type: protobuf.Type): Record<string, unknown> {
    const message = this.parseFields(type, undefined);
    if (this.token.kind !== 'end') this.fail(`expected a field name, found '${this.token.text}'`);
    return message;
  }

  private fail(message: string, at: Token = this.token): never {
    throw new TextFormatError(message, at.line, at.column);
  }

  private advance(): Token {
    const current = this.token;
    this.token = this.tokens.next();
    return current;
  }

  private accept(symbol: string): boolean {
    if (this.token.kind !== 'symbol' || this.token.text !== symbol) return false;
    this.advance();
    return true;
  }

  private expect(symbol: string): void {
    if (!this.accept(symbol)) this.fail(`expected '${symbol}', found '${this.token.text}'`);
  }

  /** Fields up to `close` (or the end of input at top level), in the type's field order. */
  private parseFields(type: protobuf.Type, close: string | undefined): Record<string, unknown> {
    const values = new Map<protobuf.Field, unknown>();
    const oneofOwners = new Map<protobuf.OneOf, protobuf.Field>();
    while (!(close === undefined ? this.token.kind === 'end' : this.accept(close))) {
      const nameToken = this.advance();
      if (nameToken.kind !== 'identifier') {
        this.fail(
          nameToken.kind === 'end'
            ? `expected '${close}' before end of input`
            : `expected a field name of ${type.fullName.slice(1)}, found '${nameToken.text}'`,
          nameToken,
        );
      }
      const field = fieldByProtoName(type, nameToken.text);
      if (field === undefined) {
        this.fail(`${type.fullName.slice(1)} has no field '${nameToken.text}'`, nameToken);
      }
      field.resolve();
      const repeated = field.repeated || field.map;
      if (!repeated && values.has(field)) {
        this.fail(`field '${nameToken.text}' is set more than once`, nameToken);
      }
      const oneof = field.partOf;
      if (oneof) {
        const owner = oneofOwners.get(oneof);
        if (owner !== undefined && owner !== field) {
          this.fail(
            `'${nameToken.text}' and '${protoFieldName(owner)}' are both in oneof '${oneof.name}'`,
            nameToken,
          );
        }
        oneofOwners.set(oneof, field);
      }
      const parsed = this.parseFieldValues(field);
      if (repeated) {
        const list = values.get(field) as unknown[] | undefined;
        if (list === undefined) values.set(field, parsed);
        else list.push(...parsed);
      } else {
        values.set(field, parsed[0]);
      }
      if (!this.accept(',')) this.accept(';');
    }
    return this.assemble(type, values);
  }

  /** One value, or several for `name: [a, b]` on a repeated field. */
  private parseFieldValues(field: protobuf.Field): unknown[] {
    const isMessage = field.resolvedType instanceof protobuf.Type || field.map;
    const hadColon = this.accept(':');
    if (!hadColon && !isMessage) this.fail(`expected ':' after '${protoFieldName(field)}'`);
    if ((field.repeated || field.map) && this.accept('[')) {
      const list: unknown[] = [];
      if (this.accept(']')) return list;
      do list.push(this.parseValue(field));
      while (this.accept(','));
      this.expect(']');
      return list;
    }
    return [this.parseValue(field)];
  }

  private parseValue(field: protobuf.Field): unknown {
    if (field instanceof protobuf.MapField) return this.parseMapEntry(field);
    const type = field.resolvedType;
    if (type instanceof protobuf.Type) return this.parseMessageBody(type);
    if (type instanceof protobuf.Enum) return this.parseEnum(type);
    return this.parseScalar(field.type, protoFieldName(field));
  }

  private parseMessageBody(type: protobuf.Type): Record<string, unknown> {
    if (this.accept('{')) return this.parseFields(type, '}');
    if (this.accept('<')) return this.parseFields(type, '>');
    return this.fail(`expected '{' to open ${type.fullName.slice(1)}, found '${this.token.text}'`);
  }

  private parseMapEntry(field: protobuf.MapField): MapEntry {
    const start = this.token;
    const close = this.accept('{') ? '}' : this.accept('<') ? '>' : undefined;
    if (close === undefined)
      this.fail(`expected '{' to open a '${protoFieldName(field)}' map entry`);
    let key: string | undefined;
    let value: unknown;
    while (!this.accept(close)) {
      const nameToken = this.advance();
      if (nameToken.text === 'key' && key === undefined) {
        this.expect(':');
        key = String(this.parseScalar(field.keyType, 'key'));
      } else if (nameToken.text === 'value' && value === undefined) {
        const valueType = field.resolvedType;
        if (valueType instanceof protobuf.Type) {
          this.accept(':');
          value = this.parseMessageBody(valueType);
        } else {
          this.expect(':');
          value =
            valueType instanceof protobuf.Enum
              ? this.parseEnum(valueType)
              : this.parseScalar(field.type, 'value');
        }
      } else {
        this.fail(`expected 'key' or 'value' (each once) in a map entry`, nameToken);
      }
      if (!this.accept(',')) this.accept(';');
    }
    if (key === undefined) this.fail(`map entry of '${protoFieldName(field)}' has no key`, start);
    return { key, value };
  }

  private parseEnum(type: protobuf.Enum): string | number {
    const token = this.advance();
    if (token.kind === 'identifier') {
      if (type.values[token.text] === undefined) {
        this.fail(`'${token.text}' is not a value of enum ${type.fullName.slice(1)}`, token);
      }
      return token.text;
    }
    if (token.kind === 'integer') {
      const number = this.checkedInteger(token, 'int32');
      // Open enums keep unknown numbers, as protobufjs's toObject does.
      return type.valuesById[Number(number)] ?? Number(number);
    }
    return this.fail(`expected a value of enum ${type.fullName.slice(1)}`, token);
  }

  private checkedInteger(token: Token, type: string): bigint {
    const value = integerLiteral(token.text);
    const [min, max] = INTEGER_RANGES[type] ?? [0n, 0n];
    if (value < min || value > max) this.fail(`${token.text} is out of range for ${type}`, token);
    return value;
  }

  private parseScalar(type: string, fieldName: string): unknown {
    const token = this.advance();
    if (type === 'string' || type === 'bytes') {
      if (token.kind !== 'string') this.fail(`expected a quoted string for '${fieldName}'`, token);
      const parts = [token.bytes ?? Buffer.alloc(0)];
      // Adjacent string literals concatenate.
      while (this.token.kind === 'string') parts.push(this.advance().bytes ?? Buffer.alloc(0));
      const bytes = Buffer.concat(parts);
      return type === 'bytes' ? bytes : bytes.toString('utf8');
    }
    if (type === 'bool') {
      if (['true', 't', 'True', '1'].includes(token.text)) return true;
      if (['false', 'f', 'False', '0'].includes(token.text)) return false;
      return this.fail(`expected true or false for '${fieldName}', found '${token.text}'`, token);
    }
    if (INTEGER_RANGES[type] !== undefined) {
      if (token.kind !== 'integer') {
        this.fail(`expected an integer for '${fieldName}', found '${token.text}'`, token);
      }
      const value = this.checkedInteger(token, type);
      return LONG_TYPES.has(type) ? value.toString() : Number(value);
    }
    return this.fail(`field '${fieldName}' has unsupported type ${type}`, token);
  }

  /** Builds the toObject shape: declaration order, oneof name after its member, maps as objects. */
  private assemble(
    type: protobuf.Type,
    values: Map<protobuf.Field, unknown>,
  ): Record<string, unknown> {
    const message: Record<string, unknown> = {};
    for (const field of type.fieldsArray) {
      if (!values.has(field)) continue;
      const value = values.get(field);
      if (field.map) {
        message[field.name] = Object.fromEntries(
          (value as MapEntry[]).map((entry) => [entry.key, entry.value]),
        );
      } else {
        message[field.name] = value;
      }
      if (field.partOf) message[field.partOf.name] = field.name;
    }
    return message;
  }
}

function resolveType(type: string | protobuf.Type): protobuf.Type {
  return typeof type === 'string' ? messageType(type) : type;
}

/**
 * Parses protobuf text format as message `type` (a full name such as
 * 'p4.config.v1.P4Info', or a reflected type). Throws TextFormatError.
 */
export function parseTextFormat<T = Record<string, unknown>>(
  type: string | protobuf.Type,
  text: string,
): T {
  return new Parser(new Tokenizer(text)).parseDocument(resolveType(type)) as T;
}

/** Parses a P4Info in text format, as p4c writes it with `--p4runtime-files x.p4info.txtpb`. */
export function parseP4InfoText(text: string): P4Info__Output {
  return parseTextFormat<P4Info__Output>('p4.config.v1.P4Info', text);
}

function quoteBytes(bytes: Uint8Array): string {
  let out = '"';
  for (const byte of bytes) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === 0x09) out += '\\t';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += '\\' + byte.toString(8).padStart(3, '0');
  }
  return out + '"';
}

class Printer {
  private readonly lines: string[] = [];

  print(type: protobuf.Type, message: object, depth: number, path: string): void {
    const fieldsByName = type.fields;
    const oneofNames = new Set(Object.keys(type.oneofs ?? {}));
    for (const key of Object.keys(message)) {
      if (fieldsByName[key] === undefined && !oneofNames.has(key)) {
        throw new Error(`${path}: ${type.fullName.slice(1)} has no field '${key}'`);
      }
    }
    const record = message as Record<string, unknown>;
    for (const field of type.fieldsArray) {
      const value = record[field.name];
      if (value === undefined || value === null) continue;
      field.resolve();
      const name = protoFieldName(field);
      const fieldPath = `${path}.${name}`;
      if (field instanceof protobuf.MapField) {
        for (const [key, entryValue] of Object.entries(value as Record<string, unknown>)) {
          this.line(depth, `${name} {`);
          this.line(depth + 1, `key: ${this.scalar(field.keyType, key)}`);
          this.printValue(field, 'value', entryValue, depth + 1, `${fieldPath}[${key}]`);
          this.line(depth, '}');
        }
      } else if (field.repeated) {
        if (!Array.isArray(value)) throw new Error(`${fieldPath}: expected an array`);
        value.forEach((item, i) => this.printValue(field, name, item, depth, `${fieldPath}[${i}]`));
      } else {
        this.printValue(field, name, value, depth, fieldPath);
      }
    }
  }

  private printValue(
    field: protobuf.Field,
    name: string,
    value: unknown,
    depth: number,
    path: string,
  ): void {
    const type = field.resolvedType;
    if (type instanceof protobuf.Type) {
      if (typeof value !== 'object' || value === null)
        throw new Error(`${path}: expected an object`);
      this.line(depth, `${name} {`);
      this.print(type, value, depth + 1, path);
      this.line(depth, '}');
    } else if (type instanceof protobuf.Enum) {
      const enumName = typeof value === 'number' ? (type.valuesById[value] ?? value) : value;
      if (typeof enumName === 'string' && type.values[enumName] === undefined) {
        throw new Error(`${path}: '${enumName}' is not a value of ${type.fullName.slice(1)}`);
      }
      this.line(depth, `${name}: ${String(enumName)}`);
    } else {
      this.line(depth, `${name}: ${this.scalar(field.type, value, path)}`);
    }
  }

  private scalar(type: string, value: unknown, path = 'map key'): string {
    if (type === 'bytes') {
      if (!(value instanceof Uint8Array)) throw new Error(`${path}: expected bytes`);
      return quoteBytes(value);
    }
    if (type === 'string') return quoteBytes(Buffer.from(String(value), 'utf8'));
    if (type === 'bool') return value ? 'true' : 'false';
    if (INTEGER_RANGES[type] !== undefined) {
      if (!['string', 'number', 'bigint'].includes(typeof value)) {
        throw new Error(`${path}: expected an integer`);
      }
      return BigInt(value as string | number | bigint).toString();
    }
    throw new Error(`${path}: unsupported type ${type}`);
  }

  private line(depth: number, text: string): void {
    this.lines.push('  '.repeat(depth) + text);
  }

  text(): string {
    return this.lines.map((l) => l + '\n').join('');
  }
}

/**
 * Prints a plain object (the shape parseTextFormat and proto-loader produce) as text format,
 * two-space indented with one field per line, as p4c writes P4Info.
 */
export function printTextFormat(type: string | protobuf.Type, message: object): string {
  const resolved = resolveType(type);
  const printer = new Printer();
  printer.print(resolved, message, 0, resolved.name);
  return printer.text();
}

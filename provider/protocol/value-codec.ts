import { decode, encode, ExtData } from '@msgpack/msgpack';
import { parseTypeJson, typeToJson, type ValueType } from '../framework/value-type.js';
import { DecimalNumber, DynamicTypedValue, isObjectValue, objectFromEntries, unknown, type Value } from '../framework/values.js';

/** The wire form of a value: Terraform always sends msgpack; JSON appears only in stored state. */
export interface DynamicValueMessage {
  msgpack?: Uint8Array | null;
  json?: Uint8Array | null;
}

/** A value that does not fit the type it is decoded or encoded as. */
export class ValueCodecError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path || 'value'}: ${message}`);
    this.name = 'ValueCodecError';
  }
}

const unknownExtension = new ExtData(0, new Uint8Array([0])); // fixext1 d4 00 00, what go-cty writes
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Decodes msgpack bytes as a value of `type`. Any extension value reads as unknown (refinements dropped). */
export function decodeMsgpackValue(bytes: Uint8Array, type: ValueType): Value {
  return fromMsgpack(decode(bytes, { useBigInt64: true }), type, '');
}

/** Encodes a value of `type` as msgpack: unknown is extension 0, DecimalNumber is a decimal string. */
export function encodeMsgpackValue(value: Value, type: ValueType): Uint8Array {
  return encode(toMsgpack(value, type, ''));
}

/** Decodes a DynamicValue; an absent or empty one is null, as Terraform treats it. */
export function decodeDynamicValue(message: DynamicValueMessage | null | undefined, type: ValueType): Value {
  if (message?.msgpack && message.msgpack.length > 0) return decodeMsgpackValue(message.msgpack, type);
  if (message?.json && message.json.length > 0) return decodeJsonValue(JSON.parse(textDecoder.decode(message.json)), type);
  return null;
}

export function encodeDynamicValue(value: Value, type: ValueType): { msgpack: Buffer } {
  const bytes = encodeMsgpackValue(value, type);
  return { msgpack: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/**
 * Decodes the JSON form (stored state, `UpgradeResourceState`). Object attributes missing from the JSON
 * become null (Terraform strips removed attributes but does not add new ones); dynamic values are
 * `{"value", "type"}` pairs. JSON cannot carry unknowns.
 */
export function decodeJsonValue(json: unknown, type: ValueType, path = ''): Value {
  if (json === null || json === undefined) return null;
  switch (type.kind) {
    case 'string':
      if (typeof json !== 'string') throw new ValueCodecError(path, `want a string, got ${typeof json}`);
      return json;
    case 'number':
      if (typeof json === 'number') return json;
      if (typeof json === 'string' && isDecimal(json)) return new DecimalNumber(json);
      throw new ValueCodecError(path, `want a number, got ${typeof json}`);
    case 'bool':
      if (typeof json !== 'boolean') throw new ValueCodecError(path, `want a bool, got ${typeof json}`);
      return json;
    case 'list':
    case 'set':
      if (!Array.isArray(json)) throw new ValueCodecError(path, `want a ${type.kind}`);
      return json.map((v, i) => decodeJsonValue(v, type.element, `${path}[${i}]`));
    case 'tuple':
      if (!Array.isArray(json) || json.length !== type.elements.length) throw new ValueCodecError(path, 'want a tuple');
      return json.map((v, i) => decodeJsonValue(v, type.elements[i] as ValueType, `${path}[${i}]`));
    case 'map':
      if (!isPlainObject(json)) throw new ValueCodecError(path, 'want a map');
      return objectFromEntries(Object.entries(json).map(([k, v]) => [k, decodeJsonValue(v, type.element, `${path}["${k}"]`)]));
    case 'object':
      if (!isPlainObject(json)) throw new ValueCodecError(path, 'want an object');
      return objectFromEntries(
        Object.entries(type.attributes).map(([k, t]) => [
          k,
          Object.prototype.hasOwnProperty.call(json, k) ? decodeJsonValue(json[k], t, joinPath(path, k)) : null,
        ]),
      );
    case 'dynamic': {
      if (!isPlainObject(json) || !('type' in json)) throw new ValueCodecError(path, 'want a {"value","type"} pair');
      const inner = parseTypeJson(json['type']);
      return new DynamicTypedValue(inner, decodeJsonValue(json['value'], inner, path));
    }
  }
}

/** Encodes the JSON form; unknowns cannot be represented and throw. */
export function encodeJsonValue(value: Value, type: ValueType, path = ''): unknown {
  if (value === null) return null;
  if (value === unknown) throw new ValueCodecError(path, 'unknown values have no JSON form');
  switch (type.kind) {
    case 'number':
      if (value instanceof DecimalNumber) return Number(value.decimal);
      return value;
    case 'list':
    case 'set':
    case 'tuple':
      if (!Array.isArray(value)) throw new ValueCodecError(path, `want a ${type.kind}`);
      return value.map((v, i) => encodeJsonValue(v, type.kind === 'tuple' ? (type.elements[i] as ValueType) : type.element, `${path}[${i}]`));
    case 'map':
      if (!isObjectValue(value)) throw new ValueCodecError(path, 'want a map');
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeJsonValue(v, type.element, path)]));
    case 'object':
      if (!isObjectValue(value)) throw new ValueCodecError(path, 'want an object');
      return Object.fromEntries(Object.entries(type.attributes).map(([k, t]) => [k, encodeJsonValue(value[k] ?? null, t, joinPath(path, k))]));
    case 'dynamic':
      if (!(value instanceof DynamicTypedValue)) throw new ValueCodecError(path, 'want a typed dynamic value');
      return { value: encodeJsonValue(value.value, value.type, path), type: typeToJson(value.type) };
    default:
      return value;
  }
}

function fromMsgpack(raw: unknown, type: ValueType, path: string): Value {
  if (raw instanceof ExtData) return unknown;
  if (raw === null || raw === undefined) return null;
  switch (type.kind) {
    case 'string':
      if (typeof raw !== 'string') throw new ValueCodecError(path, `want a string, got ${describe(raw)}`);
      return raw;
    case 'number':
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'bigint') return Number.isSafeInteger(Number(raw)) ? Number(raw) : new DecimalNumber(raw.toString());
      // Terraform sends numbers that are not exact float64 values as decimal strings ("0.1").
      if (typeof raw === 'string' && isDecimal(raw)) return new DecimalNumber(raw);
      throw new ValueCodecError(path, `want a number, got ${describe(raw)}`);
    case 'bool':
      if (typeof raw !== 'boolean') throw new ValueCodecError(path, `want a bool, got ${describe(raw)}`);
      return raw;
    case 'list':
    case 'set':
      if (!Array.isArray(raw)) throw new ValueCodecError(path, `want a ${type.kind}, got ${describe(raw)}`);
      return raw.map((v, i) => fromMsgpack(v, type.element, `${path}[${i}]`));
    case 'tuple':
      if (!Array.isArray(raw) || raw.length !== type.elements.length) throw new ValueCodecError(path, 'want a tuple');
      return raw.map((v, i) => fromMsgpack(v, type.elements[i] as ValueType, `${path}[${i}]`));
    case 'map':
      if (!isPlainObject(raw)) throw new ValueCodecError(path, `want a map, got ${describe(raw)}`);
      return objectFromEntries(Object.entries(raw).map(([k, v]) => [k, fromMsgpack(v, type.element, `${path}["${k}"]`)]));
    case 'object': {
      if (!isPlainObject(raw)) throw new ValueCodecError(path, `want an object, got ${describe(raw)}`);
      for (const k of Object.keys(raw)) {
        if (!Object.prototype.hasOwnProperty.call(type.attributes, k)) throw new ValueCodecError(path, `unsupported attribute "${k}"`);
      }
      return objectFromEntries(
        Object.entries(type.attributes).map(([k, t]) => [k, Object.prototype.hasOwnProperty.call(raw, k) ? fromMsgpack(raw[k], t, joinPath(path, k)) : null]),
      );
    }
    case 'dynamic': {
      if (!Array.isArray(raw) || raw.length !== 2 || !(raw[0] instanceof Uint8Array)) {
        throw new ValueCodecError(path, 'want a [type, value] pair for a dynamic value');
      }
      const inner = parseTypeJson(JSON.parse(textDecoder.decode(raw[0])));
      return new DynamicTypedValue(inner, fromMsgpack(raw[1], inner, path));
    }
  }
}

function toMsgpack(value: Value, type: ValueType, path: string): unknown {
  if (value === unknown) return unknownExtension;
  if (value === null) return null;
  switch (type.kind) {
    case 'string':
      if (typeof value !== 'string') throw new ValueCodecError(path, `want a string, got ${describe(value)}`);
      return value;
    case 'number':
      if (typeof value === 'number') return value;
      if (value instanceof DecimalNumber) return value.decimal;
      throw new ValueCodecError(path, `want a number, got ${describe(value)}`);
    case 'bool':
      if (typeof value !== 'boolean') throw new ValueCodecError(path, `want a bool, got ${describe(value)}`);
      return value;
    case 'list':
    case 'set':
      if (!Array.isArray(value)) throw new ValueCodecError(path, `want a ${type.kind}, got ${describe(value)}`);
      return value.map((v, i) => toMsgpack(v, type.element, `${path}[${i}]`));
    case 'tuple':
      if (!Array.isArray(value) || value.length !== type.elements.length) throw new ValueCodecError(path, 'want a tuple');
      return value.map((v, i) => toMsgpack(v, type.elements[i] as ValueType, `${path}[${i}]`));
    case 'map':
      if (!isObjectValue(value)) throw new ValueCodecError(path, `want a map, got ${describe(value)}`);
      return plainObject(Object.entries(value).map(([k, v]) => [k, toMsgpack(v, type.element, `${path}["${k}"]`)]));
    case 'object': {
      if (!isObjectValue(value)) throw new ValueCodecError(path, `want an object, got ${describe(value)}`);
      for (const k of Object.keys(value)) {
        if (!Object.prototype.hasOwnProperty.call(type.attributes, k)) throw new ValueCodecError(path, `unsupported attribute "${k}"`);
      }
      // Every attribute must be present: Terraform rejects objects with missing keys.
      return plainObject(
        Object.entries(type.attributes).map(([k, t]) => [
          k,
          toMsgpack(Object.prototype.hasOwnProperty.call(value, k) ? (value[k] as Value) : null, t, joinPath(path, k)),
        ]),
      );
    }
    case 'dynamic':
      if (!(value instanceof DynamicTypedValue)) throw new ValueCodecError(path, 'want a typed dynamic value');
      return [textEncoder.encode(JSON.stringify(typeToJson(value.type))), toMsgpack(value.value, value.type, path)];
  }
}

/** A plain object for the msgpack encoder (it writes own enumerable keys; Maps are not supported). */
function plainObject(entries: Array<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const decimalPattern = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
function isDecimal(s: string): boolean {
  return decimalPattern.test(s);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof ExtData);
}

function joinPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v;
}

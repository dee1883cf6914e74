import { DecimalNumber, isObjectValue, objectFromEntries, type ObjectValue, type Value } from '../framework/values.js';

/** Reads a string attribute; null (or unknown) reads as null. */
export function stringValue(object: ObjectValue | null, name: string): string | null {
  const v = object?.[name];
  return typeof v === 'string' ? v : null;
}

export function boolValue(object: ObjectValue | null, name: string): boolean | null {
  const v = object?.[name];
  return typeof v === 'boolean' ? v : null;
}

export function numberValue(object: ObjectValue | null, name: string): number | null {
  const v = object?.[name];
  if (typeof v === 'number') return v;
  if (v instanceof DecimalNumber) return v.toNumber();
  return null;
}

/** Reads a map(string) attribute as a plain record. */
export function stringMapValue(object: ObjectValue | null, name: string): Record<string, string> | null {
  const v = object?.[name];
  if (!isObjectValue(v)) return null;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') Object.defineProperty(out, k, { value: x, enumerable: true });
  return out;
}

/** Converts an API map (values of any JSON type) to a map(string) value. */
export function toStringMap(record: unknown): ObjectValue {
  if (record === null || typeof record !== 'object') return {};
  return objectFromEntries(Object.entries(record).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as [string, Value]));
}

export function toStringList(list: unknown): Value[] {
  return Array.isArray(list) ? list.map((v) => String(v)) : [];
}

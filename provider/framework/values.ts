import type { ValueType } from './value-type.js';

/** A value Terraform has not decided yet ("known after apply"). Refinements are not kept. */
export class UnknownValue {
  static readonly instance = new UnknownValue();
  private constructor() {}
  toString(): string {
    return '(known after apply)';
  }
}
export const unknown = UnknownValue.instance;

/** A number that did not arrive as an exact JS number (a decimal string or a 64-bit integer). */
export class DecimalNumber {
  constructor(readonly decimal: string) {}
  toNumber(): number {
    return Number(this.decimal);
  }
}

/** The value of a `dynamic` attribute: a value with the type it was given at runtime. */
export class DynamicTypedValue {
  constructor(
    readonly type: ValueType,
    readonly value: Value,
  ) {}
}

/**
 * A Terraform value in memory. Lists, sets and tuples are arrays; maps and objects are plain objects with
 * own properties only; null is Terraform's null; numbers are JS numbers unless exactness needs DecimalNumber.
 */
export type Value = null | UnknownValue | string | number | boolean | DecimalNumber | DynamicTypedValue | Value[] | ObjectValue;
export interface ObjectValue {
  [key: string]: Value;
}

export function isObjectValue(value: Value | undefined): value is ObjectValue {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof UnknownValue) &&
    !(value instanceof DecimalNumber) &&
    !(value instanceof DynamicTypedValue)
  );
}

/** Builds an object value from entries without going through `__proto__` setters. */
export function objectFromEntries(entries: Iterable<readonly [string, Value]>): ObjectValue {
  const out: ObjectValue = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/** True when the value contains no unknowns at any depth. */
export function isWhollyKnown(value: Value): boolean {
  if (value === unknown) return false;
  if (Array.isArray(value)) return value.every(isWhollyKnown);
  if (value instanceof DynamicTypedValue) return isWhollyKnown(value.value);
  if (isObjectValue(value)) return Object.values(value).every(isWhollyKnown);
  return true;
}

function numberKey(value: number | DecimalNumber): string {
  return typeof value === 'number' ? String(value) : value.decimal;
}

/** Structural equality; set elements compare without order when the type says `set`. */
export function valuesEqual(a: Value, b: Value, type?: ValueType): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === unknown || b === unknown) return false;
  if ((typeof a === 'number' || a instanceof DecimalNumber) && (typeof b === 'number' || b instanceof DecimalNumber)) {
    return numberKey(a) === numberKey(b);
  }
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof DynamicTypedValue || b instanceof DynamicTypedValue) {
    return (
      a instanceof DynamicTypedValue &&
      b instanceof DynamicTypedValue &&
      JSON.stringify(a.type) === JSON.stringify(b.type) &&
      valuesEqual(a.value, b.value, a.type)
    );
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    const elementType = (i: number): ValueType | undefined =>
      type === undefined ? undefined : type.kind === 'tuple' ? type.elements[i] : 'element' in type ? type.element : undefined;
    if (type?.kind === 'set') {
      const used = new Set<number>();
      return a.every((x) => {
        const j = b.findIndex((y, idx) => !used.has(idx) && valuesEqual(x, y, type.element));
        if (j < 0) return false;
        used.add(j);
        return true;
      });
    }
    return a.every((x, i) => valuesEqual(x, b[i] as Value, elementType(i)));
  }
  if (!isObjectValue(a) || !isObjectValue(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    const t = type === undefined ? undefined : type.kind === 'object' ? type.attributes[k] : type.kind === 'map' ? type.element : undefined;
    return valuesEqual(a[k] as Value, b[k] as Value, t);
  });
}

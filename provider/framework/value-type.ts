/**
 * Terraform's type system (cty) as data. A schema's attributes and blocks imply one object type; values
 * are encoded and decoded by walking that type.
 */
export type ValueType =
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'bool' }
  | { kind: 'dynamic' }
  | { kind: 'list'; element: ValueType }
  | { kind: 'set'; element: ValueType }
  | { kind: 'map'; element: ValueType }
  | { kind: 'object'; attributes: Readonly<Record<string, ValueType>> }
  | { kind: 'tuple'; elements: readonly ValueType[] };

export const stringType: ValueType = { kind: 'string' };
export const numberType: ValueType = { kind: 'number' };
export const boolType: ValueType = { kind: 'bool' };
export const dynamicType: ValueType = { kind: 'dynamic' };
export const listOf = (element: ValueType): ValueType => ({ kind: 'list', element });
export const setOf = (element: ValueType): ValueType => ({ kind: 'set', element });
export const mapOf = (element: ValueType): ValueType => ({ kind: 'map', element });
export const objectOf = (attributes: Record<string, ValueType>): ValueType => ({ kind: 'object', attributes });

/** Parses cty's JSON type notation (`"string"`, `["map","string"]`, `["object",{...}]`, ...). */
export function parseTypeJson(json: unknown): ValueType {
  if (json === 'string' || json === 'number' || json === 'bool' || json === 'dynamic') return { kind: json };
  if (Array.isArray(json) && json.length >= 2) {
    const [kind, arg] = json as [unknown, unknown];
    if (kind === 'list' || kind === 'set' || kind === 'map') return { kind, element: parseTypeJson(arg) };
    if (kind === 'object' && arg !== null && typeof arg === 'object' && !Array.isArray(arg)) {
      const attributes: Record<string, ValueType> = {};
      for (const [name, t] of Object.entries(arg)) Object.defineProperty(attributes, name, { value: parseTypeJson(t), enumerable: true });
      return { kind: 'object', attributes };
    }
    if (kind === 'tuple' && Array.isArray(arg)) return { kind: 'tuple', elements: arg.map(parseTypeJson) };
  }
  throw new Error(`invalid type expression ${JSON.stringify(json)}`);
}

/** The inverse of parseTypeJson. */
export function typeToJson(type: ValueType): unknown {
  switch (type.kind) {
    case 'string':
    case 'number':
    case 'bool':
    case 'dynamic':
      return type.kind;
    case 'list':
    case 'set':
    case 'map':
      return [type.kind, typeToJson(type.element)];
    case 'object':
      return ['object', Object.fromEntries(Object.entries(type.attributes).map(([k, t]) => [k, typeToJson(t)]))];
    case 'tuple':
      return ['tuple', type.elements.map(typeToJson)];
  }
}

import { objectOf, listOf, setOf, mapOf, typeToJson, type ValueType } from './value-type.js';
import type { Diagnostics, AttributePath } from './diagnostics.js';
import type { ObjectValue, Value } from './values.js';

/** Inputs a plan modifier sees for one attribute. */
export interface PlanModifierRequest {
  attribute: string;
  configValue: Value;
  /** The prior state value; undefined on create. */
  priorValue: Value | undefined;
  plannedValue: Value;
  priorState: ObjectValue | null;
  config: ObjectValue;
}

/** A plan modifier may change the planned value or ask for replacement. */
export interface PlanModifierResult {
  plannedValue?: Value;
  requiresReplace?: boolean;
}

export interface PlanModifier {
  readonly description: string;
  modify(request: PlanModifierRequest): PlanModifierResult;
}

/** Validates a known (non-null, wholly known) configured value. */
export type AttributeValidator = (value: Value, path: AttributePath, diagnostics: Diagnostics) => void;

/** One attribute of a block. Exactly one of required / optional / computed / optional+computed. */
export interface AttributeSchema {
  type: ValueType;
  description: string;
  required?: true;
  optional?: true;
  computed?: true;
  sensitive?: true;
  /** Planned when the configuration leaves the attribute null (optional+computed attributes only). */
  default?: Value;
  planModifiers?: readonly PlanModifier[];
  validators?: readonly AttributeValidator[];
}

export interface NestedBlockSchema {
  nesting: 'single' | 'list' | 'set' | 'map' | 'group';
  block: BlockSchema;
  minItems?: number;
  maxItems?: number;
}

export interface BlockSchema {
  description: string;
  attributes: Readonly<Record<string, AttributeSchema>>;
  blocks?: Readonly<Record<string, NestedBlockSchema>>;
}

export interface Schema {
  version: number;
  block: BlockSchema;
}

/** The object type a block implies: one key per attribute and per nested block type. */
export function impliedType(block: BlockSchema): ValueType {
  const attributes: Record<string, ValueType> = {};
  for (const [name, attribute] of Object.entries(block.attributes)) attributes[name] = attribute.type;
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    const inner = impliedType(nested.block);
    attributes[name] = nested.nesting === 'list' ? listOf(inner) : nested.nesting === 'set' ? setOf(inner) : nested.nesting === 'map' ? mapOf(inner) : inner;
  }
  return objectOf(attributes);
}

/** A block as `terraform providers schema -json` prints it. */
export interface BlockJson {
  attributes?: Record<string, AttributeJson>;
  block_types?: Record<string, { nesting_mode: string; block: BlockJson; min_items?: number; max_items?: number }>;
  description?: string;
  description_kind: 'plain' | 'markdown';
}
export interface AttributeJson {
  type: unknown;
  description?: string;
  description_kind: 'plain' | 'markdown';
  required?: true;
  optional?: true;
  computed?: true;
  sensitive?: true;
}
export interface SchemaJson {
  version: number;
  block: BlockJson;
}

/** Renders a schema in the `terraform providers schema -json` shape (keys sorted, empty fields omitted). */
export function renderSchemaJson(schema: Schema): SchemaJson {
  return { version: schema.version, block: renderBlockJson(schema.block) };
}

function renderBlockJson(block: BlockSchema): BlockJson {
  const out: BlockJson = { description_kind: 'plain' };
  const names = Object.keys(block.attributes).sort();
  if (names.length > 0) {
    out.attributes = {};
    for (const name of names) {
      const a = block.attributes[name] as AttributeSchema;
      const attr: AttributeJson = { type: typeToJson(a.type), description_kind: 'plain' };
      if (a.description !== '') attr.description = a.description;
      if (a.required) attr.required = true;
      if (a.optional) attr.optional = true;
      if (a.computed) attr.computed = true;
      if (a.sensitive) attr.sensitive = true;
      out.attributes[name] = attr;
    }
  }
  const blockNames = Object.keys(block.blocks ?? {}).sort();
  if (blockNames.length > 0) {
    out.block_types = {};
    for (const name of blockNames) {
      const nested = (block.blocks ?? {})[name] as NestedBlockSchema;
      out.block_types[name] = {
        nesting_mode: nested.nesting,
        block: renderBlockJson(nested.block),
        ...(nested.minItems ? { min_items: nested.minItems } : {}),
        ...(nested.maxItems ? { max_items: nested.maxItems } : {}),
      };
    }
  }
  if (block.description !== '') out.description = block.description;
  return out;
}

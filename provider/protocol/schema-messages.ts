import type { AttributeJson, BlockJson, SchemaJson } from '../framework/schema.js';
import type * as tfplugin6 from './tfplugin6-messages.js';

/** The checked-in schema file: `terraform providers schema -json` output for this provider alone. */
export interface ProviderSchemaFile {
  format_version: string;
  provider_schemas: Record<
    string,
    {
      provider: SchemaJson;
      resource_schemas?: Record<string, SchemaJson>;
      data_source_schemas?: Record<string, SchemaJson>;
    }
  >;
}

const nestingNames: Record<string, tfplugin6.SchemaNestedBlockNestingMode> = { single: 'SINGLE', list: 'LIST', set: 'SET', map: 'MAP', group: 'GROUP' };

/** Converts one schema from the JSON shape to a tfplugin6 `Schema` message object. */
export function schemaJsonToMessage(schema: SchemaJson): tfplugin6.Schema {
  return { version: schema.version, block: blockToMessage(schema.block) };
}

function blockToMessage(block: BlockJson): tfplugin6.SchemaBlock {
  const attributes = Object.entries(block.attributes ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, a]) => attributeToMessage(name, a));
  const blockTypes = Object.entries(block.block_types ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, nested]) => ({
      type_name: name,
      block: blockToMessage(nested.block),
      nesting: nestingNames[nested.nesting_mode] ?? 'INVALID',
      min_items: nested.min_items ?? 0,
      max_items: nested.max_items ?? 0,
    }));
  return {
    version: 0,
    attributes,
    block_types: blockTypes,
    description: block.description ?? '',
    description_kind: block.description_kind === 'markdown' ? 'MARKDOWN' : 'PLAIN',
  };
}

function attributeToMessage(name: string, attribute: AttributeJson): tfplugin6.SchemaAttribute {
  return {
    name,
    type: Buffer.from(JSON.stringify(attribute.type)),
    description: attribute.description ?? '',
    description_kind: attribute.description_kind === 'markdown' ? 'MARKDOWN' : 'PLAIN',
    required: attribute.required === true,
    optional: attribute.optional === true,
    computed: attribute.computed === true,
    sensitive: attribute.sensitive === true,
  };
}

/** Builds the GetProviderSchema response from the schema file (no resource code is loaded for this). */
export function providerSchemaResponse(file: ProviderSchemaFile, sourceAddress: string): tfplugin6.GetProviderSchemaResponse {
  const entry = file.provider_schemas[sourceAddress];
  if (entry === undefined) throw new Error(`schema file has no provider ${sourceAddress}`);
  const mapSchemas = (schemas: Record<string, SchemaJson> | undefined): Record<string, tfplugin6.Schema> =>
    Object.fromEntries(Object.entries(schemas ?? {}).map(([k, s]) => [k, schemaJsonToMessage(s)]));
  return {
    provider: schemaJsonToMessage(entry.provider),
    resource_schemas: mapSchemas(entry.resource_schemas),
    data_source_schemas: mapSchemas(entry.data_source_schemas),
    diagnostics: [],
    server_capabilities: { plan_destroy: true, get_provider_schema_optional: true },
  };
}

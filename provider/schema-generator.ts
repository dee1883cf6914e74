import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { renderSchemaJson, type SchemaJson } from './framework/schema.js';
import { FerryProvider } from './ferry-provider.js';
import { providerSchemaFile, providerSourceAddress } from './paths.js';
import type { ProviderSchemaFile } from './protocol/schema-messages.js';

/**
 * Renders schemas/ferry-provider.schema.json from the resource definitions, in the exact shape of
 * `terraform providers schema -json`. The provider serves GetProviderSchema from the checked-in file.
 */
export function renderProviderSchemaFile(): ProviderSchemaFile {
  const provider = new FerryProvider({});
  const byName = <T extends { metadata(): { typeName: string }; schema(): Parameters<typeof renderSchemaJson>[0] }>(items: readonly T[]) => {
    const out: Record<string, SchemaJson> = {};
    for (const item of [...items].sort((a, b) => (a.metadata().typeName < b.metadata().typeName ? -1 : 1))) {
      out[item.metadata().typeName] = renderSchemaJson(item.schema());
    }
    return out;
  };
  return {
    format_version: '1.0',
    provider_schemas: {
      [providerSourceAddress]: {
        provider: renderSchemaJson(provider.schema()),
        resource_schemas: byName(provider.resources()),
        data_source_schemas: byName(provider.dataSources()),
      },
    },
  };
}

export function formatProviderSchemaFile(): string {
  return JSON.stringify(renderProviderSchemaFile(), null, 2) + '\n';
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(providerSchemaFile, formatProviderSchemaFile());
  process.stderr.write(`wrote ${providerSchemaFile}\n`);
}

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { providerSchemaFile, providerSourceAddress, repoRoot, requiredNodeVersion } from '../paths.js';
import { dataSourceExamples, providerExample, resourceDocs } from './docs-examples.js';

/** Where `npm run provider:docs` writes the registry-format docs. */
export const providerDocsDir = join(repoRoot, 'provider', 'docs');

/** The parts of a `terraform providers schema -json` block the docs use. */
interface SchemaAttribute {
  type?: unknown;
  description?: string;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
}
interface SchemaBlock {
  description?: string;
  attributes?: Record<string, SchemaAttribute>;
  block_types?: Record<string, { nesting_mode: string; block: SchemaBlock; min_items?: number; max_items?: number }>;
}
interface ProviderSchema {
  provider: { block: SchemaBlock };
  resource_schemas: Record<string, { block: SchemaBlock }>;
  data_source_schemas: Record<string, { block: SchemaBlock }>;
}

/** Docs pages by path relative to provider/docs (forward slashes), with their content. */
export type DocsFiles = Map<string, string>;

function typeName(type: unknown): string {
  if (type === 'string') return 'String';
  if (type === 'bool') return 'Boolean';
  if (type === 'number') return 'Number';
  if (type === 'dynamic') return 'Dynamic';
  if (Array.isArray(type) && type.length === 2) {
    const [kind, inner] = type as [string, unknown];
    const names: Record<string, string> = { map: 'Map', list: 'List', set: 'Set', object: 'Object' };
    if (kind === 'object') return 'Object';
    return `${names[kind] ?? kind} of ${typeName(inner)}`;
  }
  return JSON.stringify(type);
}

function requireDescription(where: string, description: string | undefined): string {
  if (description === undefined || description.trim() === '') throw new Error(`${where} has no description in the schema: the docs are generated from it`);
  return description.trim();
}

/** The "Schema" section of a block: Required / Optional / Read-Only lists, then each nested block's schema. */
function renderBlock(where: string, block: SchemaBlock, anchorPrefix: string, headingLevel: number): string[] {
  const groups: Record<'Required' | 'Optional' | 'Read-Only', string[]> = { Required: [], Optional: [], 'Read-Only': [] };
  const nested: string[] = [];
  for (const [name, attr] of Object.entries(block.attributes ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const description = requireDescription(`${where}.${name}`, attr.description);
    const group = attr.required ? 'Required' : attr.optional ? 'Optional' : 'Read-Only';
    const flags = [typeName(attr.type), ...(attr.sensitive ? ['Sensitive'] : [])].join(', ');
    groups[group].push(`- \`${name}\` (${flags}) ${description}`);
  }
  for (const [name, nestedType] of Object.entries(block.block_types ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const description = requireDescription(`${where}.${name}`, nestedType.block.description);
    const anchor = `${anchorPrefix}--${name}`;
    const group = (nestedType.min_items ?? 0) > 0 ? 'Required' : 'Optional';
    const limit =
      nestedType.nesting_mode === 'single'
        ? 'Block'
        : `Block ${nestedType.nesting_mode === 'set' ? 'Set' : 'List'}${nestedType.max_items ? `, Max: ${nestedType.max_items}` : ''}`;
    groups[group].push(`- \`${name}\` (${limit}) ${description} (see [below for nested schema](#${anchor}))`);
    nested.push(
      '',
      `<a id="${anchor}"></a>`,
      `${'#'.repeat(headingLevel)} Nested Schema for \`${anchor.replace(/^nestedblock--/, '').replace(/--/g, '.')}\``,
      '',
    );
    nested.push(...renderBlock(`${where}.${name}`, nestedType.block, anchor, headingLevel).map((l) => l.replace(/^### (Required|Optional|Read-Only)$/, '$1:')));
  }
  const lines: string[] = [];
  for (const [title, entries] of Object.entries(groups)) {
    if (entries.length === 0) continue;
    if (lines.length > 0) lines.push('');
    lines.push(`### ${title}`, '', ...entries);
  }
  return [...lines, ...nested];
}

function frontMatter(pageTitle: string, description: string): string[] {
  return ['---', `page_title: ${JSON.stringify(pageTitle)}`, 'subcategory: ""', 'description: |-', ...description.split('\n').map((l) => `  ${l}`), '---', ''];
}

function page(kind: 'Resource' | 'Data Source', name: string, block: SchemaBlock, example: string, importSection: string[]): string {
  const description = requireDescription(name, block.description);
  return [
    ...frontMatter(`${name} ${kind} - terraform-provider-ferry`, description),
    `# ${name} (${kind})`,
    '',
    description,
    '',
    '## Example Usage',
    '',
    '```terraform',
    example,
    '```',
    '',
    '## Schema',
    '',
    ...renderBlock(name, block, 'nestedblock', 3),
    ...importSection,
    '',
  ].join('\n');
}

/**
 * Renders the provider's docs in the Terraform Registry's layout (index.md, resources/NAME.md,
 * data-sources/NAME.md, resource names without the `ferry_` prefix) from the schema's descriptions plus the
 * examples and import IDs of docs-examples.ts. Throws when a resource, data source, attribute or block has
 * no description or no example, so nothing ships undocumented.
 */
export function renderDocs(schemaFile = providerSchemaFile): DocsFiles {
  const document = JSON.parse(readFileSync(schemaFile, 'utf8')) as { provider_schemas: Record<string, ProviderSchema> };
  const schema = document.provider_schemas[providerSourceAddress];
  if (schema === undefined) throw new Error(`${schemaFile} has no schema for ${providerSourceAddress}`);
  const files: DocsFiles = new Map();
  const providerDescription = requireDescription('the provider', schema.provider.block.description);
  files.set(
    'index.md',
    [
      ...frontMatter('Ferry Provider', providerDescription),
      '# Ferry Provider',
      '',
      providerDescription,
      '',
      `The provider is a Node.js program: it needs Node.js >= ${requiredNodeVersion} on the PATH Terraform runs with, and`,
      'talks to Ferry over its Vault-compatible HTTP API. Configuring it never contacts a server: plans work',
      'before the clusters exist. Packages are published for Linux and macOS on amd64 and arm64.',
      '',
      '## Example Usage',
      '',
      '```terraform',
      providerExample,
      '```',
      '',
      '## Schema',
      '',
      ...renderBlock('provider', schema.provider.block, 'nestedblock', 3),
      '',
    ].join('\n'),
  );
  for (const [name, { block }] of Object.entries(schema.resource_schemas)) {
    const extras = resourceDocs[name];
    if (extras === undefined) throw new Error(`resource ${name} has no example in provider/release/docs-examples.ts`);
    const importSection = [
      '',
      '## Import',
      '',
      'Import is supported using the following syntax:',
      '',
      '```shell',
      extras.importCommand,
      '```',
      '',
      `The import ID is ${extras.importId.charAt(0).toLowerCase()}${extras.importId.slice(1)}`,
    ];
    files.set(`resources/${name.replace(/^ferry_/, '')}.md`, page('Resource', name, block, extras.example, importSection));
  }
  for (const [name, { block }] of Object.entries(schema.data_source_schemas)) {
    const example = dataSourceExamples[name];
    if (example === undefined) throw new Error(`data source ${name} has no example in provider/release/docs-examples.ts`);
    files.set(`data-sources/${name.replace(/^ferry_/, '')}.md`, page('Data Source', name, block, example, []));
  }
  const unknown = [...Object.keys(resourceDocs), ...Object.keys(dataSourceExamples)].filter(
    (n) => !(n in schema.resource_schemas) && !(n in schema.data_source_schemas),
  );
  if (unknown.length > 0) throw new Error(`docs-examples.ts documents what the schema does not have: ${unknown.join(', ')}`);
  return files;
}

function listMarkdown(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listMarkdown(join(dir, e.name), `${prefix}${e.name}/`) : e.name.endsWith('.md') ? [`${prefix}${e.name}`] : [],
  );
}

/** Paths (relative to `dir`) that differ from a fresh rendering: changed, missing or left over. */
export function docsDrift(dir = providerDocsDir, schemaFile = providerSchemaFile): string[] {
  const expected = renderDocs(schemaFile);
  const present = new Set(listMarkdown(dir));
  const drift = [...expected].filter(([path, content]) => !present.has(path) || readFileSync(join(dir, path), 'utf8') !== content).map(([p]) => p);
  return [...drift, ...[...present].filter((p) => !expected.has(p))].sort();
}

export function writeDocs(dir = providerDocsDir, schemaFile = providerSchemaFile): DocsFiles {
  const files = renderDocs(schemaFile);
  for (const stale of listMarkdown(dir)) if (!files.has(stale)) rmSync(join(dir, stale));
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return files;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--check')) {
    const drift = docsDrift();
    if (drift.length > 0) {
      process.stderr.write(`provider/docs is out of date (run npm run provider:docs): ${drift.join(', ')}\n`);
      process.exit(1);
    }
  } else {
    const files = writeDocs();
    process.stdout.write(`wrote ${files.size} pages to ${providerDocsDir}\n`);
  }
}

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { providerSchemaFile, providerSourceAddress } from '../../../provider/paths.js';
import { docsDrift, providerDocsDir, renderDocs } from '../../../provider/release/docs-generator.js';
import { dataSourceExamples, providerExample, resourceDocs } from '../../../provider/release/docs-examples.js';
import { requireTerraform } from '../helpers/terraform-cli.js';

interface Block {
  description?: string;
  attributes?: Record<string, { description?: string }>;
  block_types?: Record<string, { block: Block }>;
}
interface Schema {
  provider_schemas: Record<
    string,
    { provider: { block: Block }; resource_schemas: Record<string, { block: Block }>; data_source_schemas: Record<string, { block: Block }> }
  >;
}

const loadSchema = (): Schema => JSON.parse(readFileSync(providerSchemaFile, 'utf8')) as Schema;

/** Every attribute and nested block name of a block, nested ones included. */
function documentedNames(block: Block): string[] {
  return [
    ...Object.keys(block.attributes ?? {}),
    ...Object.entries(block.block_types ?? {}).flatMap(([name, nested]) => [name, ...documentedNames(nested.block)]),
  ];
}

describe('provider/docs (registry-format docs generated from the schema)', () => {
  let scratch: string;
  beforeEach(() => (scratch = mkdtempSync(join(tmpdir(), 'ferry-docs-'))));
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('matches a fresh generation from schemas/ferry-provider.schema.json (npm run provider:docs)', () => {
    expect(docsDrift()).to.deep.equal([]);
  });

  it('has a page for every resource and data source, listing each of its attributes and blocks', () => {
    const schema = loadSchema().provider_schemas[providerSourceAddress]!;
    const pages: Array<[string, Block]> = [
      ['index.md', schema.provider.block],
      ...Object.entries(schema.resource_schemas).map(([n, s]): [string, Block] => [`resources/${n.replace(/^ferry_/, '')}.md`, s.block]),
      ...Object.entries(schema.data_source_schemas).map(([n, s]): [string, Block] => [`data-sources/${n.replace(/^ferry_/, '')}.md`, s.block]),
    ];
    expect(pages.length).to.be.greaterThan(8);
    for (const [page, block] of pages) {
      const text = readFileSync(join(providerDocsDir, page), 'utf8');
      for (const name of documentedNames(block)) expect(text, `${page} documents ${name}`).to.contain(`- \`${name}\` (`);
      expect(text, page).to.match(/^---\npage_title: /);
      expect(text, page).to.contain('## Example Usage');
      if (page.startsWith('resources/')) expect(text, page).to.match(/## Import\n[\s\S]*terraform import ferry_/);
    }
  });

  it('refuses to render when an attribute has no description, naming it', () => {
    const schema = loadSchema();
    delete schema.provider_schemas[providerSourceAddress]!.resource_schemas['ferry_mount']!.block.attributes!['path']!.description;
    const file = join(scratch, 'schema.json');
    writeFileSync(file, JSON.stringify(schema));
    expect(() => renderDocs(file)).to.throw(/ferry_mount\.path has no description/);
  });

  it('refuses to render a resource that has no example', () => {
    const schema = loadSchema();
    const resources = schema.provider_schemas[providerSourceAddress]!.resource_schemas;
    resources['ferry_undocumented'] = resources['ferry_policy']!;
    const file = join(scratch, 'schema.json');
    writeFileSync(file, JSON.stringify(schema));
    expect(() => renderDocs(file)).to.throw(/ferry_undocumented has no example/);
  });

  it('reports a hand-edited, a missing and a left-over page as drift', () => {
    cpSync(providerDocsDir, scratch, { recursive: true });
    writeFileSync(join(scratch, 'resources', 'mount.md'), 'edited by hand\n');
    rmSync(join(scratch, 'resources', 'policy.md'));
    writeFileSync(join(scratch, 'resources', 'gone.md'), 'a resource that no longer exists\n');
    expect(docsDrift(scratch)).to.deep.equal(['resources/gone.md', 'resources/mount.md', 'resources/policy.md']);
  });
});

describe('provider/release/docs-examples: the examples are canonical HCL (terraform fmt)', function () {
  this.timeout(60_000);

  it('formats every example unchanged', () => {
    requireTerraform();
    const examples: Array<[string, string]> = [
      ['provider', providerExample],
      ...Object.entries(resourceDocs).map(([n, d]): [string, string] => [n, d.example]),
      ...Object.entries(dataSourceExamples),
    ];
    for (const [name, example] of examples) {
      const res = spawnSync('terraform', ['fmt', '-'], { input: `${example}\n`, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
      expect(res.status, `${name}: ${res.stderr}`).to.equal(0);
      expect(res.stdout, name).to.equal(`${example}\n`);
    }
  });
});

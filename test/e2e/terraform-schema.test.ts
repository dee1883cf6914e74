import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { providerSchemaFile } from '../../provider/paths.js';
import { requireTerraform, TerraformWorkdir } from '../provider/helpers/terraform-cli.js';

/** Key order differs between Go's encoder and ours; compare canonical forms. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

describe('terraform providers schema -json (real terraform CLI)', function () {
  this.timeout(120_000);
  let work: TerraformWorkdir;

  before(() => {
    requireTerraform();
    work = new TerraformWorkdir();
    work.write('main.tf', 'terraform {\n  required_providers {\n    ferry = { source = "ferry-project/ferry" }\n  }\n}\n');
  });
  after(() => work?.remove());

  it('prints exactly the checked-in schemas/ferry-provider.schema.json', async () => {
    const res = await work.expect(['providers', 'schema', '-json']);
    const fromTerraform = JSON.parse(res.stdout);
    const checkedIn = JSON.parse(readFileSync(providerSchemaFile, 'utf8'));
    expect(canonical(fromTerraform)).to.deep.equal(canonical(checkedIn));
  });
});

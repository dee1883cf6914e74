import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { formatProviderSchemaFile } from '../../provider/schema-generator.js';
import { providerSchemaFile } from '../../provider/paths.js';

describe('provider/schema-generator', () => {
  it('schemas/ferry-provider.schema.json matches the resource definitions (run npm run provider:schema after editing them)', () => {
    expect(readFileSync(providerSchemaFile, 'utf8')).to.equal(formatProviderSchemaFile());
  });
});

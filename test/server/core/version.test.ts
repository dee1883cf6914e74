import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { providerVersion, repoRoot } from '../../../provider/paths.js';
import { FERRY_RELEASE, FERRY_VERSION } from '../../../server/core/version.js';

describe('server/core/version: one version for the server and the provider', () => {
  const packageVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

  it("is package.json's version, in the server's reported version and in the provider", () => {
    expect(FERRY_RELEASE).to.equal(packageVersion);
    expect(FERRY_VERSION).to.equal(`1.15.0+ferry.${packageVersion}`);
    expect(providerVersion).to.equal(packageVersion);
  });
});

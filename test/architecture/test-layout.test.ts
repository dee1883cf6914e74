import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * `npm test` runs two mocha passes, each over a fixed set of folders (package.json: `test:unit` and
 * `test:e2e`). A test file anywhere else would never run; this pins the layout.
 */
const UNIT_FOLDERS = ['architecture', 'helpers', 'provider', 'server', 'ui'];
const E2E_FOLDERS = ['e2e', 'security'];
const testRoot = join(import.meta.dirname, '..');

function testFilesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFilesBelow(path);
    return entry.name.endsWith('.test.ts') ? [relative(testRoot, path)] : [];
  });
}

describe('test layout', () => {
  it('keeps every test file in a folder that test:unit or test:e2e runs', () => {
    const stray = testFilesBelow(testRoot).filter((file) => ![...UNIT_FOLDERS, ...E2E_FOLDERS].includes(file.split(/[\\/]/)[0] as string));
    expect(stray).to.deep.equal([]);
  });
});

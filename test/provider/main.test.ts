import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../../provider/paths.js';

describe('provider/main', () => {
  // ES modules evaluate every static import before the importing module's body: a static import in main.ts
  // would run (and could print to stdout) before the redirect that keeps stdout for the handshake line.
  it('has no static imports, so console output goes to stderr before any provider module loads', () => {
    const file = join(repoRoot, 'provider', 'main.ts');
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const staticImports = source.statements.filter(
      (s) => ts.isImportDeclaration(s) || ts.isImportEqualsDeclaration(s) || (ts.isExportDeclaration(s) && s.moduleSpecifier),
    );
    expect(staticImports.map((s) => s.getText())).to.deep.equal([]);
    const redirect = source.statements.findIndex((s) => s.getText().startsWith('console.log = console.error'));
    const load = source.statements.findIndex((s) => s.getText().includes("import('./run-provider.js')"));
    expect(redirect).to.be.at.least(0);
    expect(load).to.be.greaterThan(redirect);
  });
});

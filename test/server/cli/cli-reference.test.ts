import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { COMMANDS } from '../../../server/cli/command-table.js';
import { cliReferenceMarkdown, withCliReference } from '../../../server/cli/cli-reference.js';

describe('cli reference in the README', () => {
  it('is what npm run docs:cli generates from the command table (no drift)', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(withCliReference(readme) === readme, 'README.md is stale: run "npm run docs:cli"').to.equal(true);
  });

  it('has one row per command, with each of its flags', () => {
    const rows = cliReferenceMarkdown().split('\n');
    for (const command of COMMANDS) {
      const row = rows.find((line) => line.startsWith(`| \`ferry ${command.usage.replace(/\|/g, '\\|')}\` |`));
      expect(row, command.path.join(' ')).to.not.equal(undefined);
      for (const name of Object.keys(command.flags)) expect(row).to.include(`\`-${name}\``);
    }
  });

  it('refuses a README without the markers', () => {
    expect(() => withCliReference('# no markers')).to.throw('cli-commands markers');
  });
});

import { expect } from 'chai';
import { parseServerFlags, SERVER_FLAGS, serverHelp } from '../../../server/cli/server-flags.js';
import { UsageError } from '../../../server/cli/usage-error.js';

describe('ferry server flags', () => {
  it("accepts Vault's forms and repeats -config", () => {
    const flags = parseServerFlags(['-config=a.hcl', '--config', 'b.hcl', '-log-level', 'debug', '-log-format=json']);
    expect(flags).to.include({ dev: false, logLevel: 'debug', logFormat: 'json' });
    expect(flags.configPaths).to.deep.equal(['a.hcl', 'b.hcl']);
  });

  it('reads the dev flags', () => {
    const flags = parseServerFlags(['-dev', '-dev-root-token-id=root', '-dev-listen-address=127.0.0.1:9', '-dev-no-store-token']);
    expect(flags).to.include({ dev: true, devRootTokenId: 'root', devListenAddress: '127.0.0.1:9', devNoStoreToken: true });
  });

  it('takes -h, -help and --help without -config', () => {
    for (const arg of ['-h', '-help', '--help']) expect(parseServerFlags([arg]).help, arg).to.equal(true);
  });

  it('refuses unknown flags, stray arguments, a missing value and no mode', () => {
    expect(() => parseServerFlags(['-bogus'])).to.throw(UsageError, 'unknown flag -bogus');
    expect(() => parseServerFlags(['-dev', 'extra'])).to.throw(UsageError, 'takes only flags');
    expect(() => parseServerFlags(['-config'])).to.throw(UsageError, 'flag -config needs a value');
    expect(() => parseServerFlags([])).to.throw(UsageError, 'needs -config=PATH, or -dev');
  });

  it('prints every flag of the table with its description in -h', () => {
    const help = serverHelp();
    for (const flag of SERVER_FLAGS) {
      expect(help, flag.name).to.include(`  -${flag.name}`);
      expect(flag.description.length, flag.name).to.be.greaterThan(10);
      const firstWords = flag.description.split(' ').slice(0, 3).join(' ');
      expect(help, flag.name).to.include(firstWords);
    }
  });
});

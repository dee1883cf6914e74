import { expect } from 'chai';
import { parseDurationFlag } from '../../../server/cli/duration-flag.js';
import { UsageError } from '../../../server/cli/usage-error.js';

describe('duration flags', () => {
  it('parses Vault duration forms into seconds', () => {
    expect(parseDurationFlag('90', 'ttl')).to.equal(90);
    expect(parseDurationFlag('90s', 'ttl')).to.equal(90);
    expect(parseDurationFlag('30m', 'ttl')).to.equal(1800);
    expect(parseDurationFlag('1h30m', 'ttl')).to.equal(5400);
    expect(parseDurationFlag('1.5h', 'ttl')).to.equal(5400);
    expect(parseDurationFlag('2d', 'ttl')).to.equal(172800);
  });

  it('rejects text that is not a duration, naming the flag', () => {
    for (const bad of ['', 'abc', '1x', '1h junk', '-5s', '9999999999999s']) {
      expect(() => parseDurationFlag(bad, 'ttl'), bad).to.throw(UsageError, '-ttl');
    }
  });
});

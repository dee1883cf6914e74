import { expect } from 'chai';
import { formatDurationSeconds, parseDurationSeconds } from '../../../server/cli/duration.js';
import { UsageError } from '../../../server/cli/usage-error.js';

describe('cli duration', () => {
  it('parses Vault duration forms into seconds', () => {
    expect(parseDurationSeconds('90', 'ttl')).to.equal(90);
    expect(parseDurationSeconds('90s', 'ttl')).to.equal(90);
    expect(parseDurationSeconds('30m', 'ttl')).to.equal(1800);
    expect(parseDurationSeconds('1h', 'ttl')).to.equal(3600);
    expect(parseDurationSeconds('1h30m', 'ttl')).to.equal(5400);
    expect(parseDurationSeconds('1.5h', 'ttl')).to.equal(5400);
    expect(parseDurationSeconds('2d', 'ttl')).to.equal(172800);
  });

  it('rejects text that is not a duration, naming the flag', () => {
    for (const bad of ['', 'abc', '1x', '1h junk', '-5s']) {
      expect(() => parseDurationSeconds(bad, 'ttl'), bad).to.throw(UsageError, '-ttl');
    }
  });

  it('formats seconds like Vault humanDuration', () => {
    expect(formatDurationSeconds(0)).to.equal('0s');
    expect(formatDurationSeconds(90)).to.equal('1m30s');
    expect(formatDurationSeconds(1800)).to.equal('30m');
    expect(formatDurationSeconds(3600)).to.equal('1h');
    expect(formatDurationSeconds(3601)).to.equal('1h1s');
    expect(formatDurationSeconds(2764800)).to.equal('768h');
  });
});

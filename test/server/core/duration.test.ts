import { expect } from 'chai';
import { formatGoDuration, formatHumanDuration, MAX_DURATION_SECONDS, parseDuration, parseDurationSeconds } from '../../../server/core/duration.js';
import { isVaultError } from '../../../server/core/vault-error.js';

function refusal(value: unknown): unknown {
  try {
    parseDurationSeconds(value, 'ttl');
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('parseDurationSeconds', () => {
  it('parses seconds, numeric strings and Go-style durations', () => {
    expect(parseDurationSeconds(90, 'ttl')).to.equal(90);
    expect(parseDurationSeconds('90', 'ttl')).to.equal(90);
    expect(parseDurationSeconds('1h30m', 'ttl')).to.equal(5400);
    expect(parseDurationSeconds('', 'ttl')).to.equal(0);
  });

  it('accepts the longest duration Go holds (about 292 years)', () => {
    expect(parseDurationSeconds(MAX_DURATION_SECONDS, 'ttl')).to.equal(MAX_DURATION_SECONDS);
  });

  // Fuzzer finding: a KV v2 delete_version_after of 1e308 was stored, and the next write of the key
  // failed with a 500 ("Invalid time value") computing its deletion time.
  for (const value of [1e308, '1e308', '99999999999999999999', '99999999999999999999h', '2562048h', MAX_DURATION_SECONDS + 1]) {
    it(`refuses a duration longer than Go's time.Duration as a client error: ${JSON.stringify(value)}`, () => {
      const err = refusal(value);
      expect(isVaultError(err) && err.status).to.equal(400);
    });
  }
});

describe('formatGoDuration', () => {
  it('prints whole seconds as Go time.Duration does', () => {
    expect(formatGoDuration(0)).to.equal('0s');
    expect(formatGoDuration(45)).to.equal('45s');
    expect(formatGoDuration(90)).to.equal('1m30s');
    expect(formatGoDuration(3600)).to.equal('1h0m0s');
    expect(formatGoDuration(100 * 3600 + 61)).to.equal('100h1m1s');
  });
});

describe('formatHumanDuration', () => {
  it('prints seconds like the Vault CLI humanDuration (zero units dropped)', () => {
    expect(formatHumanDuration(0)).to.equal('0s');
    expect(formatHumanDuration(90)).to.equal('1m30s');
    expect(formatHumanDuration(1800)).to.equal('30m');
    expect(formatHumanDuration(3600)).to.equal('1h');
    expect(formatHumanDuration(3601)).to.equal('1h1s');
    expect(formatHumanDuration(2764800)).to.equal('768h');
  });
});

describe('parseDuration', () => {
  it('answers a result instead of throwing', () => {
    expect(parseDuration('1h30m')).to.deep.equal({ ok: true, seconds: 5400 });
    expect(parseDuration('1x')).to.deep.equal({ ok: false, reason: 'syntax' });
    expect(parseDuration('2562048h')).to.deep.equal({ ok: false, reason: 'too_large' });
  });
});

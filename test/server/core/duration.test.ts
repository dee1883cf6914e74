import { expect } from 'chai';
import { MAX_DURATION_SECONDS, parseDurationSeconds } from '../../../server/core/duration.js';
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

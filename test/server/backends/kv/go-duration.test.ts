import { expect } from 'chai';
import { formatGoDuration } from '../../../../server/backends/kv/go-duration.js';

describe('formatGoDuration', () => {
  it('prints seconds the way Go prints a time.Duration', () => {
    expect(formatGoDuration(0)).to.equal('0s');
    expect(formatGoDuration(45)).to.equal('45s');
    expect(formatGoDuration(90)).to.equal('1m30s');
    expect(formatGoDuration(3600)).to.equal('1h0m0s');
    expect(formatGoDuration(100 * 3600 + 61)).to.equal('100h1m1s');
  });
});

import { expect } from 'chai';
import { assertJsonDepthWithin, MAX_AUDIT_JSON_DEPTH } from '../../../../server/core/audit/json-depth.js';
import { VaultError } from '../../../../server/core/vault-error.js';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { k: value } : [value];
  return value;
}

describe('assertJsonDepthWithin', () => {
  it('accepts data nested exactly to the limit', () => {
    expect(() => assertJsonDepthWithin(nested(MAX_AUDIT_JSON_DEPTH))).not.to.throw();
  });

  it('refuses one level more with a 400', () => {
    expect(() => assertJsonDepthWithin(nested(MAX_AUDIT_JSON_DEPTH + 1)))
      .to.throw(VaultError)
      .with.property('code', 'invalid_request');
  });

  it('refuses hostile nesting far beyond the stack without overflowing it', () => {
    const hostile = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)) as unknown;
    expect(() => assertJsonDepthWithin(hostile)).to.throw(VaultError);
  });

  it('ignores scalars', () => {
    for (const value of [null, 1, 'x', true, undefined]) expect(() => assertJsonDepthWithin(value, 0)).not.to.throw();
  });
});

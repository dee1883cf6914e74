import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { AuditHasher } from '../../../../server/core/audit/audit-hasher.js';

describe('AuditHasher', () => {
  const salt = Buffer.alloc(32, 7);

  it("HMAC-SHA256s a string with the device salt, in Vault's hmac-sha256: form", () => {
    const expected = createHmac('sha256', salt).update('s3cret').digest('hex');
    expect(new AuditHasher(salt).hash('s3cret')).to.equal(`hmac-sha256:${expected}`);
  });

  it('gives different hashes under different salts', () => {
    expect(new AuditHasher(salt).hash('x')).not.to.equal(new AuditHasher(Buffer.alloc(32, 8)).hash('x'));
  });

  it('hashes every string leaf, keeps numbers, booleans and null, and never mutates its input', () => {
    const input = { a: 'one', nested: { b: ['two', 3, true, null], c: { d: 'four' } }, n: 5 };
    const snapshot = structuredClone(input);
    const hasher = new AuditHasher(salt);
    const out = hasher.hashStructure(input) as typeof input;
    expect(input).to.deep.equal(snapshot);
    expect(out.a).to.equal(hasher.hash('one'));
    expect(out.nested.b).to.deep.equal([hasher.hash('two'), 3, true, null]);
    expect(out.nested.c.d).to.equal(hasher.hash('four'));
    expect(out.n).to.equal(5);
    expect(JSON.stringify(out)).not.to.match(/one|two|four/);
  });
});

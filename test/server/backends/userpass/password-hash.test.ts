import { expect } from 'chai';
import { hashPassword, SCRYPT_PARAMS, verifyPassword } from '../../../../server/backends/userpass/password-hash.js';

describe('password-hash', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', stored)).to.equal(true);
    expect(await verifyPassword('correct horsf', stored)).to.equal(false);
    expect(await verifyPassword('', stored)).to.equal(false);
  });

  it('salts every hash and never stores the password', async () => {
    const a = await hashPassword('same-password');
    const b = await hashPassword('same-password');
    expect(a.salt).not.to.equal(b.salt);
    expect(a.hash).not.to.equal(b.hash);
    expect(JSON.stringify(a)).not.to.include('same-password');
    expect(a).to.include({ algorithm: 'scrypt', n: SCRYPT_PARAMS.n, r: SCRYPT_PARAMS.r, p: SCRYPT_PARAMS.p });
    expect(Buffer.from(a.salt, 'base64')).to.have.length(16);
  });

  it('verifies with the parameters stored in the hash, so they can change later', async () => {
    const stored = await hashPassword('pw');
    const tampered = { ...stored, n: stored.n / 2 };
    expect(await verifyPassword('pw', tampered)).to.equal(false);
  });

  it('treats Unicode compositions of one password as the same password', async () => {
    const stored = await hashPassword('caf\u00e9');
    expect(await verifyPassword('cafe\u0301', stored)).to.equal(true);
  });
});

import { expect } from 'chai';
import { assertSecretPath, listPrefix } from '../../../../server/backends/kv/secret-path.js';
import { VaultError } from '../../../../server/core/vault-error.js';

describe('secret-path', () => {
  it('accepts ordinary nested paths', () => {
    for (const path of ['a', 'a/b', 'a.b/c-d', 'team/app@prod']) expect(() => assertSecretPath(path)).not.to.throw();
  });

  it('refuses empty, dot and dot-dot segments and NUL bytes', () => {
    for (const path of ['', 'a//b', '/a', 'a/', './a', 'a/..', 'a/../b', 'a\0b']) expect(() => assertSecretPath(path), path).to.throw(VaultError);
  });

  it('maps LIST of a folder with or without its slash to one prefix', () => {
    expect(listPrefix('')).to.equal('');
    expect(listPrefix('a')).to.equal('a/');
    expect(listPrefix('a/b/')).to.equal('a/b/');
    expect(() => listPrefix('a/../')).to.throw(VaultError);
  });
});

import { expect } from 'chai';
import { VaultError } from '../../../server/core/vault-error.js';
import { parsePathsFilter, withPathsFilter } from '../../../server/replication/paths-filter.js';
import type { PrimaryState } from '../../../server/replication/replication-state.js';

function rejects(fn: () => unknown, message: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).to.be.instanceOf(VaultError);
  expect((err as VaultError).code).to.equal('invalid_request');
  expect((err as VaultError).message).to.match(message);
}

describe('paths filter: parsing and storing', () => {
  it('normalizes mount paths, defaults to allow and drops duplicates', () => {
    expect(parsePathsFilter('', ['secret', '/secret/', 'auth/userpass'])).to.deep.equal({ mode: 'allow', paths: ['secret/', 'auth/userpass/'] });
    expect(parsePathsFilter('deny', ['team/eu/'])).to.deep.equal({ mode: 'deny', paths: ['team/eu/'] });
  });

  it('refuses a bad mode, an empty list, malformed and built-in paths', () => {
    rejects(() => parsePathsFilter('whitelist', ['secret/']), /invalid mode "whitelist"/);
    rejects(() => parsePathsFilter('deny', []), /at least one mount path/);
    rejects(() => parsePathsFilter('deny', ['a/../b']), /invalid path "a\/\.\.\/b"/);
    rejects(() => parsePathsFilter('deny', ['a//b']), /invalid path/);
    rejects(() => parsePathsFilter('deny', ['bad\u0000name']), /invalid path "bad\?name"/);
    for (const builtin of ['sys/', 'cubbyhole', 'identity/', 'auth/token/']) rejects(() => parsePathsFilter('deny', [builtin]), /invalid path/);
  });

  it('stores a filter on a known performance secondary only, and removes it', () => {
    const state = {
      role: 'primary',
      secondaries: {
        eu: { id: 'eu', certSerial: '01', issuedAt: '', tokenExpiresAt: '' },
        dr: { id: 'dr', certSerial: '02', issuedAt: '', tokenExpiresAt: '', kind: 'dr' },
      },
    } as unknown as PrimaryState;
    const filter = parsePathsFilter('deny', ['secret-eu/']);
    const next = withPathsFilter(state, 'eu', filter);
    expect(next.secondaries.eu?.pathsFilter).to.deep.equal(filter);
    expect(state.secondaries.eu?.pathsFilter, 'the previous state is left as it was').to.equal(undefined);
    expect(withPathsFilter(next, 'eu', undefined).secondaries.eu).to.deep.equal(state.secondaries.eu);
    rejects(() => withPathsFilter(state, 'nobody', filter), /no secondary with id "nobody"/);
    rejects(() => withPathsFilter(state, 'dr', filter), /DR secondary/);
  });
});

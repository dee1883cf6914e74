import { expect } from 'chai';
import { layout } from '../../../server/core/storage-layout.js';
import { isReplicatedKey, isReplicatedPrefix } from '../../../server/replication/replication-filter.js';

/** One test per class of storage key: what travels to secondaries and what stays home. */
describe('replication filter: does this key travel?', () => {
  const travels = (key: string) => expect(isReplicatedKey(key), key).to.equal(true);
  const staysHome = (key: string) => expect(isReplicatedKey(key), key).to.equal(false);

  it('replicates the non-local mount table and mount data', () => {
    travels(layout.mountTable(false));
    travels(`${layout.mountData('3f1c', false)}v2/metadata/app`);
  });
  it('replicates the non-local auth table and auth data (userpass users)', () => {
    travels(layout.authTable(false));
    travels(`${layout.authData('9a2b', false)}user/alice`);
  });
  it('replicates non-local audit devices', () => travels(layout.auditTable(false)));
  it('replicates policies', () => travels(`${layout.policies}reader`));
  it('replicates the keyring and the seal configuration', () => {
    travels(layout.keyring);
    travels(layout.sealConfig);
  });
  it('keeps tokens home', () => staysHome(`${layout.tokens}id/abc`));
  it('keeps leases home', () => staysHome(`${layout.leases}id/secret/x/1`));
  it('keeps cubbyhole home', () => staysHome(`${layout.cubbyhole}abc/k`));
  it('keeps wrapping tokens and the wrapping key home', () => staysHome(`${layout.wrapping}jwtkey`));
  it('keeps local mounts, local auth methods and local audit devices home, with their data', () => {
    staysHome(layout.mountTable(true));
    staysHome(`${layout.mountData('3f1c', true)}k`);
    staysHome(layout.authTable(true));
    staysHome(`${layout.authData('9a2b', true)}user/bob`);
    staysHome(layout.auditTable(true));
  });
  it("keeps the engine's own bookkeeping home (WAL, replication state, cluster identity)", () => {
    staysHome(`${layout.replication}wal/0000000000000001`);
    staysHome(`${layout.replication}state`);
    staysHome(`${layout.clusterSecrets}info`);
  });
  it('lets a prefix delete travel only when it cannot touch local keys', () => {
    expect(isReplicatedPrefix('logical/3f1c/')).to.equal(true);
    expect(isReplicatedPrefix('')).to.equal(false);
    expect(isReplicatedPrefix('lo')).to.equal(false);
    expect(isReplicatedPrefix('local/logical/3f1c/')).to.equal(false);
  });
});

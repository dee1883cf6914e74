import { expect } from 'chai';
import nodeVault from 'node-vault';
import { startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';

type VaultClient = ReturnType<typeof nodeVault>;

/** The node-vault error for a non-2xx answer: the status code and Vault's error envelope. */
async function apiFailureOf(call: () => Promise<unknown>): Promise<{ statusCode: number; body: any }> {
  try {
    await call();
  } catch (err) {
    const response = (err as { response?: { statusCode: number; body: any } }).response;
    if (response === undefined) throw err;
    return response;
  }
  throw new Error('expected node-vault to reject, but the call succeeded');
}

/**
 * The third-party `node-vault` client, unchanged, against a spawned SQLite-backed `ferry server`
 * that starts uninitialized.
 */
describe('node-vault (a third-party Vault client) against ferry server', function () {
  this.timeout(60_000);
  let server: ServerHandle;
  let vault: VaultClient;
  let rootToken: string;
  let unsealKeys: string[];

  /** A separate client with its own token (node-vault swaps `token` after create/renew calls). */
  const clientWith = (token: string): VaultClient => nodeVault({ endpoint: server.addr, token });

  before(async () => {
    server = await startSqliteServer({ initialize: false });
    vault = nodeVault({ endpoint: server.addr });
  });

  after(async () => {
    await server?.stop();
  });

  describe('init and unseal', () => {
    it('reports an uninitialized server', async () => {
      expect(await vault.initialized()).to.include({ initialized: false });
    });

    it('initializes with 3 shares and a threshold of 2', async () => {
      const init = await vault.init({ secret_shares: 3, secret_threshold: 2 });
      expect(init.keys).to.be.an('array').with.length(3);
      expect(init.keys_base64).to.be.an('array').with.length(3);
      expect(init.root_token).to.be.a('string').and.not.equal('');
      rootToken = init.root_token;
      unsealKeys = init.keys;
      // Let the helper restart/unseal this server if needed.
      server.rootToken = rootToken;
      server.unsealKeys = init.keys_base64;
      server.unsealThreshold = 2;
      expect(await vault.initialized()).to.include({ initialized: true });
    });

    it('reports sealed status with the share counts', async () => {
      expect(await vault.status()).to.include({ sealed: true, t: 2, n: 3, progress: 0 });
    });

    it('unseals with two hex keys, reporting progress', async () => {
      const first = await vault.unseal({ key: unsealKeys[0] });
      expect(first).to.include({ sealed: true, progress: 1, t: 2 });
      const second = await vault.unseal({ key: unsealKeys[2] });
      expect(second).to.include({ sealed: false, progress: 0 });
      vault.token = rootToken;
    });

    it('reports health and leader', async () => {
      expect(await vault.health()).to.include({ initialized: true, sealed: false, standby: false });
      const leader = await vault.leader();
      expect(leader).to.have.property('ha_enabled');
    });
  });

  describe('policies', () => {
    const rules = 'path "secret/app/*" {\n  capabilities = ["read", "list"]\n}\n';

    it('writes a policy with addPolicy (legacy rules field) and reads it with getPolicy', async () => {
      await vault.addPolicy({ name: 'nv-app', rules });
      const policy = await vault.getPolicy({ name: 'nv-app' });
      expect(policy).to.include({ name: 'nv-app', rules });
    });

    it('writes a policy with the policy field through write()', async () => {
      await vault.write('sys/policy/nv-other', { policy: 'path "secret/other" { capabilities = ["read"] }' });
      expect((await vault.read('sys/policy/nv-other')).rules).to.include('secret/other');
    });

    it('lists policies with policies()', async () => {
      const listed = await vault.policies();
      expect(listed.policies).to.include.members(['default', 'root', 'nv-app', 'nv-other']);
    });

    it('lists policies with the LIST method (list())', async () => {
      const listed = await vault.list('sys/policies/acl');
      expect(listed.data.keys).to.include.members(['default', 'nv-app', 'nv-other']);
    });

    it('removes a policy with removePolicy', async () => {
      await vault.removePolicy({ name: 'nv-other' });
      expect((await vault.policies()).policies).to.not.include('nv-other');
      expect((await apiFailureOf(() => vault.getPolicy({ name: 'nv-other' }))).statusCode).to.equal(404);
    });

    it('refuses a malformed policy with a 400 and Vault error envelope', async () => {
      const failure = await apiFailureOf(() => vault.addPolicy({ name: 'broken', rules: 'path "x" { capabilities = ["fly"] }' }));
      expect(failure.statusCode).to.equal(400);
      expect(failure.body.errors).to.be.an('array').that.is.not.empty;
    });
  });

  describe('tokens', () => {
    let child: { token: string; accessor: string };
    // The default policy does not allow creating tokens; this one does.
    const creatorRules = 'path "auth/token/create" {\n  capabilities = ["update"]\n}\npath "auth/token/create-orphan" {\n  capabilities = ["update"]\n}\n';

    before(async () => {
      await clientWith(rootToken).addPolicy({ name: 'nv-creator', rules: creatorRules });
    });

    it('creates a token with policies, ttl, display name and metadata (tokenCreate)', async () => {
      const admin = clientWith(rootToken);
      const created = await admin.tokenCreate({ policies: ['nv-app', 'nv-creator'], ttl: '1h', renewable: true, display_name: 'nv', meta: { team: 'blue' } });
      expect(created.auth.client_token).to.be.a('string');
      expect(created.auth.accessor).to.be.a('string');
      expect(created.auth.policies).to.include.members(['default', 'nv-app', 'nv-creator']);
      expect(created.auth.lease_duration).to.equal(3600);
      expect(created.auth.renewable).to.equal(true);
      // node-vault adopts the token it just created, as with Vault.
      expect(admin.token).to.equal(created.auth.client_token);
      child = { token: created.auth.client_token, accessor: created.auth.accessor };
    });

    it('looks a token up by id (tokenLookup), by accessor (tokenLookupAccessor) and itself (tokenLookupSelf)', async () => {
      const byId = await vault.tokenLookup({ token: child.token });
      expect(byId.data).to.include({ display_name: 'token-nv', accessor: child.accessor, renewable: true });
      expect(byId.data.policies).to.include.members(['default', 'nv-app']);
      expect(byId.data.meta).to.deep.equal({ team: 'blue' });
      const byAccessor = await vault.tokenLookupAccessor({ accessor: child.accessor });
      expect(byAccessor.data).to.include({ accessor: child.accessor, display_name: 'token-nv' });
      expect(byAccessor.data.id ?? '').to.equal('');
      const self = await clientWith(child.token).tokenLookupSelf();
      expect(self.data).to.include({ id: child.token, accessor: child.accessor });
    });

    it('renews a token (tokenRenew) and itself (tokenRenewSelf)', async () => {
      const renewed = await clientWith(rootToken).tokenRenew({ token: child.token, increment: '2h' });
      expect(renewed.auth.client_token).to.equal(child.token);
      expect(renewed.auth.lease_duration).to.be.within(3600, 7200);
      const self = await clientWith(child.token).tokenRenewSelf({ increment: 1800 });
      expect(self.auth.lease_duration).to.be.within(1, 7200);
      expect((await vault.tokenLookup({ token: child.token })).data.ttl).to.be.within(1, 7200);
    });

    it('refuses to renew a non-renewable token', async () => {
      const fixed = await clientWith(rootToken).tokenCreate({ ttl: '1h', renewable: false });
      const failure = await apiFailureOf(() => clientWith(rootToken).tokenRenew({ token: fixed.auth.client_token }));
      expect(failure.statusCode).to.be.within(400, 499);
    });

    it('creates an orphan token (tokenCreateOrphan) that outlives its creator', async () => {
      const parent = (await clientWith(rootToken).tokenCreate({ policies: ['nv-creator'] })).auth.client_token;
      const orphan = (await clientWith(parent).tokenCreateOrphan({ policies: ['default'] })).auth;
      expect(orphan.orphan).to.equal(true);
      await vault.tokenRevoke({ token: parent });
      expect((await apiFailureOf(() => clientWith(parent).tokenLookupSelf())).statusCode).to.equal(403);
      expect((await vault.tokenLookup({ token: orphan.client_token })).data.orphan).to.equal(true);
    });

    it('revokes a token and its children (tokenRevoke)', async () => {
      const grandchild = (await clientWith(child.token).tokenCreate({ policies: ['nv-app'] })).auth.client_token;
      expect((await vault.tokenLookup({ token: grandchild })).data.policies).to.include('nv-app');
      await vault.tokenRevoke({ token: child.token });
      for (const token of [child.token, grandchild]) {
        const failure = await apiFailureOf(() => clientWith(token).tokenLookupSelf());
        expect(failure.statusCode).to.equal(403);
        expect(failure.body.errors).to.deep.equal(['permission denied']);
      }
    });

    it('revokes a token by accessor (tokenRevokeAccessor)', async () => {
      const created = (await clientWith(rootToken).tokenCreate({ policies: ['default'] })).auth;
      await vault.tokenRevokeAccessor({ accessor: created.accessor });
      expect((await apiFailureOf(() => clientWith(created.client_token).tokenLookupSelf())).statusCode).to.equal(403);
    });

    it('revokes a token itself (tokenRevokeSelf)', async () => {
      const own = clientWith((await clientWith(rootToken).tokenCreate({ policies: ['default'] })).auth.client_token);
      await own.tokenRevokeSelf();
      expect((await apiFailureOf(() => own.tokenLookupSelf())).statusCode).to.equal(403);
    });

    it('revokes a parent but keeps its children with tokenRevokeOrphan', async () => {
      const parent = (await clientWith(rootToken).tokenCreate({ policies: ['nv-creator'] })).auth.client_token;
      const kid = (await clientWith(parent).tokenCreate({ policies: ['default'] })).auth.client_token;
      await vault.tokenRevokeOrphan({ token: parent });
      expect((await apiFailureOf(() => clientWith(parent).tokenLookupSelf())).statusCode).to.equal(403);
      expect((await clientWith(kid).tokenLookupSelf()).data.orphan).to.equal(true);
    });

    it('lists token accessors with the LIST method (tokenAccessors)', async () => {
      const listed = await vault.tokenAccessors();
      expect(listed.data.keys).to.be.an('array').that.is.not.empty;
    });
  });

  describe('seal', () => {
    it('seals (seal) and unseals again (unseal)', async () => {
      await vault.seal();
      expect(await vault.status()).to.include({ sealed: true });
      expect((await apiFailureOf(() => vault.tokenLookupSelf())).statusCode).to.equal(503);
      await vault.unseal({ key: unsealKeys[1] });
      expect(await vault.unseal({ key: unsealKeys[0] })).to.include({ sealed: false });
      expect((await vault.tokenLookupSelf()).data.policies).to.deep.equal(['root']);
    });
  });
});

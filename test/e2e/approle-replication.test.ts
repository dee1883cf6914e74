import { expect } from 'chai';
import { startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * AppRole and identity across a primary and a secondary (real processes on loopback): roles,
 * role IDs and secret IDs replicate and log in on the secondary with a token of the secondary;
 * `local_secret_ids` keeps a role's secret IDs on the cluster that issued them; entities replicate.
 */
describe('AppRole and identity under replication', function () {
  this.timeout(180_000);
  const root = 'approle-replication-root';
  let primary: ServerHandle;
  let secondary: ServerHandle;

  const status = async (s: ServerHandle) => (await s.request('GET', 'sys/replication/status', { token: null })).body.data;
  const ok = async (s: ServerHandle, method: string, path: string, body?: unknown, token?: string | null) => {
    const res = await s.request(method, path, { ...(body === undefined ? {} : { body }), ...(token === undefined ? {} : { token }) });
    expect(res.status, `${method} ${path}: ${res.text}`).to.be.within(200, 299);
    return res.body;
  };
  const converged = () =>
    waitFor(
      async () => {
        const [a, b] = await Promise.all([status(primary), status(secondary)]);
        return a.merkle_root === b.merkle_root && b.state === 'stream-wals' ? true : undefined;
      },
      { timeoutMs: 30_000, description: 'equal Merkle roots' },
    );

  before(async () => {
    [primary, secondary] = await Promise.all([startDevServer({ rootTokenId: root }), startDevServer({ rootTokenId: root })]);
    await ok(primary, 'POST', 'sys/replication/primary/enable');
    const token = (await ok(primary, 'POST', 'sys/replication/primary/secondary-token', { id: 'dr1' })).wrap_info.token as string;
    await ok(secondary, 'POST', 'sys/replication/secondary/enable', { token });
    await waitFor(async () => ((await status(secondary)).connection_state === 'ready' ? true : undefined), {
      timeoutMs: 30_000,
      description: 'secondary ready',
    });
    await ok(primary, 'POST', 'sys/auth/approle', { type: 'approle' });
    await ok(primary, 'POST', 'sys/policies/acl/app', { policy: 'path "secret/data/app/*" { capabilities = ["read"] }' });
    await ok(primary, 'POST', 'secret/data/app/config', { data: { v: 'CANARY-approle-repl-5b7a' } });
  });
  after(async () => {
    await Promise.all([primary?.stop(), secondary?.stop()]);
  });

  it('an AppRole role created on the primary logs in on the secondary, with a token of the secondary only', async () => {
    await ok(primary, 'POST', 'auth/approle/role/web', { token_policies: 'app', token_ttl: '15m' });
    const roleId = (await ok(primary, 'GET', 'auth/approle/role/web/role-id')).data.role_id as string;
    const secretId = (await ok(primary, 'POST', 'auth/approle/role/web/secret-id')).data.secret_id as string;
    await converged();
    expect((await ok(secondary, 'GET', 'auth/approle/role/web')).data.token_policies).to.deep.equal(['app']);
    const login = await ok(secondary, 'POST', 'auth/approle/login', { role_id: roleId, secret_id: secretId }, null);
    const token = login.auth.client_token as string;
    expect(login.auth.policies).to.deep.equal(['app', 'default']);
    expect(login.auth.lease_duration).to.be.within(890, 900);
    const read = await secondary.request('GET', 'secret/data/app/config', { token });
    expect(read.status, read.text).to.equal(200);
    expect(read.body.data.data).to.deep.equal({ v: 'CANARY-approle-repl-5b7a' });
    // Tokens stay on the cluster that issued them.
    expect((await primary.request('GET', 'auth/token/lookup-self', { token })).status).to.equal(403);
    // The first login of this role ID anywhere: the secondary had the primary create its entity.
    const accessor = (await ok(primary, 'GET', 'sys/auth')).data['approle/'].accessor as string;
    const onPrimary = (await ok(primary, 'POST', 'identity/lookup/entity', { alias_name: roleId, alias_mount_accessor: accessor })).data;
    expect(login.auth.entity_id).to.match(/^[0-9a-f-]{36}$/);
    expect(login.auth.entity_id).to.equal(onPrimary.id);
    expect(onPrimary.aliases[0].metadata).to.deep.equal({ role_name: 'web' });
    expect((await ok(secondary, 'GET', 'auth/token/lookup-self', undefined, token)).data.entity_id).to.equal(onPrimary.id);
  });

  it("a user's first login on the secondary gets the entity the primary stores, and later logins everywhere share it", async () => {
    await ok(primary, 'POST', 'sys/auth/upass2', { type: 'userpass' });
    await ok(primary, 'POST', 'auth/upass2/users/nina', { password: 'CANARY-nina-pw-73' });
    await converged();
    const first = await ok(secondary, 'POST', 'auth/upass2/login/nina', { password: 'CANARY-nina-pw-73' }, null);
    const entityId = first.auth.entity_id as string;
    expect(entityId).to.match(/^[0-9a-f-]{36}$/);
    const accessor = (await ok(primary, 'GET', 'sys/auth')).data['upass2/'].accessor as string;
    const stored = (await ok(primary, 'POST', 'identity/lookup/entity', { alias_name: 'nina', alias_mount_accessor: accessor })).data;
    expect(stored.id).to.equal(entityId);
    expect((await ok(secondary, 'GET', `identity/entity/id/${entityId}`)).data.aliases).to.have.length(1);
    expect((await ok(primary, 'POST', 'auth/upass2/login/nina', { password: 'CANARY-nina-pw-73' }, null)).auth.entity_id).to.equal(entityId);
    expect((await ok(secondary, 'POST', 'auth/upass2/login/nina', { password: 'CANARY-nina-pw-73' }, null)).auth.entity_id).to.equal(entityId);
    // Secrets never travel in the request: the primary log has the alias, never the password.
    expect(primary.logs()).to.not.include('CANARY-nina-pw-73');
  });

  it('a secret ID generated through the secondary is made on the primary and works on both', async () => {
    const roleId = (await ok(secondary, 'GET', 'auth/approle/role/web/role-id')).data.role_id as string;
    const secretId = (await ok(secondary, 'POST', 'auth/approle/role/web/secret-id')).data.secret_id as string;
    await converged();
    await ok(primary, 'POST', 'auth/approle/role/web/secret-id/lookup', { secret_id: secretId });
    expect((await ok(primary, 'POST', 'auth/approle/login', { role_id: roleId, secret_id: secretId }, null)).auth.client_token).to.be.a('string');
    expect((await ok(secondary, 'POST', 'auth/approle/login', { role_id: roleId, secret_id: secretId }, null)).auth.client_token).to.be.a('string');
  });

  it('secret IDs of a role with local_secret_ids stay on the cluster that issued them', async () => {
    await ok(primary, 'POST', 'auth/approle/role/edge', { local_secret_ids: true });
    await converged();
    const roleId = (await ok(secondary, 'GET', 'auth/approle/role/edge/role-id')).data.role_id as string;
    const onPrimary = (await ok(primary, 'POST', 'auth/approle/role/edge/secret-id')).data.secret_id as string;
    const onSecondary = (await ok(secondary, 'POST', 'auth/approle/role/edge/secret-id')).data.secret_id as string;
    await converged();
    expect((await ok(secondary, 'POST', 'auth/approle/login', { role_id: roleId, secret_id: onSecondary }, null)).auth.client_token).to.be.a('string');
    const foreign = await secondary.request('POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: onPrimary }, token: null });
    expect(foreign.status).to.equal(400);
    expect(foreign.body).to.deep.equal({ errors: ['invalid role or secret ID'] });
    expect((await primary.request('POST', 'auth/approle/login', { body: { role_id: roleId, secret_id: onSecondary }, token: null })).status).to.equal(400);
  });

  it('entities and groups replicate: a login on the secondary carries the entity made on the primary', async () => {
    await ok(primary, 'POST', 'sys/auth/userpass', { type: 'userpass' });
    await ok(primary, 'POST', 'auth/userpass/users/ops', { password: 'CANARY-ops-pw-19' });
    const first = await ok(primary, 'POST', 'auth/userpass/login/ops', { password: 'CANARY-ops-pw-19' }, null);
    const entityId = first.auth.entity_id as string;
    expect(entityId).to.match(/^[0-9a-f-]{36}$/);
    const group = (await ok(primary, 'POST', 'identity/group', { name: 'ops-team', member_entity_ids: [entityId], policies: 'app' })).data.id as string;
    await converged();
    expect((await ok(secondary, 'GET', `identity/group/id/${group}`)).data.member_entity_ids).to.deep.equal([entityId]);
    const onSecondary = await ok(secondary, 'POST', 'auth/userpass/login/ops', { password: 'CANARY-ops-pw-19' }, null);
    expect(onSecondary.auth.entity_id).to.equal(entityId);
    // The group's policy applies on the secondary too.
    const read = await secondary.request('GET', 'secret/data/app/config', { token: onSecondary.auth.client_token });
    expect(read.status, read.text).to.equal(200);
    // An identity edit through the secondary is forwarded to the primary.
    await ok(secondary, 'POST', `identity/entity/id/${entityId}`, { metadata: { site: 'dc2' } });
    await converged();
    expect((await ok(primary, 'GET', `identity/entity/id/${entityId}`)).data.metadata).to.deep.equal({ site: 'dc2' });
  });

  // Last: it stops the primary.
  it('without a reachable primary, a first login on the secondary still succeeds, without an entity, and logs a warning', async () => {
    await ok(primary, 'POST', 'auth/upass2/users/olaf', { password: 'CANARY-olaf-pw-88' });
    await converged();
    await primary.stop();
    const started = Date.now();
    const login = await ok(secondary, 'POST', 'auth/upass2/login/olaf', { password: 'CANARY-olaf-pw-88' }, null);
    expect(Date.now() - started).to.be.below(35_000);
    expect(login.auth.client_token).to.be.a('string');
    expect(login.auth.entity_id).to.equal('');
    const logs = secondary.logs();
    expect(logs).to.match(/creating a login entity on the primary failed|the primary did not provide one in time/);
    expect(logs).to.not.include('CANARY-olaf-pw-88');
  });
});

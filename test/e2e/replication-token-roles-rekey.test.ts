import { expect } from 'chai';
import { HvacError, runHvac } from '../helpers/hvac.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { activateSecondary } from '../helpers/secondary-activation.js';

const py = (value: unknown): string => `json.loads(${JSON.stringify(JSON.stringify(value))})`;

const OPERATOR_POLICY = `
path "auth/token/create/*" { capabilities = ["update"] }
path "auth/token/roles/*" { capabilities = ["create", "read", "update"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
path "secret/data/*" { capabilities = ["read"] }
`;

/**
 * Token roles and rekey across a primary and a secondary (real SQLite servers on loopback), driven
 * with hvac: roles replicate (tokens made from them stay local; orphan batch tokens travel as they
 * are sealed with the replicated keyring), and a rekey on the primary changes
 * the cluster's unseal keys, which the secondary follows while running and needs after a restart.
 */
describe('replication: token roles and rekey', function () {
  this.timeout(180_000);
  let primary: ServerHandle;
  let secondary: ServerHandle;

  const status = async (s: ServerHandle) => (await s.request('GET', 'sys/replication/status', { token: null })).body.data;
  const operatorToken = async (s: ServerHandle): Promise<string> =>
    (await runHvac(s.addr, '', 'result = client.auth.userpass.login(username="op", password="op-pw")["auth"]["client_token"]')) as string;
  const converged = () =>
    waitFor(
      async () => {
        const [a, b] = await Promise.all([status(primary), status(secondary)]);
        return a.merkle_root === b.merkle_root && b.state === 'stream-wals' ? true : undefined;
      },
      { timeoutMs: 30_000, description: 'equal Merkle roots' },
    );

  before(async () => {
    [primary, secondary] = await Promise.all([startSqliteServer(), startSqliteServer()]);
    await runHvac(
      primary.addr,
      primary.rootToken,
      `
client.sys.create_or_update_policy(name="operator", policy=${py(OPERATOR_POLICY)})
client.sys.enable_auth_method("userpass")
client.auth.userpass.create_or_update_user(username="op", password="op-pw", policies=["operator"])
client.sys.enable_secrets_engine(backend_type="kv", path="secret", options={"version": "2"})
client.write("sys/replication/primary/enable")
`,
    );
    await activateSecondary(primary, secondary, 'dc2', { timeoutMs: 20_000 });
  });

  after(async () => {
    await Promise.all([primary?.stop(), secondary?.stop()]);
  });

  it('a token role created on the primary makes tokens on the secondary; a role written on the secondary lands on the primary', async () => {
    await runHvac(
      primary.addr,
      primary.rootToken,
      'client.auth.token.create_or_update_role("ci", allowed_policies=["operator"], orphan=True, renewable=False)',
    );
    await converged();
    const onSecondary = await operatorToken(secondary);
    const made = (await runHvac(
      secondary.addr,
      onSecondary,
      `
made = client.auth.token.create(role_name="ci")["auth"]
result = {"made": made, "self": hvac.Client(url=client.url, token=made["client_token"]).auth.token.lookup_self()["data"]}
client.auth.token.create_or_update_role("from-secondary", allowed_policies=["operator"])
`,
    )) as any;
    expect(made.made).to.include({ orphan: true, renewable: false });
    expect(made.self).to.include({ path: 'auth/token/create/ci', role: 'ci' });
    const onPrimary = (await runHvac(primary.addr, primary.rootToken, 'result = client.auth.token.read_role("from-secondary")["data"]')) as any;
    expect(onPrimary.allowed_policies).to.deep.equal(['operator']);
    // The token itself is local to the secondary.
    const lookup = await primary.request('POST', 'auth/token/lookup', { body: { token: made.made.client_token } });
    expect(lookup.status).to.equal(403);
  });

  it('an orphan batch token made on the primary works on the secondary (they share the keyring); a non-orphan one does not', async () => {
    const made = (await runHvac(
      primary.addr,
      primary.rootToken,
      `
orphan = client.auth.token.create(type="batch", policies=["operator"], no_parent=True, ttl="10m")["auth"]["client_token"]
child = client.auth.token.create(type="batch", policies=["operator"], ttl="10m")["auth"]["client_token"]
result = {"orphan": orphan, "child": child}
`,
    )) as { orphan: string; child: string };
    expect(made.orphan).to.match(/^hvb\./);
    const self = (await runHvac(secondary.addr, made.orphan, 'result = client.auth.token.lookup_self()["data"]')) as any;
    expect(self).to.include({ type: 'batch', orphan: true });
    // Its parent (the primary's root token) is local to the primary.
    const failure = await runHvac(secondary.addr, made.child, 'result = client.auth.token.lookup_self()').catch((err: unknown) => err);
    expect((failure as HvacError).pythonClass).to.equal('hvac.exceptions.Forbidden');
  });

  it("refuses a rekey on the secondary: the primary's keys are the cluster's", async () => {
    const failure = await runHvac(secondary.addr, '', 'client.sys.start_rekey(secret_shares=1, secret_threshold=1)').catch((err: unknown) => err);
    expect((failure as HvacError).pythonClass).to.equal('hvac.exceptions.InvalidRequest');
    expect((failure as HvacError).errors?.[0]).to.match(/not allowed on a replication secondary/);
  });

  it('a rekey on the primary is followed by the running secondary, whose restart then needs the new keys', async () => {
    const done = (await runHvac(
      primary.addr,
      '',
      `
start = client.sys.start_rekey(secret_shares=4, secret_threshold=3)
result = client.sys.rekey_multi(${py(primary.unsealKeys.slice(0, 2))}, nonce=start["nonce"])
`,
    )) as { complete: boolean; keys_base64: string[] };
    expect(done.complete).to.equal(true);
    // A keyring rotation after the rekey is sealed with the new root key: the secondary must follow both.
    await runHvac(
      primary.addr,
      primary.rootToken,
      `
client.sys.rotate_encryption_key()
client.secrets.kv.v2.create_or_update_secret(path="after-rekey", secret={"v": "1"})
`,
    );
    await converged();
    const token = await operatorToken(secondary);
    const read = (await runHvac(secondary.addr, token, 'result = client.secrets.kv.v2.read_secret_version(path="after-rekey")["data"]["data"]')) as any;
    expect(read).to.deep.equal({ v: '1' });
    expect((await secondary.request('GET', 'sys/seal-status', { token: null })).body).to.include({ t: 3, n: 4 });

    await secondary.restart({ unseal: false });
    const oldKeys = await secondary.request('PUT', 'sys/unseal', { token: null, body: { key: primary.unsealKeys[0] } });
    expect(oldKeys.body).to.include({ sealed: true });
    await secondary.request('PUT', 'sys/unseal', { token: null, body: { reset: true } });
    primary.unsealKeys = done.keys_base64;
    primary.unsealThreshold = 3;
    secondary.unsealKeys = done.keys_base64;
    secondary.unsealThreshold = 3;
    await secondary.unseal();
    await waitFor(async () => ((await status(secondary)).state === 'stream-wals' ? true : undefined), { timeoutMs: 20_000, description: 'streaming again' });
    const again = await operatorToken(secondary);
    const reread = (await runHvac(secondary.addr, again, 'result = client.secrets.kv.v2.read_secret_version(path="after-rekey")["data"]["data"]')) as any;
    expect(reread).to.deep.equal({ v: '1' });
    await primary.restart();
    expect((await primary.request('GET', 'sys/seal-status', { token: null })).body).to.include({ sealed: false, t: 3, n: 4 });
  });
});

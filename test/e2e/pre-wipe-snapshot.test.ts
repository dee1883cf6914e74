import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startSqliteServer, waitFor, type ApiResponse, type ServerHandle } from '../helpers/test-cluster.js';

const run = promisify(execFile);

/**
 * The wipe made revocable (issue 19): a cluster that held data is activated as a secondary with
 * `pre_wipe_snapshot_dir` configured; the response names the snapshot file. Undoing the
 * activation is then: disable replication, restore the file (forced: the wipe gave the cluster a
 * new id), unseal with the old keys — and the old data and tokens are back.
 */
describe('pre-wipe snapshot on secondary activation', function () {
  this.timeout(180_000);

  let primary: ServerHandle;
  let target: ServerHandle;
  const snapshotDir = mkdtempSync(join(tmpdir(), 'ferry-prewipe-'));

  const ok = (res: ApiResponse, what: string): void => {
    expect(res.status, `${what}: ${res.text}`).to.be.within(200, 204);
  };

  before(async () => {
    [primary, target] = await Promise.all([
      startSqliteServer(),
      startSqliteServer({ extraConfig: `replication {\n  pre_wipe_snapshot_dir = "${snapshotDir}"\n}\n` }),
    ]);
  });

  after(async () => {
    await Promise.all([primary?.stop(), target?.stop()]);
    rmSync(snapshotDir, { recursive: true, force: true });
  });

  it('activates, then disable + restore + unseal with the old keys brings the old data and tokens back', async () => {
    // The target's own life before activation.
    ok(await target.request('POST', 'sys/mounts/mine', { body: { type: 'kv', options: { version: '2' } } }), 'mount on the target');
    ok(await target.request('POST', 'mine/data/ledger', { body: { data: { balance: '1200' } } }), 'write on the target');
    const tokenRes = await target.request('POST', 'auth/token/create', { body: { policies: ['default'], ttl: '24h' } });
    ok(tokenRes, 'token on the target');
    const oldToken = tokenRes.body.auth.client_token as string;
    const old = { keys: target.unsealKeys, threshold: target.unsealThreshold, root: target.rootToken };

    // An admin user on the primary, usable on the secondary after activation.
    ok(
      await primary.request('PUT', 'sys/policies/acl/ops', { body: { policy: 'path "sys/*" { capabilities = ["create", "read", "update", "sudo"] }' } }),
      'policy',
    );
    ok(await primary.request('POST', 'sys/auth/userpass', { body: { type: 'userpass' } }), 'userpass');
    ok(await primary.request('POST', 'auth/userpass/users/ops', { body: { password: 'ops-pass-19', policies: 'ops' } }), 'user');
    ok(await primary.request('POST', 'sys/replication/primary/enable', { body: {} }), 'primary enable');
    const secondaryToken = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'undo-me' } });

    // Asking for a pre-wipe snapshot where no folder is configured is refused before anything happens.
    const refused = await primary.request('POST', 'sys/replication/secondary/enable', { body: { token: 'unused', pre_wipe_snapshot: true } });
    expect(refused.status).to.equal(400);
    expect(refused.body.errors[0]).to.match(/pre_wipe_snapshot needs a folder.*pre_wipe_snapshot_dir/);

    const enabled = await target.request('POST', 'sys/replication/secondary/enable', { body: { token: secondaryToken.body.wrap_info.token } });
    ok(enabled, 'secondary enable');
    const warning = (enabled.body.warnings as string[]).find((w) => w.includes('before the wipe'));
    const file = /saved to (\S+\.snap)/.exec(warning ?? '')?.[1];
    expect(file, JSON.stringify(enabled.body.warnings)).to.be.a('string');
    expect(file?.startsWith(snapshotDir)).to.equal(true);
    expect(existsSync(file as string)).to.equal(true);
    expect(target.logs()).to.include('pre-wipe snapshot saved');

    // Offline inspection of the file with the CLI.
    const inspect = await run(process.execPath, ['bin/ferry.js', 'operator', 'snapshot', 'inspect', '-format=json', file as string]);
    const inspected = JSON.parse(inspect.stdout) as { replication: { role: string }; key_count: number };
    expect(inspected.replication.role).to.equal('disabled');
    expect(inspected.key_count).to.be.greaterThan(0);

    // The wipe happened: the old token is gone.
    expect((await target.request('GET', 'auth/token/lookup-self', { token: oldToken })).status).to.equal(403);
    const admin = await waitFor(
      async () => {
        const res = await target.request('POST', 'auth/userpass/login/ops', { token: null, body: { password: 'ops-pass-19' } });
        return res.status === 200 ? (res.body.auth.client_token as string) : undefined;
      },
      { timeoutMs: 30_000, description: 'an admin login on the secondary' },
    );

    // Undo: disable, restore the file with the CLI, unseal with the old keys.
    ok(await target.request('POST', 'sys/replication/secondary/disable', { token: admin, body: {} }), 'secondary disable');
    const restore = await run(process.execPath, ['bin/ferry.js', 'operator', 'snapshot', 'restore', '-force', file as string], {
      env: { ...process.env, VAULT_ADDR: target.addr, VAULT_TOKEN: admin, FERRY_ADDR: target.addr, FERRY_TOKEN: admin },
    });
    expect(restore.stdout).to.match(/server is sealed/);
    expect((await target.request('GET', 'sys/seal-status', { token: null })).body.sealed).to.equal(true);
    target.unsealKeys = old.keys;
    target.unsealThreshold = old.threshold;
    target.rootToken = old.root;
    await target.unseal();

    const ledger = await target.request('GET', 'mine/data/ledger');
    expect(ledger.status, ledger.text).to.equal(200);
    expect(ledger.body.data.data).to.deep.equal({ balance: '1200' });
    const lookup = await target.request('GET', 'auth/token/lookup-self', { token: oldToken });
    expect(lookup.status, lookup.text).to.equal(200);
    const repl = await target.request('GET', 'sys/replication/status', { token: null });
    expect(repl.body.data.mode).to.equal('disabled');
  });
});

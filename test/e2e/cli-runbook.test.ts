/**
 * A day-2 runbook written only in Vault CLI syntax, run with `ferry` in place of `vault` against a real
 * primary and secondary (SQLite servers on loopback). Every line below is what a Vault user would type;
 * the test only substitutes `ferry` for `vault`, fills in `$VARIABLES` captured from earlier output, and
 * points the commands at one cluster or the other through VAULT_ADDR/VAULT_TOKEN, as a user would.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assertCliBuilt, runFerry, type FerryResult } from '../helpers/ferry-cli.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

describe('e2e: a Vault CLI runbook run with ferry on a primary and a secondary', function () {
  this.timeout(180_000);
  let primary: ServerHandle;
  let secondary: ServerHandle;
  let workDir: string;
  const vars: Record<string, string> = {};

  /** Runs one runbook line (`vault ...`) with `ferry` against a cluster; `$NAME` expands from `vars`. */
  async function vault(line: string, on: ServerHandle, options: { token?: string; stdin?: string; home?: string } = {}): Promise<FerryResult> {
    const words = line.split(/\s+/).map((word) => word.replace(/\$([A-Z_]+)/g, (_, name: string) => vars[name] ?? `$${name}`));
    expect(words[0], line).to.equal('vault');
    const token = options.token ?? (options.home === undefined ? on.rootToken : undefined);
    const result = await runFerry(words.slice(1), { addr: on.addr, token, home: options.home ?? workDir }, options.stdin);
    return result;
  }

  async function ok(line: string, on: ServerHandle, options: { token?: string; stdin?: string; home?: string } = {}): Promise<string> {
    const result = await vault(line, on, options);
    expect(result.code, `${line}\n${result.stderr}`).to.equal(0);
    return result.stdout;
  }

  before(async () => {
    assertCliBuilt();
    workDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-runbook-'));
    [primary, secondary] = await Promise.all([startSqliteServer(), startSqliteServer()]);
  });

  after(async () => {
    await Promise.all([primary?.stop(), secondary?.stop()]);
    await rm(workDir, { recursive: true, force: true });
  });

  it('seed: enables replication on the primary and activates the secondary with a wrapped token', async () => {
    await ok('vault write -f sys/replication/primary/enable', primary);
    vars.ACTIVATION_TOKEN = await ok('vault write -field=wrapping_token sys/replication/primary/secondary-token id=dc2', primary);
    await ok('vault write sys/replication/secondary/enable token=$ACTIVATION_TOKEN', secondary);
    await waitFor(
      async () => {
        const status = await vault('vault read -format=json sys/replication/status', secondary);
        return status.code === 0 && (JSON.parse(status.stdout) as { data: { state: string } }).data.state === 'stream-wals' ? true : undefined;
      },
      { timeoutMs: 30_000, description: 'the secondary to stream WALs' },
    );
    const status = JSON.parse(await ok('vault read -format=json sys/replication/status', secondary)) as Record<string, unknown>;
    expect(Object.keys(status)).to.include('data').and.not.include('state');
    expect(await ok('vault status -format=yaml', secondary)).to.match(/^sealed: false$/m);
  });

  it('day 2 on the primary: KV v2, userpass login, a file audit device and a token with a policy', async () => {
    await ok('vault secrets enable -path=secret kv-v2', primary);
    await ok('vault kv put secret/app db_password=s3cr3t', primary);
    expect(await ok('vault kv get -field=db_password secret/app', primary)).to.equal('s3cr3t');

    await ok('vault policy write app-reader -', primary, { stdin: 'path "secret/data/app" {\n  capabilities = ["read"]\n}\n' });
    await ok('vault auth enable userpass', primary);
    await ok('vault write auth/userpass/users/alice password=alice-pw policies=app-reader', primary);
    const home = await mkdtemp(path.join(workDir, 'alice-'));
    const login = await ok('vault login -method=userpass username=alice password=alice-pw', primary, { home });
    expect(login).to.include('Success! You are now authenticated.');
    expect(await ok('vault kv get -field=db_password secret/app', primary, { home })).to.equal('s3cr3t');

    vars.AUDIT_LOG = path.join(workDir, 'audit.log');
    await ok('vault audit enable file file_path=$AUDIT_LOG', primary);
    expect(await ok('vault audit list', primary)).to.match(/^file\/\s+file/m);

    vars.APP_TOKEN = await ok('vault token create -policy=app-reader -ttl=1h -field=token', primary);
    expect(await ok('vault token capabilities secret/data/app', primary, { token: vars.APP_TOKEN })).to.equal('read\n');
    const denied = await vault('vault kv put secret/app db_password=stolen', primary, { token: vars.APP_TOKEN });
    expect(denied.code).to.equal(2);
    expect((await readFile(vars.AUDIT_LOG, 'utf8')).length).to.be.greaterThan(0);
  });

  it("day 2 on the secondary: generates a root token with the primary's unseal key shares", async () => {
    vars.OTP = (await ok('vault operator generate-root -generate-otp', secondary)).trim();
    const init = await ok('vault operator generate-root -init -otp=$OTP', secondary);
    vars.NONCE = /^Nonce\s+(\S+)$/m.exec(init)?.[1] ?? '';
    let last = '';
    for (const key of primary.unsealKeys.slice(0, primary.unsealThreshold)) {
      last = await ok('vault operator generate-root -nonce=$NONCE -', secondary, { stdin: `${key}\n` });
    }
    vars.ENCODED = /^Encoded Token\s+(\S+)$/m.exec(last)?.[1] ?? '';
    expect(vars.ENCODED, last).to.not.equal('');
    vars.NEW_ROOT = (await ok('vault operator generate-root -decode=$ENCODED -otp=$OTP', secondary)).trim();
    const lookup = await ok('vault token lookup -format=json', secondary, { token: vars.NEW_ROOT });
    expect((JSON.parse(lookup) as { data: { policies: string[] } }).data.policies).to.deep.equal(['root']);
    await waitFor(
      async () => ((await vault('vault kv get -field=db_password secret/app', secondary, { token: vars.NEW_ROOT })).stdout === 's3cr3t' ? true : undefined),
      { timeoutMs: 30_000, description: 'the secret to replicate to the secondary' },
    );
  });
});

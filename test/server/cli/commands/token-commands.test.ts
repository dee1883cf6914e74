import { expect } from 'chai';
import { assertCliBuilt, runFerry, type FerryTarget } from '../../../helpers/ferry-cli.js';
import { startDevServer, type ServerHandle } from '../../../helpers/test-cluster.js';

describe('ferry token renew/capabilities, lease, unwrap and version against a dev server', function () {
  this.timeout(60_000);
  let server: ServerHandle;
  let target: FerryTarget;

  before(async () => {
    assertCliBuilt();
    server = await startDevServer();
    target = { addr: server.addr, token: server.rootToken };
    const policy = await runFerry(['policy', 'write', 'reader', '-'], target, 'path "secret/*" { capabilities = ["read", "list"] }\n');
    expect(policy.code, policy.stderr).to.equal(0);
  });
  after(async () => server?.stop());

  it('renews a token (self and by value) with an increment', async () => {
    const token = (await runFerry(['token', 'create', '-ttl=10m', '-field=token'], target)).stdout;
    const self = await runFerry(['token', 'renew', '-increment=20m', '-format=json'], { ...target, token });
    expect(self.code, self.stderr).to.equal(0);
    expect((JSON.parse(self.stdout) as { auth: { lease_duration: number } }).auth.lease_duration).to.equal(1200);
    const other = await runFerry(['token', 'renew', token], target);
    expect(other.code, other.stderr).to.equal(0);
    expect(other.stdout).to.match(/^token_renewable\s+true$/m);
  });

  it('prints capabilities of the current token and of another token', async () => {
    const token = (await runFerry(['token', 'create', '-policy=reader', '-field=token'], target)).stdout;
    const own = await runFerry(['token', 'capabilities', 'secret/x'], { ...target, token });
    expect(own.code, own.stderr).to.equal(0);
    expect(own.stdout).to.equal('list, read\n');
    const other = await runFerry(['token', 'capabilities', '-format=json', token, 'sys/mounts'], target);
    expect(JSON.parse(other.stdout)).to.deep.equal(['deny']);
    const root = await runFerry(['token', 'capabilities', 'secret/x'], target);
    expect(root.stdout).to.equal('root\n');
  });

  it('looks up, renews and revokes a lease', async () => {
    const token = await runFerry(['token', 'create', '-ttl=1h', '-format=json'], target);
    const accessor = (JSON.parse(token.stdout) as { auth: { accessor: string } }).auth.accessor;
    const leases = await server.request('LIST', 'sys/leases/lookup/auth/token/create/');
    const leaseId = `auth/token/create/${String(leases.body.data?.keys?.[0] ?? '')}`;
    expect(leases.status, leases.text).to.equal(200);
    const lookup = await runFerry(['lease', 'lookup', leaseId], target);
    expect(lookup.code, lookup.stderr).to.equal(0);
    expect(lookup.stdout).to.match(/^id\s+auth\/token\/create\//m);
    const revoke = await runFerry(['lease', 'revoke', leaseId], target);
    expect(revoke.code, revoke.stderr).to.equal(0);
    expect(revoke.stdout).to.equal(`Success! Revoked lease: ${leaseId}\n`);
    expect((await runFerry(['lease', 'lookup', leaseId], target)).code).to.equal(2);
    const prefix = await runFerry(['lease', 'revoke', '-prefix', 'auth/token/create/'], target);
    expect(prefix.stdout).to.equal('Success! Revoked any leases with prefix: auth/token/create/\n');
    const gone = await runFerry(['token', 'lookup', '-accessor', accessor], target);
    expect(gone.code).to.equal(2);
    const bad = await runFerry(['lease', 'revoke', '-force', leaseId], target);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('-force requires also specifying -prefix');
    const renewMissing = await runFerry(['lease', 'renew', 'no/such/lease'], target);
    expect(renewMissing.code).to.equal(2);
  });

  it('unwraps a wrapped response given its wrapping token', async () => {
    const wrapped = await runFerry(['token', 'create', '-wrap-ttl=5m', '-field=wrapping_token'], target);
    expect(wrapped.code, wrapped.stderr).to.equal(0);
    const unwrapped = await runFerry(['unwrap', '-format=json', wrapped.stdout], target);
    expect(unwrapped.code, unwrapped.stderr).to.equal(0);
    expect((JSON.parse(unwrapped.stdout) as { auth: { client_token: string } }).auth.client_token).to.be.a('string').that.is.not.empty;
    const again = await runFerry(['unwrap', wrapped.stdout], target);
    expect(again.code).to.equal(2);
    expect(again.stderr).to.not.include(wrapped.stdout);
  });

  it('prints the version for version and -version', async () => {
    for (const argv of [['version'], ['-version'], ['--version']]) {
      const result = await runFerry(argv, target);
      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/^Ferry v\d+\.\d+\.\d+\n$/);
    }
  });
});

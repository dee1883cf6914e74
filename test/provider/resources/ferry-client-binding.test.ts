/**
 * Ferry's resources through the framework's client binding, in process against the stub API: what the user
 * reads when a call fails is the same whichever resource made it.
 */
import { expect } from 'chai';
import { createFerryEngine } from '../../../provider/ferry-provider.js';
import { Diagnostics } from '../../../provider/framework/diagnostics.js';
import { objectFromEntries, unknown, type ObjectValue, type Value } from '../../../provider/framework/values.js';
import { startStubFerryApi, type StubFerryApi } from '../helpers/stub-ferry-api.js';

const obj = (entries: Record<string, Value>): ObjectValue => objectFromEntries(Object.entries(entries));
const providerConfig = (address: Value, token: Value) => obj({ address, token, ca_cert_file: null, skip_tls_verify: null, auth_login_userpass: null });
const policy = obj({ name: 'apps', policy: 'path "apps/*" { capabilities = ["read"] }', cluster: null });
const mount = obj({
  path: 'kv-replicated',
  type: 'kv',
  description: '',
  local: false,
  options: null,
  default_lease_ttl_seconds: null,
  max_lease_ttl_seconds: null,
  accessor: unknown,
  cluster: null,
});
const summarize = (d: Diagnostics) =>
  d.items.map((i) => ({ summary: i.summary, detail: i.detail, path: (i.path ?? []).map((s) => ('attribute' in s ? s.attribute : '?')).join('.') }));

describe('provider/resources/ferry-client-binding', () => {
  let api: StubFerryApi;
  before(async () => {
    api = await startStubFerryApi();
  });
  after(async () => {
    await api?.close();
  });

  async function engineWith(config: ObjectValue) {
    const engine = createFerryEngine({});
    const diagnostics = new Diagnostics();
    await engine.configure(config, diagnostics);
    expect(diagnostics.items).to.deep.equal([]);
    return engine;
  }

  it('applies with the configured client: the policy reaches the server', async () => {
    const engine = await engineWith(providerConfig(api.address, 'ROOT'));
    const diagnostics = new Diagnostics();
    const state = await engine.applyResourceChange('ferry_policy', null, policy, policy, diagnostics);
    expect(diagnostics.items).to.deep.equal([]);
    expect(state).to.deep.equal(policy);
    expect(api.policies.get('apps')).to.equal('path "apps/*" { capabilities = ["read"] }');
  });

  it('reports a refused token under the operation summary, at the attribute, with the hint and without the token', async () => {
    const engine = await engineWith(providerConfig(api.address, 'NOT-A-VALID-TOKEN'));
    const diagnostics = new Diagnostics();
    expect(await engine.applyResourceChange('ferry_policy', null, policy, policy, diagnostics)).to.equal(null);
    const [d] = summarize(diagnostics);
    expect(d?.summary).to.equal('Cannot write policy');
    expect(d?.path).to.equal('policy');
    expect(d?.detail).to.match(new RegExp(`^Ferry at ${api.address} refused \\w+ /v1/sys/policies/acl/apps: permission denied\\. The token was refused`));
    expect(d?.detail).to.not.contain('NOT-A-VALID-TOKEN');
  });

  it('reports a missing client with the reason, under the operation summary', async () => {
    const engine = await engineWith(providerConfig(unknown, 'ROOT'));
    const diagnostics = new Diagnostics();
    expect(await engine.applyResourceChange('ferry_policy', null, policy, policy, diagnostics)).to.equal(null);
    expect(summarize(diagnostics)).to.deep.equal([
      { summary: 'Cannot write policy', detail: 'The provider configuration depends on values that are only known after apply.', path: '' },
    ]);
  });

  it('explains a replicated mount refused by a secondary on `local`', async () => {
    api.isSecondary = true;
    try {
      const engine = await engineWith(providerConfig(api.address, 'ROOT'));
      const diagnostics = new Diagnostics();
      expect(await engine.applyResourceChange('ferry_mount', null, mount, mount, diagnostics)).to.equal(null);
      const [d] = summarize(diagnostics);
      expect(d?.summary).to.equal('Replicated mount on a replication secondary');
      expect(d?.path).to.equal('local');
    } finally {
      api.isSecondary = false;
    }
  });

  it('reports an unreachable server with the address hint', async () => {
    const closed = await startStubFerryApi();
    await closed.close();
    const engine = await engineWith(providerConfig(closed.address, 'ROOT'));
    const diagnostics = new Diagnostics();
    expect(
      await engine.readDataSource(
        'ferry_replication_status',
        obj({
          mode: null,
          state: null,
          cluster_id: null,
          known_secondaries: null,
          last_wal: null,
          last_remote_wal: null,
          merkle_root: null,
          primary_cluster_addr: null,
          cluster: null,
        }),
        diagnostics,
      ),
    ).to.not.equal(null);
    const [d] = summarize(diagnostics);
    expect(d?.summary).to.equal('Cannot read replication status');
    const hostPort = closed.address.replace(/^http:\/\//, '').replace(/\/$/, '');
    expect(d?.detail).to.equal(
      `cannot reach Ferry at ${closed.address}: ECONNREFUSED (connect ECONNREFUSED ${hostPort}). Check the provider's address (or FERRY_ADDR) and that the server is running.`,
    );
  });
});

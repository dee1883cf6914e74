/**
 * The `cluster` block, driven over gRPC against the built provider (no terraform needed): a resource aimed
 * at a cluster other than the provider's. Two stub APIs stand in for the provider's cluster and the target.
 * Needs `npm run build` first.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { createFerryEngine } from '../../../provider/ferry-provider.js';
import { providerBundleLoaderFile } from '../../../provider/paths.js';
import { objectFromEntries, unknown, type Value } from '../../../provider/framework/values.js';
import type { ValueType } from '../../../provider/framework/value-type.js';
import { decodeDynamicValue, encodeDynamicValue } from '../../../provider/protocol/value-codec.js';
import { startProviderProcess, type ProviderProcess } from '../helpers/provider-process.js';
import { startStubFerryApi, type StubFerryApi } from '../helpers/stub-ferry-api.js';

const engine = createFerryEngine({});
const policyType = engine.resourceType('ferry_policy');
const secondaryType = engine.resourceType('ferry_replication_secondary');
const statusType = engine.dataSourceType('ferry_replication_status');
const providerType = engine.providerType();

const dv = (value: Value, type: ValueType) => encodeDynamicValue(value, type);
const obj = (entries: Record<string, Value>) => objectFromEntries(Object.entries(entries));
const cluster = (address: Value, token: Value = 'ROOT', userpass: Value = null) =>
  obj({
    address,
    token,
    ca_cert_file: null,
    skip_tls_verify: null,
    auth_login_userpass: userpass,
  });
const policy = (name: string, target: Value, text = 'path "apps/*" { capabilities = ["read"] }') => obj({ name, policy: text, cluster: target });
const errorsOf = (res: { diagnostics: any[] }): any[] => res.diagnostics.filter((d) => d.severity === 'ERROR');
const stepsOf = (paths: Array<{ steps: any[] }>) => paths.map((p) => p.steps.map((s) => s.attribute_name));

describe('provider/resources/cluster-targeted: the `cluster` block over gRPC (no terraform needed)', function () {
  this.timeout(60_000);
  let p: ProviderProcess;
  let home: StubFerryApi;
  let other: StubFerryApi;

  const configure = async () => {
    const res = await p.provider['ConfigureProvider']?.({
      terraform_version: '1.11.4',
      config: dv(obj({ address: home.address, token: 'ROOT', ca_cert_file: null, skip_tls_verify: null, auth_login_userpass: null }), providerType),
    });
    expect(errorsOf(res)).to.deep.equal([]);
  };
  const apply = async (type: string, valueType: ValueType, prior: Value, planned: Value) =>
    await p.provider['ApplyResourceChange']?.({
      type_name: type,
      prior_state: dv(prior, valueType),
      planned_state: dv(planned, valueType),
      config: dv(planned, valueType),
    });
  const plan = async (type: string, valueType: ValueType, prior: Value, config: Value) =>
    await p.provider['PlanResourceChange']?.({
      type_name: type,
      prior_state: dv(prior, valueType),
      proposed_new_state: dv(config, valueType),
      config: dv(config, valueType),
    });

  before(async function () {
    if (!existsSync(providerBundleLoaderFile)) throw new Error(`${providerBundleLoaderFile} is missing: run npm run build before this test`);
    [home, other] = await Promise.all([startStubFerryApi(), startStubFerryApi()]);
    p = await startProviderProcess();
    await configure();
  });

  after(async () => {
    await p?.close();
    await Promise.all([home?.close(), other?.close()]);
  });

  it('serves a `cluster` block on every resource and the data source: address required, token and password sensitive', async () => {
    const res = await p.provider['GetProviderSchema']?.({});
    const blocks = [...Object.values(res.resource_schemas), ...Object.values(res.data_source_schemas)] as any[];
    // Every resource and data source of the checked-in schema is served, each with the block.
    const checkedIn = Object.values(
      (
        JSON.parse(readFileSync('schemas/ferry-provider.schema.json', 'utf8')) as {
          provider_schemas: Record<string, { resource_schemas: object; data_source_schemas: object }>;
        }
      ).provider_schemas,
    )[0];
    expect(Object.keys(res.resource_schemas).sort()).to.deep.equal(Object.keys(checkedIn?.resource_schemas ?? {}).sort());
    expect(blocks).to.have.length(Object.keys(checkedIn?.resource_schemas ?? {}).length + Object.keys(checkedIn?.data_source_schemas ?? {}).length);
    for (const schema of blocks) {
      const block = schema.block.block_types.find((b: any) => b.type_name === 'cluster');
      expect(block).to.include({ nesting: 'SINGLE' });
      const attr = (name: string) => block.block.attributes.find((a: any) => a.name === name);
      expect(attr('address')).to.include({ required: true });
      expect(attr('token')).to.include({ optional: true, sensitive: true });
      const login = block.block.block_types.find((b: any) => b.type_name === 'auth_login_userpass');
      expect(login.block.attributes.find((a: any) => a.name === 'password')).to.include({ sensitive: true });
    }
  });

  it("validates the block's address on its attribute path", async () => {
    const res = await p.provider['ValidateResourceConfig']?.({ type_name: 'ferry_policy', config: dv(policy('ops', cluster('127.0.0.1:8300')), policyType) });
    expect(errorsOf(res).map((d) => d.attribute.steps.map((s: any) => s.attribute_name))).to.deep.equal([['cluster', 'address']]);
  });

  it('plans with a token that is unknown until apply, without contacting any cluster; the wipe warning names the target', async () => {
    const before = home.requests.length + other.requests.length;
    const config = obj({
      token: 'activation',
      primary_api_addr: null,
      ca_file: null,
      allow_wipe: null,
      cluster_id: null,
      mode: null,
      state: null,
      pre_wipe_snapshot: null,
      cluster: cluster(other.address, unknown),
    });
    const res = await plan('ferry_replication_secondary', secondaryType, null, config);
    expect(errorsOf(res)).to.deep.equal([]);
    const planned = decodeDynamicValue(res.planned_state, secondaryType) as Record<string, any>;
    expect(planned['cluster']['token']).to.equal(unknown);
    expect(planned['cluster']['address']).to.equal(other.address);
    const warning = res.diagnostics.find((d: any) => d.severity === 'WARNING');
    expect(warning.detail).to.include(other.address).and.not.include(home.address);
    expect(home.requests.length + other.requests.length, 'planning must not call the API').to.equal(before);
  });

  it("applies, reads and deletes on the block's cluster with the block's token, never on the provider's", async () => {
    other.validTokens.add('OTHER');
    const state = policy('east-ops', cluster(other.address, 'OTHER'));
    const applied = await apply('ferry_policy', policyType, null, state);
    expect(errorsOf(applied)).to.deep.equal([]);
    expect(other.policies.has('east-ops')).to.equal(true);
    expect(home.policies.has('east-ops')).to.equal(false);
    expect(other.requests.filter((r) => r.path === 'sys/policies/acl/east-ops').map((r) => r.token)).to.deep.equal(['OTHER']);
    expect(decodeDynamicValue(applied.new_state, policyType)).to.deep.equal(state);

    const read = await p.provider['ReadResource']?.({ type_name: 'ferry_policy', current_state: applied.new_state });
    expect(decodeDynamicValue(read.new_state, policyType)).to.deep.equal(state);
    const destroyed = await apply('ferry_policy', policyType, state, null);
    expect(errorsOf(destroyed)).to.deep.equal([]);
    expect(other.policies.has('east-ops')).to.equal(false);
    expect(home.requests.some((r) => r.path === 'sys/policies/acl/east-ops')).to.equal(false);
  });

  it('replaces the resource when cluster.address changes, and updates in place without an API call when only the token changes', async () => {
    const prior = policy('ops', cluster(other.address, 'T1'));
    const moved = await plan('ferry_policy', policyType, prior, policy('ops', cluster('http://127.0.0.1:8400', 'T1')));
    expect(stepsOf(moved.requires_replace)).to.deep.equal([['cluster', 'address']]);
    const slash = await plan('ferry_policy', policyType, prior, policy('ops', cluster(`${other.address}/`, 'T1')));
    expect(slash.requires_replace, 'a trailing slash is the same cluster').to.deep.equal([]);
    const unknownAddress = await plan('ferry_policy', policyType, prior, policy('ops', cluster(unknown, 'T1')));
    expect(stepsOf(unknownAddress.requires_replace)).to.deep.equal([['cluster', 'address']]);

    const rotated = policy('ops', cluster(other.address, 'T2'));
    const planned = await plan('ferry_policy', policyType, prior, rotated);
    expect(planned.requires_replace).to.deep.equal([]);
    const before = other.requests.length;
    const applied = await apply('ferry_policy', policyType, prior, rotated);
    expect(errorsOf(applied)).to.deep.equal([]);
    expect(other.requests.length, 'a token change alone is only recorded').to.equal(before);
    expect((decodeDynamicValue(applied.new_state, policyType) as any).cluster.token).to.equal('T2');
  });

  it("replaces when a block is added that points away from the provider's cluster, not when it names the provider's own address", async () => {
    const prior = policy('ops', null);
    const away = await plan('ferry_policy', policyType, prior, policy('ops', cluster(other.address)));
    expect(stepsOf(away.requires_replace)).to.deep.equal([['cluster']]);
    const same = await plan('ferry_policy', policyType, prior, policy('ops', cluster(home.address)));
    expect(same.requires_replace).to.deep.equal([]);
    const removed = await plan('ferry_policy', policyType, policy('ops', cluster(other.address)), prior);
    expect(stepsOf(removed.requires_replace)).to.deep.equal([['cluster']]);
  });

  it("logs in with the block's auth_login_userpass once a token is refused, retries once, and shares the login per (address, token)", async () => {
    other.userpassUsers.set('terraform', 'pw');
    const login = obj({ mount: null, username: 'terraform', password: 'pw' });
    const target = cluster(other.address, 'stale-token', login);
    for (const name of ['a', 'b']) {
      const res = await apply('ferry_policy', policyType, null, policy(name, target));
      expect(errorsOf(res)).to.deep.equal([]);
    }
    expect(other.policies.has('a') && other.policies.has('b')).to.equal(true);
    expect(
      other.requests.filter((r) => r.path === 'auth/userpass/login/terraform'),
      'one login for both resources',
    ).to.have.length(1);
    const writes = other.requests.filter((r) => r.path === 'sys/policies/acl/a' && r.method !== 'GET').map((r) => r.token);
    expect(writes).to.deep.equal(['stale-token', 'login-1']);
  });

  it("imports `<id>@<address>` from that cluster with the provider's credentials", async () => {
    other.policies.set('imported', 'path "x" {}');
    const imported = await p.provider['ImportResourceState']?.({ type_name: 'ferry_policy', id: `imported@${other.address}` });
    expect(errorsOf(imported)).to.deep.equal([]);
    const read = await p.provider['ReadResource']?.({ type_name: 'ferry_policy', current_state: imported.imported_resources[0].state });
    expect(errorsOf(read)).to.deep.equal([]);
    expect(decodeDynamicValue(read.new_state, policyType)).to.deep.equal(policy('imported', cluster(other.address, null), 'path "x" {}'));
  });

  it("reads the data source from the block's cluster", async () => {
    const before = other.requests.filter((r) => r.path === 'sys/replication/status').length;
    const config = obj({
      mode: null,
      state: null,
      cluster_id: null,
      known_secondaries: null,
      last_wal: null,
      last_remote_wal: null,
      merkle_root: null,
      primary_cluster_addr: null,
      cluster: cluster(other.address),
    });
    const res = await p.provider['ReadDataSource']?.({ type_name: 'ferry_replication_status', config: dv(config, statusType) });
    expect(errorsOf(res)).to.deep.equal([]);
    expect((decodeDynamicValue(res.state, statusType) as any).mode).to.equal('disabled');
    expect(other.requests.filter((r) => r.path === 'sys/replication/status').length).to.equal(before + 1);
  });

  it("names the block's address in the diagnostic when that cluster is unreachable, without hanging", async () => {
    const started = Date.now();
    const res = await apply('ferry_policy', policyType, null, policy('ops', cluster('http://127.0.0.1:1', 'T')));
    const errors = errorsOf(res);
    expect(errors).to.have.length(1);
    expect(errors[0].detail)
      .to.include('http://127.0.0.1:1')
      .and.match(/ECONNREFUSED/)
      .and.not.include(home.address);
    expect(Date.now() - started).to.be.lessThan(10_000);
  });
});

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createFerryEngine } from '../../../provider/ferry-provider.js';
import { providerBundleLoaderFile, providerLauncherFile, providerSchemaFile, providerSourceAddress } from '../../../provider/paths.js';
import { objectFromEntries, unknown, type Value } from '../../../provider/framework/values.js';
import type { ValueType } from '../../../provider/framework/value-type.js';
import { decodeDynamicValue, encodeDynamicValue } from '../../../provider/protocol/value-codec.js';
import { makeClientIdentity, startProviderProcess, type ProviderProcess } from '../helpers/provider-process.js';
import { startStubFerryApi, type StubFerryApi } from '../helpers/stub-ferry-api.js';
import * as grpc from '@grpc/grpc-js';

const engine = createFerryEngine({});
const mountType = engine.resourceType('ferry_mount');
const policyType = engine.resourceType('ferry_policy');
const providerType = engine.providerType();

const dv = (value: Value, type: ValueType) => encodeDynamicValue(value, type);
const obj = (entries: Record<string, Value>) => objectFromEntries(Object.entries(entries));
const providerConfig = (address: string, token: string | null = 'ROOT') =>
  dv(
    obj({
      address,
      token,
      ca_cert_file: null,
      skip_tls_verify: null,
      auth_login_userpass: null,
    }),
    providerType,
  );
const mountConfig = (over: Record<string, Value> = {}) =>
  obj({
    path: 'kv-local',
    type: 'kv',
    description: null,
    local: null,
    options: null,
    default_lease_ttl_seconds: null,
    max_lease_ttl_seconds: null,
    accessor: null,
    ...over,
  });
const errorsOf = (res: { diagnostics: any[] }): any[] => res.diagnostics.filter((d) => d.severity === 'ERROR');

describe('provider/protocol/provider-service over gRPC with mTLS (no terraform needed)', function () {
  this.timeout(60_000);
  let p: ProviderProcess;
  let api: StubFerryApi;

  before(async function () {
    if (!existsSync(providerBundleLoaderFile)) throw new Error(`${providerBundleLoaderFile} is missing: run npm run build before this test`);
    api = await startStubFerryApi();
    p = await startProviderProcess();
  });

  after(async () => {
    await p?.close();
    await api?.close();
  });

  it('announces itself with one go-plugin handshake line: core 1, protocol 6, unix socket, grpc, unpadded cert', () => {
    expect(p.handshake.coreVersion).to.equal(1);
    expect(p.handshake.appVersion).to.equal(6);
    expect(p.handshake.network).to.equal('unix');
    expect(p.handshake.protocol).to.equal('grpc');
    const field = p.stdout().trim().split('|')[5] ?? '';
    expect(field).to.not.match(/=$/);
    expect(
      p
        .stdout()
        .split('\n')
        .filter((l) => l !== ''),
    ).to.have.length(1);
  });

  it('serves a certificate Go accepts: SAN localhost, CA, server auth', () => {
    const cert = new X509Certificate(p.handshake.serverCertDer as Buffer);
    expect(cert.subjectAltName).to.include('DNS:localhost');
    expect(cert.ca).to.equal(true);
    expect(cert.keyUsage ?? []).to.include('1.3.6.1.5.5.7.3.1');
    expect(new Date(cert.validFrom).getTime()).to.be.lessThan(Date.now());
  });

  it('refuses a client that does not present the certificate Terraform announced', async () => {
    const stranger = await makeClientIdentity();
    const creds = grpc.credentials.createSsl(
      Buffer.from(
        `-----BEGIN CERTIFICATE-----\n${(p.handshake.serverCertDer as Buffer).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`,
      ),
      Buffer.from(stranger.keyPem),
      Buffer.from(stranger.certPem),
    );
    const client = p.connectWith(creds);
    let failed: unknown;
    try {
      await client['GetProviderSchema']?.({});
    } catch (err) {
      failed = err;
    }
    expect(failed, "a stranger's certificate must not be accepted").to.be.instanceOf(Error);
  });

  it('reports SERVING for the "plugin" health service', async () => {
    expect(await p.health['Check']?.({ service: 'plugin' })).to.deep.include({ status: 'SERVING' });
  });

  it('serves GetProviderSchema from schemas/ferry-provider.schema.json', async () => {
    const res = await p.provider['GetProviderSchema']?.({});
    const file = JSON.parse(readFileSync(providerSchemaFile, 'utf8')).provider_schemas[providerSourceAddress];
    expect(Object.keys(res.resource_schemas).sort()).to.deep.equal(Object.keys(file.resource_schemas).sort());
    expect(Object.keys(res.data_source_schemas)).to.deep.equal(['ferry_replication_status']);
    const local = res.resource_schemas.ferry_mount.block.attributes.find((a: any) => a.name === 'local');
    expect(JSON.parse(local.type.toString())).to.equal('bool');
    expect(local).to.include({ optional: true, computed: true });
    expect(res.provider.block.block_types[0]).to.include({ type_name: 'auth_login_userpass', nesting: 'SINGLE' });
    expect(res.server_capabilities).to.include({ plan_destroy: true });
  });

  it('reports a validation error on the attribute path of an invalid mount path', async () => {
    const res = await p.provider['ValidateResourceConfig']?.({ type_name: 'ferry_mount', config: dv(mountConfig({ path: '/bad/' }), mountType) });
    const errors = errorsOf(res);
    expect(errors).to.have.length(1);
    expect(errors[0].attribute.steps).to.deep.equal([{ attribute_name: 'path', selector: 'attribute_name' }]);
  });

  it('accepts unknown values during validation', async () => {
    const res = await p.provider['ValidateResourceConfig']?.({ type_name: 'ferry_mount', config: dv(mountConfig({ path: unknown }), mountType) });
    expect(errorsOf(res)).to.deep.equal([]);
  });

  it('plans a create with unknowns: computed values unknown, defaults filled, config unknowns kept', async () => {
    const config = mountConfig({ description: unknown });
    const res = await p.provider['PlanResourceChange']?.({
      type_name: 'ferry_mount',
      prior_state: dv(null, mountType),
      proposed_new_state: dv(config, mountType),
      config: dv(config, mountType),
    });
    expect(errorsOf(res)).to.deep.equal([]);
    const planned = decodeDynamicValue(res.planned_state, mountType) as Record<string, Value>;
    expect(planned['path']).to.equal('kv-local');
    expect(planned['description']).to.equal(unknown);
    expect(planned['local']).to.equal(false);
    expect(planned['accessor']).to.equal(unknown);
    expect(planned['default_lease_ttl_seconds']).to.equal(unknown);
  });

  it('asks for replacement when a mount changes type, and not when only its description changes', async () => {
    const prior = obj({
      ...mountConfig(),
      description: '',
      local: false,
      options: obj({}),
      default_lease_ttl_seconds: 0,
      max_lease_ttl_seconds: 0,
      accessor: 'kv_1',
    });
    const plan = async (change: Record<string, Value>) => {
      const config = mountConfig(change);
      const proposed = obj({ ...prior, ...change });
      return await p.provider['PlanResourceChange']?.({
        type_name: 'ferry_mount',
        prior_state: dv(prior, mountType),
        proposed_new_state: dv(proposed, mountType),
        config: dv(config, mountType),
      });
    };
    expect((await plan({ type: 'kv-v2' })).requires_replace).to.deep.equal([{ steps: [{ attribute_name: 'type', selector: 'attribute_name' }] }]);
    const tune = await plan({ description: 'tuned' });
    expect(tune.requires_replace).to.deep.equal([]);
    expect((decodeDynamicValue(tune.planned_state, mountType) as Record<string, Value>)['accessor']).to.equal('kv_1');
  });

  it('configures, applies, reads and imports a policy against the API', async () => {
    const configured = await p.provider['ConfigureProvider']?.({ terraform_version: '1.11.4', config: providerConfig(api.address) });
    expect(errorsOf(configured)).to.deep.equal([]);
    const config = obj({ name: 'ops', policy: 'path "secret/*" { capabilities = ["read"] }', cluster: null });
    const applied = await p.provider['ApplyResourceChange']?.({
      type_name: 'ferry_policy',
      prior_state: dv(null, policyType),
      planned_state: dv(config, policyType),
      config: dv(config, policyType),
    });
    expect(errorsOf(applied)).to.deep.equal([]);
    expect(api.policies.get('ops')).to.equal('path "secret/*" { capabilities = ["read"] }');
    expect(api.requests.find((r) => r.path === 'sys/policies/acl/ops')?.token).to.equal('ROOT');

    const imported = await p.provider['ImportResourceState']?.({ type_name: 'ferry_policy', id: 'ops' });
    expect(imported.imported_resources).to.have.length(1);
    const importedState = imported.imported_resources[0].state;
    const read = await p.provider['ReadResource']?.({ type_name: 'ferry_policy', current_state: importedState });
    expect(decodeDynamicValue(read.new_state, policyType)).to.deep.equal(config);

    api.policies.delete('ops');
    const gone = await p.provider['ReadResource']?.({ type_name: 'ferry_policy', current_state: importedState });
    expect(decodeDynamicValue(gone.new_state, policyType)).to.equal(null);
  });

  it('explains on the `local` attribute why a replicated mount cannot be created on a secondary', async () => {
    api.isSecondary = true;
    try {
      const planned = obj({
        ...mountConfig(),
        description: '',
        local: false,
        options: unknown,
        default_lease_ttl_seconds: unknown,
        max_lease_ttl_seconds: unknown,
        accessor: unknown,
      });
      const res = await p.provider['ApplyResourceChange']?.({
        type_name: 'ferry_mount',
        prior_state: dv(null, mountType),
        planned_state: dv(planned, mountType),
        config: dv(mountConfig(), mountType),
      });
      const errors = errorsOf(res);
      expect(errors).to.have.length(1);
      expect(errors[0].attribute.steps[0].attribute_name).to.equal('local');
      expect(errors[0].detail)
        .to.match(/replication secondary/)
        .and.match(/local = true/);
      expect(decodeDynamicValue(res.new_state, mountType)).to.equal(null);
    } finally {
      api.isSecondary = false;
    }
  });

  it('turns a refused token into a diagnostic that says so', async () => {
    await p.provider['ConfigureProvider']?.({ config: providerConfig(api.address, 'wrong-token') });
    const res = await p.provider['ReadResource']?.({ type_name: 'ferry_policy', current_state: dv(obj({ name: 'x', policy: 'y' }), policyType) });
    expect(errorsOf(res)[0]?.detail)
      .to.match(/permission denied/)
      .and.match(/token was refused/);
  });

  it('turns an unreachable address into a diagnostic naming it, without hanging', async () => {
    await p.provider['ConfigureProvider']?.({ config: providerConfig('http://127.0.0.1:1') });
    const res = await p.provider['ReadResource']?.({ type_name: 'ferry_policy', current_state: dv(obj({ name: 'x', policy: 'y' }), policyType) });
    expect(errorsOf(res)[0]?.detail)
      .to.include('http://127.0.0.1:1')
      .and.match(/ECONNREFUSED/);
  });

  it('answers an unknown resource type with a diagnostic, not a gRPC error', async () => {
    const res = await p.provider['ValidateResourceConfig']?.({ type_name: 'ferry_nope', config: dv(null, policyType) });
    expect(errorsOf(res)[0]?.summary).to.match(/Unknown resource type/);
  });

  it('exits promptly after GRPCController.Shutdown and removes its socket', async () => {
    const started = Date.now();
    const exited = new Promise<number | null>((r) => p.proc.once('exit', (code) => r(code)));
    await p.controller['Shutdown']?.({});
    expect(await exited).to.equal(0);
    expect(Date.now() - started).to.be.lessThan(2000);
    expect(existsSync(p.handshake.address)).to.equal(false);
  });
});

describe('provider/main run by hand', () => {
  it('prints a human-readable message to stderr and nothing to stdout without the magic cookie', () => {
    const res = spawnSync(providerLauncherFile, [], { env: { PATH: process.env['PATH'] ?? '' }, encoding: 'utf8', timeout: 20_000 });
    expect(res.status).to.equal(1);
    expect(res.stdout).to.equal('');
    expect(res.stderr).to.match(/plugin for Terraform/);
  });
});

import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTlsTrust, TlsTrustError } from '../../../server/api-client/tls-trust.js';
import { ResponseTooLargeError, TransportError } from '../../../server/api-client/transport-error.js';
import { VaultClient } from '../../../server/api-client/vault-client.js';
import { ClusterCa } from '../../../server/replication/cluster-ca.js';
import { answer, rejectionOf, startLoopbackServer, type LoopbackServer } from '../../helpers/loopback-server.js';

describe('server/api-client/tls-trust', () => {
  let ca: ClusterCa;
  let otherCa: ClusterCa;
  let server: LoopbackServer;
  let dir: string;

  before(async () => {
    ca = await ClusterCa.create('api-client-test');
    otherCa = await ClusterCa.create('someone-else');
    const cert = await ca.issueServer(['127.0.0.1']);
    // requestCert without rejecting: the handler reports whether the client proved a certificate from `ca`.
    server = await startLoopbackServer((req, res) => answer(res, 200, { data: { client_authorized: req.isClientAuthorized } }), {
      cert: cert.certPem,
      key: cert.keyPem,
      ca: ca.ca.certPem,
      requestCert: true,
      rejectUnauthorized: false,
    });
    dir = mkdtempSync(join(tmpdir(), 'ferry-tls-trust-'));
    writeFileSync(join(dir, 'ca.pem'), ca.ca.certPem);
    mkdirSync(join(dir, 'capath'));
    writeFileSync(join(dir, 'capath', 'a-other.pem'), otherCa.ca.certPem);
    writeFileSync(join(dir, 'capath', 'b-ours.pem'), ca.ca.certPem);
    mkdirSync(join(dir, 'capath', 'ignored-subdir'));
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const health = (client: VaultClient) => client.request('GET', 'sys/health');

  it('refuses a server signed by a CA it was not given', async () => {
    for (const tls of [{}, { caCertPem: otherCa.ca.certPem }]) {
      const err = await rejectionOf(health(new VaultClient({ address: server.address, tls })));
      expect(err).to.be.instanceOf(TransportError);
      expect((err as TransportError).failure).to.equal('network');
      expect((err as TransportError).code)
        .to.be.a('string')
        .and.match(/CERT|SIGNATURE|ISSUER/);
    }
  });

  it('trusts the CA given as PEM text, as a file, or in a directory of PEM files', async () => {
    for (const tls of [{ caCertPem: ca.ca.certPem }, { caFile: join(dir, 'ca.pem') }, { caPath: join(dir, 'capath') }]) {
      expect(await health(new VaultClient({ address: server.address, tls })), JSON.stringify(Object.keys(tls))).to.deep.equal({
        data: { client_authorized: false },
      });
    }
  });

  it('skips verification only when told to', async () => {
    expect(await health(new VaultClient({ address: server.address, tls: { skipVerify: true } }))).to.deep.equal({ data: { client_authorized: false } });
  });

  it('presents a client certificate when given one', async () => {
    const client = await ca.issueClient('api-client');
    const tls = { caCertPem: ca.ca.certPem, clientCertPem: client.certPem, clientKeyPem: client.keyPem };
    expect(await health(new VaultClient({ address: server.address, tls }))).to.deep.equal({ data: { client_authorized: true } });
    writeFileSync(join(dir, 'client.pem'), client.certPem);
    writeFileSync(join(dir, 'client-key.pem'), client.keyPem);
    const fromFiles = { caFile: join(dir, 'ca.pem'), clientCertFile: join(dir, 'client.pem'), clientKeyFile: join(dir, 'client-key.pem') };
    expect(await health(new VaultClient({ address: server.address, tls: fromFiles }))).to.deep.equal({ data: { client_authorized: true } });
  });

  it('does the activation unwrap: POST sys/wrapping/unwrap over https trusting ca_path, refusing an answer over the limit', async () => {
    const cert = await ca.issueServer(['127.0.0.1']);
    const bundle = { data: { primary_cluster_addr: 'https://127.0.0.1:1', ca_cert: 'x'.repeat(2048) } };
    const primary = await startLoopbackServer((_req, res) => answer(res, 200, bundle), { cert: cert.certPem, key: cert.keyPem });
    try {
      const options = { address: primary.address, tls: { caPath: join(dir, 'capath') } };
      expect(await new VaultClient(options).unwrap('s.wrapping')).to.deep.equal(bundle);
      expect(primary.seen[0]!.headers['x-vault-token']).to.equal('s.wrapping');
      const err = await rejectionOf(new VaultClient({ ...options, maxResponseBytes: 1024 }).unwrap('s.wrapping'));
      expect(err).to.be.instanceOf(ResponseTooLargeError);
      expect((err as Error).message).to.not.include('s.wrapping');
    } finally {
      await primary.close();
    }
  });

  it('reports an unreadable CA file or directory by path and code, and half a client certificate', () => {
    const missing = join(dir, 'missing.pem');
    expect(() => loadTlsTrust({ caFile: missing }))
      .to.throw(TlsTrustError, missing)
      .with.property('code', 'ENOENT');
    expect(() => loadTlsTrust({ caPath: join(dir, 'no-such-dir') }))
      .to.throw(TlsTrustError)
      .with.property('code', 'ENOENT');
    expect(() => loadTlsTrust({ clientCertPem: 'x' })).to.throw(TlsTrustError, 'both');
  });

  it('trusts the system roots when given no CA', () => {
    expect(loadTlsTrust({})).to.deep.equal({ ca: undefined, rejectUnauthorized: true, cert: undefined, key: undefined });
  });
});

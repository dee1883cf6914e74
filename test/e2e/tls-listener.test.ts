import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { VaultClient } from '../../server/api-client/vault-client.js';
import { ClusterCa } from '../../server/replication/cluster-ca.js';
import { freePort, startDevServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

interface HttpsAnswer {
  status: number;
  body: any;
}

/** One call to the TLS listener at `url` through the project's API client, trusting only `ca`. */
async function httpsCall(url: string, method: string, ca: string, token: string, body?: unknown): Promise<HttpsAnswer> {
  const { origin, pathname, search } = new URL(url);
  const client = new VaultClient({ address: origin, tls: { caCertPem: ca }, timeoutMs: 10_000 });
  const res = await client.send(method, `${pathname}${search}`, { token: token === '' ? null : token, body });
  return { status: res.status, body: res.json };
}

/**
 * Server mode with a TLS listener (certificates from a CA the test makes), and a secondary
 * activated against that primary's https API with `ca_file` — and refused without it.
 */
describe('TLS listener and activation over https with ca_file', function () {
  this.timeout(90_000);
  let primary: ChildProcess | undefined;
  let secondary: ServerHandle | undefined;
  let viaCaPath: ServerHandle | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ferry-tls-'));

  after(async () => {
    primary?.kill('SIGKILL');
    await secondary?.stop();
    await viaCaPath?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API over TLS and activates a secondary that verifies it with ca_file', async () => {
    const ca = await ClusterCa.create('tls-test');
    const server = await ca.issueServer(['127.0.0.1']);
    writeFileSync(join(dir, 'ca.pem'), ca.ca.certPem);
    writeFileSync(join(dir, 'server.pem'), server.certPem);
    writeFileSync(join(dir, 'server-key.pem'), server.keyPem);
    const port = await freePort();
    const config = () =>
      [
        `storage "inmem" {}`,
        `listener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_cert_file = "${join(dir, 'server.pem')}"\n  tls_key_file = "${join(dir, 'server-key.pem')}"\n}`,
        `api_addr = "https://127.0.0.1:${port}"`,
        `cluster_addr = "https://127.0.0.1:${port + 1}"`,
      ].join('\n');
    writeFileSync(join(dir, 'ferry.hcl'), config());
    primary = spawn(process.execPath, ['bin/ferry.js', 'server', `-config=${join(dir, 'ferry.hcl')}`], { stdio: 'ignore' });
    const base = `https://127.0.0.1:${port}`;
    const caPem = ca.ca.certPem;
    await waitFor(async () => (await httpsCall(`${base}/v1/sys/health?uninitcode=200`, 'GET', caPem, '')).status === 200, {
      timeoutMs: 20_000,
      description: 'TLS server up',
    });

    const init = await httpsCall(`${base}/v1/sys/init`, 'PUT', caPem, '', { secret_shares: 1, secret_threshold: 1 });
    expect(init.status).to.equal(200);
    expect((await httpsCall(`${base}/v1/sys/unseal`, 'PUT', caPem, '', { key: init.body.keys_base64[0] })).body.sealed).to.equal(false);
    const root = init.body.root_token as string;
    // The listener does not speak plain HTTP.
    const plain = await new VaultClient({ address: `http://127.0.0.1:${port}`, timeoutMs: 10_000 }).send('GET', 'sys/health').then(
      () => 'answered',
      () => 'refused',
    );
    expect(plain).to.equal('refused');

    expect((await httpsCall(`${base}/v1/sys/replication/primary/enable`, 'POST', caPem, root)).status).to.equal(200);
    const mint = async (id: string) =>
      (await httpsCall(`${base}/v1/sys/replication/primary/secondary-token`, 'POST', caPem, root, { id })).body.wrap_info.token as string;

    secondary = await startDevServer({ rootTokenId: 'tls-secondary-root' });
    await secondary.request('POST', 'secret/data/keep', { body: { data: { v: 'kept' } } });
    // Without the CA the primary's certificate cannot be verified: refused, nothing wiped.
    const unverified = await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token: await mint('no-ca') } });
    expect(unverified.status).to.equal(400);
    expect(unverified.body.errors[0]).to.match(/unwrapping secondary token/);
    expect((await secondary.request('GET', 'secret/data/keep')).status).to.equal(200);

    const verified = await secondary.request('POST', 'sys/replication/secondary/enable', {
      body: { token: await mint('with-ca'), ca_file: join(dir, 'ca.pem') },
    });
    expect(verified.status, JSON.stringify(verified.body)).to.equal(200);
    await waitFor(
      async () => ((await secondary!.request('GET', 'sys/replication/status', { token: null })).body.data.state === 'stream-wals' ? true : undefined),
      {
        timeoutMs: 15_000,
        description: 'secondary streaming from the TLS primary',
      },
    );
    expect((await httpsCall(`${base}/v1/sys/policies/acl/over-tls`, 'PUT', caPem, root, { policy: 'path "x" { capabilities = ["read"] }' })).status).to.equal(
      204,
    );
    await waitFor(
      async () => {
        const p = (await httpsCall(`${base}/v1/sys/replication/status`, 'GET', caPem, '')).body.data;
        const s = (await secondary!.request('GET', 'sys/replication/status', { token: null })).body.data;
        return p.merkle_root === s.merkle_root && s.last_remote_wal >= p.last_wal ? true : undefined;
      },
      { timeoutMs: 10_000, description: 'the policy written over TLS replicated' },
    );

    // ca_path: a directory of PEM files verifies the primary just as well.
    mkdirSync(join(dir, 'cas'));
    writeFileSync(join(dir, 'cas', 'primary-ca.pem'), ca.ca.certPem);
    viaCaPath = await startDevServer({ rootTokenId: 'tls-ca-path-root' });
    const missingDir = await viaCaPath.request('POST', 'sys/replication/secondary/enable', {
      body: { token: await mint('bad-ca-path'), ca_path: join(dir, 'no-such-dir') },
    });
    expect(missingDir.status).to.equal(400);
    expect(missingDir.body.errors[0]).to.match(/ca_file\/ca_path/);
    const viaDir = await viaCaPath.request('POST', 'sys/replication/secondary/enable', {
      body: { token: await mint('with-ca-path'), ca_path: join(dir, 'cas') },
    });
    expect(viaDir.status, JSON.stringify(viaDir.body)).to.equal(200);
  });
});

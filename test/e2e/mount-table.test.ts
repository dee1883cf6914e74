import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import { startDevServer, type ServerHandle } from '../helpers/test-cluster.js';

/** A POST with the path sent exactly as given: HTTP clients built on URL parsing resolve dot segments first. */
function rawPost(server: ServerHandle, path: string, body: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, method: 'POST', path, headers: { 'x-vault-token': server.rootToken, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** sys/mounts and sys/auth through a real server: validation, local flag, tune and remount. */
describe('mount table through a real server', function () {
  this.timeout(60_000);
  let server: ServerHandle;
  const mounts = async () =>
    (await server.request('GET', 'sys/mounts')).body.data as Record<string, { local: boolean; type: string; config: Record<string, number> }>;

  before(async () => {
    server = await startDevServer();
    expect((await server.request('POST', 'sys/mounts/team', { body: { type: 'kv' } })).status).to.equal(204);
  });
  after(async () => server?.stop());

  for (const bad of ['../x', 'a//b', 'sys/x', 'auth/x', 'cubbyhole/x', 'identity/x', 'team/sub', 'secret', 'a/./b', 'spa ce']) {
    it(`refuses the mount path ${JSON.stringify(bad)} with 400 and leaves the table unchanged`, async () => {
      const before = await mounts();
      const res = await rawPost(server, `/v1/sys/mounts/${bad.replace(/ /g, '%20')}`, { type: 'kv' });
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(res.body.errors).to.be.an('array').that.is.not.empty;
      expect(await mounts()).to.deep.equal(before);
    });
  }

  it('refuses a mount that would contain an existing one', async () => {
    expect((await server.request('POST', 'sys/mounts/deep/inner', { body: { type: 'kv' } })).status).to.equal(204);
    const before = await mounts();
    expect((await server.request('POST', 'sys/mounts/deep', { body: { type: 'kv' } })).status).to.equal(400);
    expect(await mounts()).to.deep.equal(before);
  });

  it('refuses an unknown engine type and a wrong field type', async () => {
    expect((await server.request('POST', 'sys/mounts/x1', { body: { type: 'no-such-engine' } })).status).to.equal(400);
    expect((await server.request('POST', 'sys/mounts/x2', { body: { type: 'kv', local: 'maybe' } })).status).to.equal(400);
    expect(await mounts()).not.to.have.any.keys('x1/', 'x2/');
  });

  it('shows local as set at mount time, and tuning cannot flip it', async () => {
    expect((await server.request('POST', 'sys/mounts/here-only', { body: { type: 'kv', local: true } })).status).to.equal(204);
    expect((await mounts())['here-only/']?.local).to.equal(true);
    const flip = await server.request('POST', 'sys/mounts/here-only/tune', { body: { local: false } });
    expect(flip.status).to.equal(400);
    expect((await mounts())['here-only/']?.local).to.equal(true);
  });

  it('tunes lease TTLs in place and reads them back', async () => {
    expect((await server.request('POST', 'sys/mounts/team/tune', { body: { default_lease_ttl: '1h', max_lease_ttl: '2h' } })).status).to.equal(204);
    const tuned = await server.request('GET', 'sys/mounts/team/tune');
    expect(tuned.body.data).to.include({ default_lease_ttl: 3600, max_lease_ttl: 7200 });
    expect((await server.request('POST', 'sys/mounts/team/tune', { body: { default_lease_ttl: '3h' } })).status).to.equal(400);
  });

  it('remounts, keeping the data', async () => {
    expect((await server.request('POST', 'sys/mounts/old-place', { body: { type: 'kv' } })).status).to.equal(204);
    expect((await server.request('POST', 'old-place/k', { body: { v: 'moved' } })).status).to.equal(204);
    expect((await server.request('POST', 'sys/remount', { body: { from: 'old-place', to: 'new-place' } })).status).to.equal(200);
    expect(await mounts()).to.have.property('new-place/');
    expect(await mounts()).not.to.have.property('old-place/');
    expect((await server.request('GET', 'new-place/k')).body.data.v).to.equal('moved');
  });

  it('enables and lists an auth method with local, and refuses the token path', async () => {
    expect((await server.request('POST', 'sys/auth/people', { body: { type: 'userpass', local: true } })).status).to.equal(204);
    expect((await server.request('GET', 'sys/auth')).body.data['people/']).to.include({ type: 'userpass', local: true });
    expect((await server.request('POST', 'sys/auth/token', { body: { type: 'userpass' } })).status).to.equal(400);
    expect((await server.request('DELETE', 'sys/auth/people')).status).to.equal(204);
    expect((await server.request('GET', 'sys/auth')).body.data).not.to.have.property('people/');
  });
});

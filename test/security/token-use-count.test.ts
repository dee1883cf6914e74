import { expect } from 'chai';
import { startSqliteServer, type ApiResponse, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Issue #10, class 3: a limited-use token's uses are taken atomically, before the request runs,
 * whether it then succeeds or fails. Against a spawned server on SQLite storage.
 */
describe('security: token use counts cannot be exceeded (issue #10, class 3)', function () {
  this.timeout(120_000);
  let server: ServerHandle;

  before(async () => {
    server = await startSqliteServer();
    expect((await server.request('POST', 'sys/mounts/secret', { body: { type: 'kv', options: { version: '2' } } })).status).to.equal(204);
    const policy = 'path "secret/data/*" { capabilities = ["create", "read", "update"] }';
    expect((await server.request('PUT', 'sys/policies/acl/app', { body: { policy } })).status).to.equal(204);
    expect((await server.request('POST', 'secret/data/existing', { body: { data: { v: 'kept' } } })).status).to.equal(200);
  });
  after(() => server.stop());

  const limitedToken = async (numUses: number): Promise<string> => {
    const res = await server.request('POST', 'auth/token/create', { body: { policies: ['app'], num_uses: numUses } });
    expect(res.status, res.text).to.equal(200);
    return res.body.auth.client_token as string;
  };
  const isValid = async (token: string): Promise<boolean> => (await server.request('POST', 'auth/token/lookup', { body: { token } })).status === 200;
  const read = (token: string, key = 'existing') => server.request('GET', `secret/data/${key}`, { token });
  const succeeded = (r: ApiResponse) => r.status >= 200 && r.status < 300;

  for (let round = 1; round <= 3; round++) {
    it(`answers 30 simultaneous reads and writes of a num_uses=1 token with exactly one success and 29 × 403 (round ${round})`, async () => {
      const token = await limitedToken(1);
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          i % 2 === 0 ? read(token) : server.request('POST', `secret/data/round${round}-w${i}`, { token, body: { data: { v: String(i) } } }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      expect(responses.filter(succeeded), statuses.join(',')).to.have.length(1);
      for (const r of responses.filter((x) => !succeeded(x))) {
        expect(r.status, statuses.join(',')).to.equal(403);
        expect(r.body.errors).to.deep.equal(['permission denied']);
      }
      // Only the one allowed write, if it was a write, reached storage.
      let written = 0;
      for (let i = 1; i < 30; i += 2) if ((await server.request('GET', `secret/data/round${round}-w${i}`)).status === 200) written++;
      const winner = responses.findIndex(succeeded);
      expect(written).to.equal(winner % 2 === 1 ? 1 : 0);
      expect(await isValid(token)).to.equal(false);
    });
  }

  it('consumes the use on a request that fails with 404', async () => {
    const token = await limitedToken(1);
    expect((await read(token, 'no-such-key')).status).to.equal(404);
    expect(await isValid(token)).to.equal(false);
    expect((await read(token)).status).to.equal(403);
  });

  it('consumes the use on a write the backend refuses with 400, and writes nothing', async () => {
    const token = await limitedToken(1);
    const bad = await server.request('POST', 'secret/data/bad-write', { token, body: { data: 'not-a-map' } });
    expect(bad.status, bad.text).to.equal(400);
    expect(await isValid(token)).to.equal(false);
    expect((await server.request('POST', 'secret/data/bad-write', { token, body: { data: { v: 'x' } } })).status).to.equal(403);
    expect((await server.request('GET', 'secret/data/bad-write')).status).to.equal(404);
  });

  it('consumes the use on a request its policies deny', async () => {
    const token = await limitedToken(2);
    expect((await server.request('GET', 'sys/policies/acl/app', { token })).status).to.equal(403);
    expect((await server.request('POST', 'auth/token/lookup', { body: { token } })).body.data.num_uses).to.equal(1);
  });

  it('counts down one use per request: num_uses=3 allows three requests and denies the fourth', async () => {
    const token = await limitedToken(3);
    for (let i = 0; i < 3; i++) expect((await read(token)).status).to.equal(200);
    expect((await read(token)).status).to.equal(403);
    expect(await isValid(token)).to.equal(false);
  });
});

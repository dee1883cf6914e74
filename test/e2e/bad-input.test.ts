import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { querySqliteFile } from '../helpers/sqlite-file.js';
import { startSqliteServer, type ApiResponse, type RequestOptions, type ServerHandle } from '../helpers/test-cluster.js';

/** Everything a bad request must leave alone. */
interface ServerState {
  seal: unknown;
  policies: Record<string, string>;
  /** Every storage key with a hash of its ciphertext, read from the SQLite file: any write shows. */
  storage: Record<string, string>;
  mounts: string[];
  auths: string[];
  root: unknown;
}

async function stateOf(server: ServerHandle): Promise<ServerState> {
  const sealStatus = (await server.request('GET', 'sys/seal-status', { token: null })).body;
  const names: string[] = (await server.request('GET', 'sys/policies/acl?list=true')).body.data.keys;
  const policies: Record<string, string> = {};
  for (const name of names) policies[name] = (await server.request('GET', `sys/policies/acl/${name}`)).body.data.policy;
  const root = (await server.request('GET', 'auth/token/lookup-self')).body.data;
  return {
    seal: { initialized: sealStatus.initialized, sealed: sealStatus.sealed, t: sealStatus.t, n: sealStatus.n, progress: sealStatus.progress },
    policies,
    storage: await storageDigest(server),
    mounts: Object.keys((await server.request('GET', 'sys/mounts')).body.data).sort(),
    auths: Object.keys((await server.request('GET', 'sys/auth')).body.data).sort(),
    root: { policies: root.policies, num_uses: root.num_uses, ttl: root.ttl, accessor: root.accessor },
  };
}

async function storageDigest(server: ServerHandle): Promise<Record<string, string>> {
  const rows = await querySqliteFile<{ key: string; value: Buffer }>(join(server.dataDir, 'ferry.db'), 'SELECT key, value FROM entries ORDER BY key');
  return Object.fromEntries(rows.map((r) => [r.key, createHash('sha256').update(r.value).digest('hex').slice(0, 16)]));
}

/** A Vault error envelope: a 4xx JSON body `{"errors":[strings]}` that echoes no secret. */
function expectErrorEnvelope(res: ApiResponse, status: number | number[], secrets: readonly string[]): void {
  const allowed = Array.isArray(status) ? status : [status];
  expect(res.status, `status for ${res.text.slice(0, 200)}`).to.be.oneOf(allowed);
  expect(res.status).to.be.within(400, 499);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/json/);
  expect(res.body, res.text.slice(0, 200)).to.be.an('object').with.property('errors').that.is.an('array');
  for (const message of res.body.errors) expect(message).to.be.a('string');
  for (const secret of secrets) expect(res.text, 'an error response echoes a secret').to.not.include(secret);
}

const nested = (depth: number, open: string, close: string, inner: string): string => open.repeat(depth) + inner + close.repeat(depth);
const GOOD_POLICY = 'path "secret/ok" {\n  capabilities = ["read"]\n}\n';

describe('bad input: a 4xx {"errors":[...]}, nothing changed, server still healthy', function () {
  this.timeout(60_000);
  let server: ServerHandle;
  let secrets: string[];
  const bogusToken = 'hvs.AAAAbogusTokenThatMustNotBeEchoed';

  before(async () => {
    server = await startSqliteServer();
    // Some real state to protect: a policy and a child token.
    expect((await server.request('PUT', 'sys/policies/acl/app', { body: { policy: GOOD_POLICY } })).status).to.equal(204);
    const child = await server.request('POST', 'auth/token/create', { body: { policies: ['app'], ttl: '1h' } });
    expect(child.status).to.equal(200);
    secrets = [server.rootToken, child.body.auth.client_token, ...server.unsealKeys, bogusToken];
  });

  after(async () => {
    await server?.stop();
  });

  /**
   * Runs one bad-input scenario between two snapshots: afterwards the server must answer sys/health
   * 200 and every piece of state (API-visible and every byte in the SQLite file) must be unchanged.
   */
  async function expectNothingChanged(scenario: () => Promise<void>): Promise<void> {
    const before = await stateOf(server);
    await scenario();
    const health = await server.request('GET', 'sys/health', { token: null });
    expect(health.status, 'sys/health after the bad request').to.equal(200);
    expect(await stateOf(server), 'server state after the bad request').to.deep.equal(before);
  }

  interface Case {
    readonly name: string;
    readonly method: string;
    readonly path: string;
    readonly options?: RequestOptions;
    readonly status: number | number[];
  }

  const cases: Case[] = [
    // Malformed JSON
    {
      name: 'malformed JSON',
      method: 'PUT',
      path: 'sys/policies/acl/broken',
      options: { body: '{"policy": "path', headers: { 'Content-Type': 'application/json' } },
      status: 400,
    },
    { name: 'malformed JSON without a content type', method: 'POST', path: 'auth/token/create', options: { body: '{policies: [default]}' }, status: 400 },
    { name: 'a JSON array instead of an object', method: 'PUT', path: 'sys/policies/acl/broken', options: { body: '["policy"]' }, status: 400 },
    { name: 'a JSON string instead of an object', method: 'POST', path: 'auth/token/create', options: { body: '"hello"' }, status: 400 },
    // Wrong field types
    {
      name: 'an object for the string field policy',
      method: 'PUT',
      path: 'sys/policies/acl/broken',
      options: { body: { policy: { path: 'x' } } },
      status: 400,
    },
    {
      name: 'a policy with an invalid capability',
      method: 'PUT',
      path: 'sys/policies/acl/broken',
      options: { body: { policy: 'path "x" { capabilities = ["fly"] }' } },
      status: 400,
    },
    { name: 'a word for the int field num_uses', method: 'POST', path: 'auth/token/create', options: { body: { num_uses: 'many' } }, status: 400 },
    { name: 'a negative num_uses', method: 'POST', path: 'auth/token/create', options: { body: { num_uses: -3 } }, status: 400 },
    { name: 'a non-duration ttl', method: 'POST', path: 'auth/token/create', options: { body: { ttl: 'forever' } }, status: 400 },
    { name: 'an object for the list field policies', method: 'POST', path: 'auth/token/create', options: { body: { policies: { a: 1 } } }, status: 400 },
    { name: 'a word for the bool field no_parent', method: 'POST', path: 'auth/token/create', options: { body: { no_parent: 'yes' } }, status: 400 },
    { name: 'a word for the bool field renewable', method: 'POST', path: 'auth/token/create', options: { body: { renewable: 'maybe' } }, status: 400 },
    { name: 'an object for the token to look up', method: 'POST', path: 'auth/token/lookup', options: { body: { token: {} } }, status: 400 },
    {
      name: 'a word for secret_shares at init',
      method: 'PUT',
      path: 'sys/init',
      options: { token: null, body: { secret_shares: 'five', secret_threshold: 3 } },
      status: 400,
    },
    // Unknown paths and methods
    { name: 'a read of an unknown mount', method: 'GET', path: 'nope/x', status: 404 },
    { name: 'a write to an unknown mount', method: 'PUT', path: 'nope/x', options: { body: { a: 1 } }, status: 404 },
    { name: 'an unknown sys path', method: 'GET', path: 'sys/no-such-endpoint', status: 404 },
    { name: 'an encoded ../ path', method: 'GET', path: 'sys/policies/acl/%2e%2e%2f%2e%2e%2fhealth', status: [400, 404] },
    { name: 'an unsupported method on sys/health', method: 'DELETE', path: 'sys/health', status: 405 },
    // Missing or bad token
    { name: 'no token on lookup-self', method: 'GET', path: 'auth/token/lookup-self', options: { token: null }, status: 403 },
    {
      name: 'no token on a policy write',
      method: 'PUT',
      path: 'sys/policies/acl/sneaky',
      options: { token: null, body: { policy: GOOD_POLICY } },
      status: 403,
    },
    { name: 'no token on token create', method: 'POST', path: 'auth/token/create', options: { token: null, body: {} }, status: 403 },
    { name: 'a bad X-Vault-Token', method: 'PUT', path: 'sys/policies/acl/sneaky', options: { token: bogusToken, body: { policy: GOOD_POLICY } }, status: 403 },
    {
      name: 'a bad Authorization: Bearer token',
      method: 'POST',
      path: 'auth/token/create',
      options: { token: null, headers: { Authorization: `Bearer ${bogusToken}` }, body: {} },
      status: 403,
    },
    { name: 'a bad token to look up', method: 'POST', path: 'auth/token/lookup', options: { body: { token: bogusToken } }, status: [400, 403] },
    // Oversized and deeply nested bodies
    {
      name: 'a body over 32 MiB',
      method: 'PUT',
      path: 'sys/policies/acl/huge',
      options: { body: JSON.stringify({ policy: 'x'.repeat(33 * 1024 * 1024) }) },
      status: [413, 400],
    },
    {
      name: 'deeply nested JSON arrays',
      method: 'PUT',
      path: 'sys/policies/acl/deep',
      options: { body: `{"policy":${nested(100_000, '[', ']', '')}}` },
      status: 400,
    },
    {
      name: 'deeply nested JSON objects',
      method: 'POST',
      path: 'auth/token/create',
      options: { body: `{"meta":${nested(100_000, '{"a":', '}', '1')}}` },
      status: 400,
    },
    {
      name: 'deeply nested HCL in a policy',
      method: 'PUT',
      path: 'sys/policies/acl/deep',
      options: { body: { policy: `a ${nested(20_000, '{ b ', '}', '')}` } },
      status: 400,
    },
    // Init twice
    {
      name: 'init on an initialized server',
      method: 'PUT',
      path: 'sys/init',
      options: { token: null, body: { secret_shares: 1, secret_threshold: 1 } },
      status: 400,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}`, () =>
      expectNothingChanged(async () => {
        const res = await server.request(c.method, c.path, c.options);
        expectErrorEnvelope(res, c.status, secrets);
      }));
  }

  it('refuses a second init and keeps the original keys and root token working', () =>
    expectNothingChanged(async () => {
      const res = await server.request('PUT', 'sys/init', { token: null, body: { secret_shares: 5, secret_threshold: 3 } });
      expectErrorEnvelope(res, 400, secrets);
      expect(res.body.errors.join(' ')).to.match(/already initialized/);
      expect(res.body).to.not.have.property('root_token');
      expect((await server.request('GET', 'auth/token/lookup-self')).status).to.equal(200);
    }));

  describe('while sealed', () => {
    const sealStatus = async () => (await server.request('GET', 'sys/seal-status', { token: null })).body;
    const seal = async () => {
      expect((await server.request('PUT', 'sys/seal')).status).to.be.oneOf([200, 204]);
      expect(await sealStatus()).to.include({ sealed: true, progress: 0 });
    };

    // Each scenario seals, proves the server stayed sealed and unchanged, then unseals with the
    // real keys so the state comparison (which needs an unsealed server) can run.
    it('answers 503 with errors on an authenticated path', () =>
      expectNothingChanged(async () => {
        await seal();
        const res = await server.request('GET', 'sys/policies/acl/app');
        expect(res.status).to.equal(503);
        expect(res.body.errors).to.be.an('array').that.is.not.empty;
        await server.unseal();
      }));

    it('refuses an unseal key that is not hex or base64, without counting it', () =>
      expectNothingChanged(async () => {
        await seal();
        const res = await server.request('PUT', 'sys/unseal', { token: null, body: { key: 'not a key at all!' } });
        expectErrorEnvelope(res, 400, secrets);
        expect(await sealStatus()).to.include({ sealed: true, progress: 0 });
        await server.unseal();
      }));

    it('refuses an unseal key of the wrong type (a number), without counting it', () =>
      expectNothingChanged(async () => {
        await seal();
        const res = await server.request('PUT', 'sys/unseal', { token: null, body: { key: 12345 } });
        expectErrorEnvelope(res, 400, secrets);
        expect(await sealStatus()).to.include({ sealed: true, progress: 0 });
        await server.unseal();
      }));

    it('refuses wrong unseal keys at the threshold, resets progress, and stays sealed', () =>
      expectNothingChanged(async () => {
        await seal();
        const wrong = [Buffer.alloc(33, 7).toString('base64'), Buffer.alloc(33, 9).toString('base64')];
        const first = await server.request('PUT', 'sys/unseal', { token: null, body: { key: wrong[0] } });
        expect(first.status).to.equal(200);
        expect(first.body).to.include({ sealed: true, progress: 1 });
        const second = await server.request('PUT', 'sys/unseal', { token: null, body: { key: wrong[1] } });
        expectErrorEnvelope(second, 400, [...secrets, ...wrong]);
        expect(await sealStatus()).to.include({ sealed: true, progress: 0 });
        expect((await server.request('GET', 'auth/token/lookup-self')).status).to.equal(503);
        // A real key mixed with a wrong one fails too.
        await server.request('PUT', 'sys/unseal', { token: null, body: { key: server.unsealKeys[0] } });
        const mixed = await server.request('PUT', 'sys/unseal', { token: null, body: { key: wrong[0] } });
        expectErrorEnvelope(mixed, 400, secrets);
        expect(await sealStatus()).to.include({ sealed: true, progress: 0 });
        await server.unseal();
      }));
  });

  // Runs after every scenario above (mocha runs a suite's own tests before its child suites).
  describe('afterwards', () => {
    it('has logged no token or unseal key while refusing all of the above', () => {
      const logs = server.logs();
      expect(logs).to.include('server listening');
      for (const secret of secrets) expect(logs.includes(secret), 'a secret in the server log').to.equal(false);
    });
  });
});

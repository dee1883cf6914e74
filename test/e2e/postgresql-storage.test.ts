import { expect } from 'chai';
import { sharedPostgresCluster, type PostgresCluster, type PostgresDatabase } from '../helpers/postgres-cluster.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Ferry on `storage "postgresql"` as real processes against a throwaway PostgreSQL: acknowledged
 * writes survive `kill -9` of the server, the connection URL may come from the environment, and a
 * primary on PostgreSQL replicates to a secondary on SQLite.
 */
describe('PostgreSQL storage (real server processes)', function () {
  this.timeout(180_000);
  let cluster: PostgresCluster;
  const servers: ServerHandle[] = [];

  const pgStorage = (db: PostgresDatabase | undefined, table: string): string =>
    `storage "postgresql" {\n${db === undefined ? '' : `  connection_url = ${JSON.stringify(db.url)}\n`}  table = "${table}"\n  max_parallel = 8\n}`;
  const rowCount = async (db: PostgresDatabase, table: string): Promise<number> =>
    Number((await cluster.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`, [], db.name))[0]?.n);
  const ok = (res: { status: number; text: string }, what: string): void => {
    expect(res.status, `${what}: ${res.text}`).to.be.within(200, 204);
  };

  before(async () => {
    cluster = await sharedPostgresCluster();
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  describe('acknowledged writes across kill -9 of the server', () => {
    const TOTAL_WRITES = 150;
    const KILL_AFTER_ACKS = 80;
    const CONCURRENCY = 6;
    type Outcome = 'acknowledged' | 'in-flight' | 'not-sent';
    const outcomes = new Map<number, Outcome>();
    let db: PostgresDatabase;
    let server: ServerHandle;

    before(async () => {
      db = await cluster.createDatabase();
      server = await startSqliteServer({ storage: pgStorage(db, 'ferry_e2e') });
      servers.push(server);
      ok(await server.request('POST', 'sys/mounts/secret', { body: { type: 'kv', options: { version: '2' } } }), 'mount');
      let next = 0;
      let acks = 0;
      let killed: Promise<void> | undefined;
      const writer = async (): Promise<void> => {
        while (next < TOTAL_WRITES && killed === undefined) {
          const i = next++;
          outcomes.set(i, 'in-flight');
          try {
            const res = await server.request('POST', `secret/data/w${i}`, { body: { data: { v: `value-${i}` } } });
            if (res.status !== 200) throw new Error(`write ${i} answered ${res.status}: ${res.text}`);
            outcomes.set(i, 'acknowledged');
            if (++acks >= KILL_AFTER_ACKS && killed === undefined) killed = server.kill9();
          } catch (err) {
            // Cut off by the kill: no answer, either outcome is allowed.
            if (killed === undefined) throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, writer));
      await killed;
      for (let i = 0; i < TOTAL_WRITES; i++) if (!outcomes.has(i)) outcomes.set(i, 'not-sent');
      await server.restart({ unseal: false });
    });

    it('killed the server while writes were in flight', () => {
      const counts = { acknowledged: 0, 'in-flight': 0, 'not-sent': 0 };
      for (const outcome of outcomes.values()) counts[outcome]++;
      expect(counts.acknowledged).to.be.at.least(KILL_AFTER_ACKS);
      expect(counts['in-flight'], JSON.stringify(counts)).to.be.at.least(1);
      expect(server.logs()).to.not.include('shutting down');
    });

    it('comes back sealed on PostgreSQL and unseals with the init keys', async () => {
      const sealed = await server.request('GET', 'sys/seal-status', { token: null });
      expect(sealed.body).to.include({ sealed: true, initialized: true, storage_type: 'postgresql' });
      await server.unseal();
    });

    it('loses no acknowledged write', async () => {
      const lost: number[] = [];
      for (const [i, outcome] of outcomes) {
        if (outcome !== 'acknowledged') continue;
        const res = await server.request('GET', `secret/data/w${i}`);
        if (res.status !== 200 || res.body.data.data.v !== `value-${i}`) lost.push(i);
      }
      expect(lost).to.deep.equal([]);
      // The rows are PostgreSQL's, not a local file's.
      expect(await rowCount(db, 'ferry_e2e')).to.be.greaterThan(KILL_AFTER_ACKS);
    });

    it('created the table on the first start only, and never logged the password', () => {
      const logs = server.logs();
      expect(logs.match(/storage table created/g)).to.have.length(1);
      expect(logs.match(/postgresql storage opened/g)).to.have.length(2);
      expect(logs).to.not.include(db.password);
    });
  });

  it('takes the connection URL from VAULT_PG_CONNECTION_URL', async () => {
    const db = await cluster.createDatabase();
    const server = await startSqliteServer({ storage: pgStorage(undefined, 'from_env'), env: { VAULT_PG_CONNECTION_URL: db.url } });
    servers.push(server);
    ok(await server.request('PUT', 'sys/policies/acl/env-check', { body: { policy: 'path "x" { capabilities = ["read"] }' } }), 'policy');
    expect((await server.request('GET', 'sys/policies/acl/env-check')).status).to.equal(200);
    expect(await rowCount(db, 'from_env')).to.be.greaterThan(0);
    expect(server.logs()).to.not.include(db.password);
    await server.stop();
  });

  it('refuses to start, without echoing the password, when PostgreSQL rejects the credentials', async () => {
    const db = await cluster.createDatabase();
    const url = new URL(db.url);
    url.password = 'not-the-password-91c2';
    const failure = await startSqliteServer({ storage: `storage "postgresql" {\n  connection_url = ${JSON.stringify(url.toString())}\n}` }).catch(
      (err: unknown) => err,
    );
    expect((failure as Error).message).to.match(/exited before serving/);
    expect((failure as Error).message).to.match(/password authentication failed/);
    expect((failure as Error).message).to.not.include('not-the-password-91c2');
  });

  it('replicates from a primary on PostgreSQL to a secondary on SQLite', async () => {
    const db = await cluster.createDatabase();
    const [primary, secondary] = await Promise.all([startSqliteServer({ storage: pgStorage(db, 'primary_store') }), startSqliteServer()]);
    servers.push(primary, secondary);
    const reader = { username: 'reader', password: 'reader-pass-4b7e' };
    const setup: Array<[string, unknown]> = [
      ['sys/mounts/secret', { type: 'kv', options: { version: '2' } }],
      ['sys/policies/acl/read-secret', { policy: 'path "secret/data/*" {\n  capabilities = ["read"]\n}\n' }],
      ['sys/auth/userpass', { type: 'userpass' }],
      [`auth/userpass/users/${reader.username}`, { password: reader.password, policies: 'read-secret' }],
      ['secret/data/before', { data: { v: 'written before the secondary joined' } }],
      ['sys/replication/primary/enable', {}],
    ];
    for (const [path, body] of setup) ok(await primary.request('POST', path, { body }), path);
    const token = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'sqlite-dc' } });
    ok(token, 'secondary-token');
    ok(await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token: token.body.wrap_info.token } }), 'secondary enable');
    secondary.rootToken = '';
    const status = async (s: ServerHandle) => (await s.request('GET', 'sys/replication/status', { token: null })).body.data;
    await waitFor(async () => (await status(secondary)).state === 'stream-wals', { timeoutMs: 30_000, description: 'the secondary to stream WALs' });
    for (let i = 0; i < 20; i++) ok(await primary.request('POST', `secret/data/after${i}`, { body: { data: { v: `a${i}` } } }), `write ${i}`);
    await waitFor(
      async () => {
        const [p, s] = await Promise.all([status(primary), status(secondary)]);
        return s.last_remote_wal >= p.last_wal && p.merkle_root === s.merkle_root;
      },
      { timeoutMs: 30_000, description: 'equal Merkle roots' },
    );
    const login = await secondary.request('POST', `auth/userpass/login/${reader.username}`, { token: null, body: { password: reader.password } });
    ok(login, 'login on the secondary');
    const read = (path: string) => secondary.request('GET', `secret/data/${path}`, { token: login.body.auth.client_token });
    expect((await read('before')).body.data.data.v).to.equal('written before the secondary joined');
    for (let i = 0; i < 20; i++) expect((await read(`after${i}`)).body.data.data.v).to.equal(`a${i}`);
    expect((await primary.request('GET', 'sys/seal-status', { token: null })).body.storage_type).to.equal('postgresql');
    expect((await secondary.request('GET', 'sys/seal-status', { token: null })).body.storage_type).to.equal('sqlite');
  });
});

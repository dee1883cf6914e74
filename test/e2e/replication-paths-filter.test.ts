import { join } from 'node:path';
import { expect } from 'chai';
import { querySqliteFile } from '../helpers/sqlite-file.js';
import { startSqliteServer, waitFor, type ApiResponse, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Paths filters (issue 14): one primary, two performance secondaries. Secondary A has a paths
 * filter, B none. What A holds is checked in its SQLite file (no key under a filtered mount's
 * storage prefix), not only over the API, at each stage: deny `secret-eu/` (set before A is
 * enabled, so the bootstrap is filtered too, then the stream), allow `secret-eu/` only (a resync
 * ships that mount and removes the other mounts' data), and no filter (everything). At each stage
 * A's Merkle root equals the root the primary reports for A's keyset.
 */
describe('replication paths filters', function () {
  this.timeout(240_000);

  const READER = { username: 'filter-reader', password: 'filter-pass-7d2a' };
  let primary: ServerHandle;
  let secA: ServerHandle;
  let secB: ServerHandle;
  /** Storage prefixes of the primary's mounts (`logical/<uuid>/`, `auth/<uuid>/`). */
  const prefix: Record<string, string> = {};
  let sequence = 0;
  /** A token A issued itself (tokens are A's own: it outlives A's userpass data being filtered away). */
  let tokenA = '';

  /** The mount paths a server lists in `sys/mounts` and `sys/auth`. */
  async function listedMounts(server: ServerHandle, token: string): Promise<string[]> {
    const [mounts, auths] = await Promise.all([server.request('GET', 'sys/mounts', { token }), server.request('GET', 'sys/auth', { token })]);
    expect(mounts.status, mounts.text).to.equal(200);
    expect(auths.status, auths.text).to.equal(200);
    return [...Object.keys(mounts.body.data as object), ...Object.keys(auths.body.data as object).map((p) => `auth/${p}`)];
  }

  function expectOk(res: ApiResponse, what: string): void {
    expect(res.status, `${what}: ${res.text}`).to.be.within(200, 204);
  }

  async function status(server: ServerHandle): Promise<Record<string, any>> {
    const res = await server.request('GET', 'sys/replication/performance/status', { token: null });
    if (res.status !== 200) throw new Error(`status answered ${res.status}: ${res.text}`);
    return res.body.data as Record<string, any>;
  }

  /** Keys stored in a server's SQLite file under `storagePrefix`. */
  async function storedUnder(server: ServerHandle, storagePrefix: string): Promise<string[]> {
    const rows = await querySqliteFile<{ key: string }>(join(server.dataDir, 'ferry.db'), 'SELECT key FROM entries WHERE key >= ? AND key < ?', [
      storagePrefix,
      `${storagePrefix}\uffff`,
    ]);
    return rows.map((r) => r.key);
  }

  /** Writes one secret to each of the primary's KV mounts. */
  async function writeBoth(label: string): Promise<void> {
    sequence += 1;
    for (const mount of ['secret-eu', 'secret-us']) {
      expectOk(
        await primary.request('POST', `${mount}/data/${label}-${sequence}`, { body: { data: { v: `${mount} ${label} ${sequence}` } } }),
        `write ${mount}`,
      );
    }
  }

  /** Waits until a secondary applied everything and holds exactly the keyset the primary ships it. */
  async function inSync(secondary: ServerHandle, id: string): Promise<string> {
    let last = '';
    return waitFor(
      async () => {
        const [p, s] = await Promise.all([status(primary), status(secondary)]);
        const expected = (p.secondaries as Array<{ node_id: string; merkle_root: string }>).find((e) => e.node_id === id)?.merkle_root;
        last = `primary last_wal=${p.last_wal} root for ${id}=${expected}; secondary state=${s.state} last_remote_wal=${s.last_remote_wal} root=${s.merkle_root}`;
        return s.state === 'stream-wals' && s.last_remote_wal >= p.last_wal && s.merkle_root === expected && (s.merkle_root as string);
      },
      { timeoutMs: 60_000, intervalMs: 100, description: `${id} to be in sync (last: ${last})` },
    );
  }

  async function readerToken(server: ServerHandle): Promise<string> {
    const login = await server.request('POST', `auth/userpass/login/${READER.username}`, { token: null, body: { password: READER.password } });
    expect(login.status, `login: ${login.text}`).to.equal(200);
    return login.body.auth.client_token as string;
  }

  async function enableSecondary(server: ServerHandle, id: string): Promise<void> {
    const tokenRes = await primary.request('POST', 'sys/replication/performance/primary/secondary-token', { body: { id } });
    expect(tokenRes.status, tokenRes.text).to.equal(200);
    expectOk(await server.request('POST', 'sys/replication/performance/secondary/enable', { body: { token: tokenRes.body.wrap_info.token } }), `${id} enable`);
    server.unsealKeys = primary.unsealKeys;
    server.unsealThreshold = primary.unsealThreshold;
    server.rootToken = '';
  }

  before(async () => {
    [primary, secA, secB] = await Promise.all([startSqliteServer(), startSqliteServer(), startSqliteServer()]);
    const policy = ['secret-eu/data/*', 'secret-us/data/*', 'sys/mounts', 'sys/mounts/*', 'sys/auth']
      .map((path) => `path "${path}" {\n  capabilities = ["read"]\n}`)
      .join('\n');
    const setup: Array<[string, unknown]> = [
      ['sys/mounts/secret-eu', { type: 'kv', options: { version: '2' } }],
      ['sys/mounts/secret-us', { type: 'kv', options: { version: '2' } }],
      ['sys/policies/acl/filter-reader', { policy }],
      ['sys/auth/userpass', { type: 'userpass' }],
      [`auth/userpass/users/${READER.username}`, { password: READER.password, policies: 'filter-reader' }],
    ];
    for (const [path, body] of setup) expectOk(await primary.request('POST', path, { body }), path);
    const mounts = (await primary.request('GET', 'sys/mounts')).body.data as Record<string, { uuid: string }>;
    const auths = (await primary.request('GET', 'sys/auth')).body.data as Record<string, { uuid: string }>;
    prefix.eu = `logical/${mounts['secret-eu/']?.uuid}/`;
    prefix.us = `logical/${mounts['secret-us/']?.uuid}/`;
    prefix.userpass = `auth/${auths['userpass/']?.uuid}/`;
    await writeBoth('before-enable');
    expectOk(await primary.request('POST', 'sys/replication/performance/primary/enable', { body: {} }), 'primary enable');
  });

  after(async () => {
    await Promise.all([primary?.stop(), secA?.stop(), secB?.stop()]);
  });

  it('refuses a bad filter with a 400 and changes nothing', async () => {
    // The id is the one a secondary token was issued with: none yet.
    const unknown = await primary.request('POST', 'sys/replication/performance/primary/paths-filter/nobody', { body: { mode: 'deny', paths: ['secret-eu/'] } });
    expect(unknown.status, unknown.text).to.equal(400);
    expect(unknown.body.errors[0]).to.match(/no secondary with id "nobody"/);
    const tokenRes = await primary.request('POST', 'sys/replication/performance/primary/secondary-token', { body: { id: 'probe' } });
    expect(tokenRes.status, tokenRes.text).to.equal(200);
    const bad: Array<[unknown, RegExp]> = [
      [{ mode: 'maybe', paths: ['secret-eu/'] }, /invalid mode "maybe"/],
      [{ mode: 'deny', paths: [] }, /at least one mount path/],
      [{ mode: 'deny', paths: ['../secret-eu'] }, /invalid path/],
      [{ mode: 'deny', paths: ['secret eu/'] }, /invalid path/],
      [{ mode: 'deny', paths: ['sys/'] }, /invalid path/],
      [{ mode: 'deny', paths: 7 }, /paths/],
    ];
    for (const [body, message] of bad) {
      const res = await primary.request('POST', 'sys/replication/performance/primary/paths-filter/probe', { body });
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).to.equal(400);
      expect(res.body.errors.join(' '), JSON.stringify(body)).to.match(message);
    }
    expect((await primary.request('GET', 'sys/replication/performance/primary/paths-filter/probe')).status).to.equal(404);
    // Sudo, as in Vault: every capability on the path but sudo is not enough.
    const noSudo = 'path "sys/replication/performance/primary/paths-filter/*" {\n  capabilities = ["create", "read", "update", "delete"]\n}';
    expectOk(await primary.request('POST', 'sys/policies/acl/filter-no-sudo', { body: { policy: noSudo } }), 'policy without sudo');
    const created = await primary.request('POST', 'auth/token/create', { body: { policies: ['filter-no-sudo'] } });
    expect(created.status, created.text).to.equal(200);
    const denied = await primary.request('POST', 'sys/replication/performance/primary/paths-filter/probe', {
      token: created.body.auth.client_token as string,
      body: { mode: 'deny', paths: ['secret-eu/'] },
    });
    expect(denied.status, denied.text).to.equal(403);
    expect((await primary.request('GET', 'sys/replication/performance/primary/paths-filter/probe')).status).to.equal(404);
    expectOk(await primary.request('POST', 'sys/replication/performance/primary/revoke-secondary', { body: { id: 'probe' } }), 'revoke probe');
  });

  it('deny secret-eu/: its data never reaches A (bootstrap or stream), while B receives it', async () => {
    // Set before A exists as a secondary: keyed by the id its token is issued with.
    const tokenRes = await primary.request('POST', 'sys/replication/performance/primary/secondary-token', { body: { id: 'sec-a' } });
    expect(tokenRes.status, tokenRes.text).to.equal(200);
    expectOk(
      await primary.request('POST', 'sys/replication/performance/primary/paths-filter/sec-a', { body: { mode: 'deny', paths: ['secret-eu'] } }),
      'filter sec-a',
    );
    const read = await primary.request('GET', 'sys/replication/performance/primary/paths-filter/sec-a');
    expect(read.status, read.text).to.equal(200);
    expect(read.body.data).to.deep.equal({ mode: 'deny', paths: ['secret-eu/'] });
    expectOk(await secA.request('POST', 'sys/replication/performance/secondary/enable', { body: { token: tokenRes.body.wrap_info.token } }), 'sec-a enable');
    secA.unsealKeys = primary.unsealKeys;
    secA.unsealThreshold = primary.unsealThreshold;
    await enableSecondary(secB, 'sec-b');
    // A login on the primary while both stream: its token goes into the WAL.
    await readerToken(primary);
    await writeBoth('streamed-deny');
    const [rootA, rootB] = await Promise.all([inSync(secA, 'sec-a'), inSync(secB, 'sec-b')]);
    const p = await status(primary);
    expect(rootB).to.equal(p.merkle_root);
    expect(rootA, 'A holds less than everything').to.not.equal(p.merkle_root);

    expect(await storedUnder(secA, prefix.eu as string), 'secret-eu data in A').to.deep.equal([]);
    expect(await storedUnder(secA, prefix.us as string)).to.not.be.empty;
    expect(await storedUnder(secB, prefix.eu as string)).to.have.length((await storedUnder(primary, prefix.eu as string)).length);
    const tokenB = await readerToken(secB);
    tokenA = await readerToken(secA);
    expect((await secA.request('GET', `secret-eu/data/streamed-deny-${sequence}`, { token: tokenA })).status).to.equal(404);
    expect((await secA.request('GET', `secret-us/data/streamed-deny-${sequence}`, { token: tokenA })).body.data.data.v).to.equal(
      `secret-us streamed-deny ${sequence}`,
    );
    expect((await secB.request('GET', `secret-eu/data/streamed-deny-${sequence}`, { token: tokenB })).body.data.data.v).to.equal(
      `secret-eu streamed-deny ${sequence}`,
    );
    // The WAL now carries tokens (for DR secondaries): neither performance secondary stores one of the primary's.
    const primaryTokens = new Set(await storedUnder(primary, 'local/token/'));
    expect(primaryTokens.size).to.be.greaterThan(0);
    for (const secondary of [secA, secB]) expect((await storedUnder(secondary, 'local/token/')).filter((k) => primaryTokens.has(k))).to.deep.equal([]);
    // As in Vault, the mount table still replicates, and the secondary hides the filtered mount.
    expect(await listedMounts(secA, tokenA))
      .to.include('secret-us/')
      .and.not.include('secret-eu/');
    expect((await secA.request('GET', 'sys/mounts/secret-eu', { token: tokenA })).status).to.equal(404);
    expect(await listedMounts(secB, tokenB)).to.include.members(['secret-us/', 'secret-eu/']);
  });

  it('allow secret-eu/ only: A receives that mount and loses the rest of the replicated mount data', async () => {
    expectOk(
      await primary.request('POST', 'sys/replication/performance/primary/paths-filter/sec-a', { body: { mode: 'allow', paths: ['secret-eu/'] } }),
      'switch sec-a to allow',
    );
    await writeBoth('streamed-allow');
    await Promise.all([inSync(secA, 'sec-a'), inSync(secB, 'sec-b')]);
    await waitFor(async () => (await storedUnder(secA, prefix.us as string)).length === 0, { timeoutMs: 30_000, description: 'secret-us data to leave A' });
    expect(await storedUnder(secA, prefix.eu as string)).to.have.length((await storedUnder(primary, prefix.eu as string)).length);
    expect(await storedUnder(secA, prefix.userpass as string), 'userpass users (not allowed) in A').to.deep.equal([]);
    // Replicated state outside mount data still travels: A's mount table lists both mounts' entries.
    expect(await storedUnder(secA, 'core/mounts')).to.deep.equal(['core/mounts']);
    expect(await storedUnder(secB, prefix.us as string)).to.have.length((await storedUnder(primary, prefix.us as string)).length);
    const listed = await listedMounts(secA, tokenA);
    expect(listed).to.include('secret-eu/').and.not.include.members(['secret-us/']);
    expect(listed).to.not.include('auth/userpass/');
    expect((await secA.request('GET', `secret-eu/data/streamed-allow-${sequence}`, { token: tokenA })).body.data.data.v).to.equal(
      `secret-eu streamed-allow ${sequence}`,
    );
  });

  it('no filter, removed while A was down: A resyncs when it reconnects and receives everything again', async () => {
    await secA.stop();
    expectOk(await primary.request('DELETE', 'sys/replication/performance/primary/paths-filter/sec-a'), 'delete sec-a filter');
    expect((await primary.request('GET', 'sys/replication/performance/primary/paths-filter/sec-a')).status).to.equal(404);
    await writeBoth('streamed-none');
    await secA.restart(); // unseals with the primary's keys
    const rootA = await inSync(secA, 'sec-a');
    expect(rootA).to.equal((await status(primary)).merkle_root);
    for (const key of ['eu', 'us', 'userpass']) {
      expect(await storedUnder(secA, prefix[key] as string), key).to.deep.equal(await storedUnder(primary, prefix[key] as string));
    }
    expect(await listedMounts(secA, tokenA)).to.include.members(['secret-eu/', 'secret-us/', 'auth/userpass/']);
    expect((await readerToken(secA)).length).to.be.greaterThan(0);
    expect((await secA.request('GET', `secret-eu/data/streamed-none-${sequence}`, { token: tokenA })).body.data.data.v).to.equal(
      `secret-eu streamed-none ${sequence}`,
    );
  });
});

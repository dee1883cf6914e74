import { expect } from 'chai';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Vault's combined topology: A is performance primary and DR primary at once; B is A's DR
 * secondary; C is A's performance secondary and the DR primary of its own DR secondary D.
 * Writes on A and a login on C (a token local to C) converge everywhere: equal Merkle roots per
 * keyset, as each cluster's status reports them.
 */
describe('DR combined topology: performance primary + DR secondary + performance secondary with its own DR secondary', function () {
  this.timeout(240_000);

  const ADMIN = { username: 'repl-admin', password: 'repl-admin-pass-51' };
  let a: ServerHandle;
  let b: ServerHandle;
  let c: ServerHandle;
  let d: ServerHandle;

  async function ok(server: ServerHandle, method: string, path: string, body?: unknown, token?: string): Promise<any> {
    const res = await server.request(method, path, { ...(body === undefined ? {} : { body }), ...(token === undefined ? {} : { token }) });
    expect(res.status, `${method} ${path} at ${server.addr}: ${res.text}`).to.be.within(200, 204);
    return res.body;
  }

  const status = async (server: ServerHandle): Promise<{ dr: Record<string, any>; performance: Record<string, any> }> =>
    (await server.request('GET', 'sys/replication/status', { token: null })).body.data;

  /** Waits until `secondary` holds what its primary sends it for `kind` (equal roots, position reached). */
  async function waitInSync(primary: ServerHandle, secondary: ServerHandle, kind: 'dr' | 'performance', name: string): Promise<void> {
    let last = '';
    try {
      await waitFor(
        async () => {
          const [p, s] = [(await status(primary))[kind], (await status(secondary))[kind]];
          const mine = (p.secondaries as { node_id: string; merkle_root: string }[]).find((x) => x.node_id === s.secondary_id);
          last = `${kind} primary root ${p.merkle_root} (for it ${mine?.merkle_root}) last_wal ${p.last_wal}; secondary ${s.mode} ${s.state} root ${s.merkle_root} last_remote_wal ${s.last_remote_wal}`;
          return (
            s.mode === 'secondary' &&
            s.state === 'stream-wals' &&
            s.last_remote_wal >= p.last_wal &&
            s.merkle_root === p.merkle_root &&
            mine?.merkle_root === p.merkle_root
          );
        },
        { timeoutMs: 45_000, intervalMs: 200, description: `${name} to converge` },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message} (last: ${last})`);
    }
  }

  before(async () => {
    [a, b, c, d] = await Promise.all([startSqliteServer(), startSqliteServer(), startSqliteServer(), startSqliteServer()]);
    const policy = 'path "sys/replication/*" {\n  capabilities = ["create", "read", "update", "delete", "sudo"]\n}\n';
    for (const [path, body] of [
      ['sys/mounts/secret', { type: 'kv', options: { version: '2' } }],
      ['secret/data/first', { data: { v: 'one' } }],
      ['sys/policies/acl/repl-admin', { policy }],
      ['sys/auth/userpass', { type: 'userpass' }],
      [`auth/userpass/users/${ADMIN.username}`, { password: ADMIN.password, policies: 'repl-admin' }],
      ['sys/replication/performance/primary/enable', {}],
      ['sys/replication/dr/primary/enable', {}],
    ] as const)
      await ok(a, 'POST', path, body);
    const drToken = (await ok(a, 'POST', 'sys/replication/dr/primary/secondary-token', { id: 'b' })).wrap_info.token;
    const perfToken = (await ok(a, 'POST', 'sys/replication/performance/primary/secondary-token', { id: 'c' })).wrap_info.token;
    await Promise.all([
      ok(b, 'POST', 'sys/replication/dr/secondary/enable', { token: drToken }),
      ok(c, 'POST', 'sys/replication/performance/secondary/enable', { token: perfToken }),
    ]);
    for (const s of [b, c, d]) {
      s.unsealKeys = a.unsealKeys;
      s.unsealThreshold = a.unsealThreshold;
    }
    await waitInSync(a, c, 'performance', 'C (performance secondary of A)');
    // On C, an operator token of C's own (tokens do not travel to performance secondaries).
    const login = await ok(c, 'POST', `auth/userpass/login/${ADMIN.username}`, { password: ADMIN.password }, '');
    const cToken = login.auth.client_token as string;
    await ok(c, 'POST', 'sys/replication/dr/primary/enable', {}, cToken);
    const cDrToken = (await ok(c, 'POST', 'sys/replication/dr/primary/secondary-token', { id: 'd' }, cToken)).wrap_info.token;
    await ok(d, 'POST', 'sys/replication/dr/secondary/enable', { token: cDrToken });
  });

  after(async () => {
    await Promise.all([a, b, c, d].map((s) => s?.stop()));
  });

  it('each cluster reports both roles', async () => {
    const [sa, sb, sc, sd] = await Promise.all([a, b, c, d].map(status));
    expect([sa?.performance.mode, sa?.dr.mode]).to.deep.equal(['primary', 'primary']);
    expect([sb?.performance.mode, sb?.dr.mode]).to.deep.equal(['disabled', 'secondary']);
    expect([sc?.performance.mode, sc?.dr.mode]).to.deep.equal(['secondary', 'primary']);
    expect([sd?.performance.mode, sd?.dr.mode]).to.deep.equal(['disabled', 'secondary']);
    expect(sa?.dr.known_secondaries).to.deep.equal(['b']);
    expect(sa?.performance.known_secondaries).to.deep.equal(['c']);
    expect(sc?.dr.known_secondaries).to.deep.equal(['d']);
  });

  it('converges: writes on A and a login on C reach every cluster they should (equal Merkle roots per keyset)', async () => {
    for (let i = 0; i < 40; i++) await ok(a, 'POST', `secret/data/k${i}`, { data: { v: `value-${i}` } });
    // A token made on C is C's alone, but travels to C's DR secondary.
    await ok(c, 'POST', `auth/userpass/login/${ADMIN.username}`, { password: ADMIN.password }, '');
    await waitInSync(a, b, 'dr', 'B (DR secondary of A)');
    await waitInSync(a, c, 'performance', 'C (performance secondary of A)');
    await waitInSync(c, d, 'dr', 'D (DR secondary of C)');
    const [sa, sb, sc, sd] = await Promise.all([a, b, c, d].map(status));
    // DR copies hold tokens and leases: their roots differ from the performance ones.
    expect(sb?.dr.merkle_root).to.equal(sa?.dr.merkle_root);
    expect(sd?.dr.merkle_root).to.equal(sc?.dr.merkle_root);
    expect(sc?.performance.merkle_root).to.equal(sa?.performance.merkle_root);
    expect(sd?.dr.merkle_root).not.to.equal(sb?.dr.merkle_root);
    console.log(`      roots: A/B dr ${sa?.dr.merkle_root}; A/C performance ${sa?.performance.merkle_root}; C/D dr ${sc?.dr.merkle_root}`);
  });

  it('after a restart of C, its DR role resumes and D keeps converging with it', async () => {
    await c.restart();
    for (let i = 0; i < 20; i++) await ok(a, 'POST', `secret/data/after-restart-${i}`, { data: { v: `r-${i}` } });
    await ok(c, 'POST', `auth/userpass/login/${ADMIN.username}`, { password: ADMIN.password }, '');
    await waitInSync(a, c, 'performance', 'C after its restart');
    await waitInSync(c, d, 'dr', 'D after C restarted');
    expect((await status(c)).dr.mode).to.equal('primary');
  });
});

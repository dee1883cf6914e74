import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { querySqliteFile } from '../helpers/sqlite-file.js';
import { startSqliteServer, waitFor, type ApiResponse, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * Snapshots (issue 19): saved from a primary under a steady write load, restored after more writes;
 * the primary then holds exactly the snapshot's state (every write acknowledged before the save
 * started, none written after it finished), and its secondary converges by Merkle sync. Damaged
 * snapshots and snapshots of another cluster are refused with nothing changed.
 */
describe('snapshot save and restore', function () {
  this.timeout(180_000);

  let primary: ServerHandle;
  let secondary: ServerHandle;
  let other: ServerHandle;

  const ok = (res: ApiResponse, what: string): void => {
    expect(res.status, `${what}: ${res.text}`).to.be.within(200, 204);
  };

  async function status(server: ServerHandle): Promise<Record<string, any>> {
    const res = await server.request('GET', 'sys/replication/status', { token: null });
    return res.body.data as Record<string, any>;
  }

  /** The keys and values stored in a server's SQLite file, without replication bookkeeping. */
  async function storedState(server: ServerHandle): Promise<Map<string, string>> {
    const rows = await querySqliteFile<{ key: string; value: Buffer }>(join(server.dataDir, 'ferry.db'), 'SELECT key, value FROM entries');
    return new Map(rows.filter((r) => !r.key.startsWith('local/replication/')).map((r) => [r.key, r.value.toString('base64')]));
  }

  /** The entries of a snapshot text, without replication bookkeeping. */
  function snapshotState(text: string): Map<string, string> {
    const lines = text.trim().split('\n').slice(1, -1);
    const entries = lines.map((l) => JSON.parse(l) as [string, string]);
    return new Map(entries.filter(([k]) => !k.startsWith('local/replication/')));
  }

  before(async () => {
    [primary, secondary, other] = await Promise.all([startSqliteServer(), startSqliteServer(), startSqliteServer()]);
    ok(await primary.request('POST', 'sys/mounts/app', { body: { type: 'kv', options: { version: '2' } } }), 'mount');
    ok(await primary.request('POST', 'sys/replication/primary/enable', { body: {} }), 'primary enable');
    const tokenRes = await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'dc2' } });
    ok(await secondary.request('POST', 'sys/replication/secondary/enable', { body: { token: tokenRes.body.wrap_info.token } }), 'secondary enable');
    secondary.unsealKeys = primary.unsealKeys;
    secondary.unsealThreshold = primary.unsealThreshold;
    secondary.rootToken = '';
  });

  after(async () => {
    await Promise.all([primary?.stop(), secondary?.stop(), other?.stop()]);
  });

  it('restores exactly the snapshot taken under write load, and the secondary converges', async () => {
    const acknowledged: { key: string; at: number }[] = [];
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        const key = `load-${String(n++).padStart(5, '0')}`;
        ok(await primary.request('POST', `app/data/${key}`, { body: { data: { v: key } } }), `write ${key}`);
        acknowledged.push({ key, at: Date.now() });
      }
    })();
    await waitFor(() => acknowledged.length >= 30, { timeoutMs: 30_000, description: 'some writes before the snapshot' });
    const startedAt = Date.now();
    const before = new Set(acknowledged.filter((a) => a.at < startedAt).map((a) => a.key));
    const saved = await primary.request('GET', 'sys/storage/raft/snapshot');
    const finishedAt = Date.now();
    expect(saved.status, saved.text.slice(0, 200)).to.equal(200);
    await waitFor(() => acknowledged.some((a) => a.at > finishedAt), { timeoutMs: 30_000, description: 'writes after the snapshot' });
    writing = false;
    await writer;
    ok(await primary.request('POST', 'app/data/after-the-snapshot', { body: { data: { v: 'gone after restore' } } }), 'write after');

    const restored = await primary.request('POST', 'sys/storage/raft/snapshot', { body: saved.text, headers: { 'content-type': 'application/octet-stream' } });
    expect(restored.status, restored.text).to.equal(200);
    expect(restored.body.data.sealed).to.equal(false);

    // Exactly the snapshot's state, byte for byte.
    expect(await storedState(primary)).to.deep.equal(snapshotState(saved.text));
    for (const key of before) {
      const read = await primary.request('GET', `app/data/${key}`);
      expect(read.status, `${key} acknowledged before the snapshot`).to.equal(200);
    }
    expect((await primary.request('GET', 'app/data/after-the-snapshot')).status).to.equal(404);
    const afterSave = acknowledged.filter((a) => a.at > finishedAt).map((a) => a.key);
    for (const key of afterSave) expect((await primary.request('GET', `app/data/${key}`)).status, key).to.equal(404);

    // The secondary sees the WAL gap and reconciles by Merkle sync to the restored state.
    let last = '';
    await waitFor(
      async () => {
        const [p, s] = await Promise.all([status(primary), status(secondary)]);
        last = `primary ${p.merkle_root} last_wal=${p.last_wal}; secondary ${s.merkle_root} state=${s.state}`;
        return p.merkle_root === s.merkle_root && s.state === 'stream-wals';
      },
      { timeoutMs: 60_000, intervalMs: 200, description: `the secondary to converge (${last})` },
    );
    // And it keeps following new writes.
    ok(await primary.request('POST', 'app/data/after-restore', { body: { data: { v: 'new' } } }), 'write after restore');
    await waitFor(async () => (await status(primary)).merkle_root === (await status(secondary)).merkle_root, {
      timeoutMs: 30_000,
      description: 'the secondary to follow writes after the restore',
    });
  });

  it('refuses corrupted and truncated snapshots, changing nothing', async () => {
    const saved = await primary.request('GET', 'sys/storage/raft/snapshot');
    expect(saved.status).to.equal(200);
    const stateBefore = await storedState(primary);
    const lines = saved.text.split('\n');
    const line = lines[5] as string;
    const flipped = [...lines];
    flipped[5] = line.slice(0, -3) + (line.at(-3) === 'A' ? 'B' : 'A') + line.slice(-2);
    const truncated = saved.text.slice(0, Math.floor(saved.text.length / 2));
    for (const [what, body, message] of [
      ['a flipped byte', flipped.join('\n'), /checksum does not match/],
      ['a truncated file', truncated, /truncated|not JSON|malformed/],
      ['garbage', 'not a snapshot', /header is not JSON/],
    ] as const) {
      const res = await primary.request('POST', 'sys/storage/raft/snapshot', { body, headers: { 'content-type': 'application/octet-stream' } });
      expect(res.status, what).to.equal(400);
      expect(res.body.errors.join(' '), what).to.match(message);
    }
    expect(await storedState(primary)).to.deep.equal(stateBefore);
    expect((await primary.request('GET', 'sys/health')).body.sealed).to.equal(false);
  });

  it("refuses another cluster's snapshot unless forced, and any restore on a secondary", async () => {
    const foreign = await other.request('GET', 'sys/storage/raft/snapshot');
    expect(foreign.status).to.equal(200);
    const stateBefore = await storedState(primary);
    const refused = await primary.request('POST', 'sys/storage/raft/snapshot', { body: foreign.text });
    expect(refused.status).to.equal(400);
    expect(refused.body.errors[0]).to.match(/another cluster.*force.*replaces all of this cluster's data/);
    expect(await storedState(primary)).to.deep.equal(stateBefore);

    // A sudo user defined on the primary logs in on the secondary (userpass and policies replicate).
    ok(
      await primary.request('PUT', 'sys/policies/acl/snap-admin', { body: { policy: 'path "sys/*" { capabilities = ["create", "read", "update", "sudo"] }' } }),
      'policy',
    );
    ok(await primary.request('POST', 'sys/auth/userpass', { body: { type: 'userpass' } }), 'userpass');
    ok(await primary.request('POST', 'auth/userpass/users/snap', { body: { password: 'snap-pass-7d1', policies: 'snap-admin' } }), 'user');
    const login = await waitFor(
      async () => {
        const res = await secondary.request('POST', 'auth/userpass/login/snap', { token: null, body: { password: 'snap-pass-7d1' } });
        return res.status === 200 ? (res.body.auth.client_token as string) : undefined;
      },
      { timeoutMs: 30_000, description: 'a login on the secondary' },
    );
    const onSecondary = await secondary.request('POST', 'sys/storage/raft/snapshot-force', { body: foreign.text, token: login });
    expect(onSecondary.status, onSecondary.text).to.equal(400);
    expect(onSecondary.body.errors[0]).to.match(/replication secondary: disable replication on it first/);
  });

  it('saves with the CLI (ferry operator snapshot save) a file that inspect reads and that holds the stored state', async () => {
    const file = join(primary.dataDir, 'cli.snap');
    const env = { ...process.env, FERRY_ADDR: primary.addr, FERRY_TOKEN: primary.rootToken };
    const saved = await promisify(execFile)(process.execPath, ['bin/ferry.js', 'operator', 'snapshot', 'save', file], { env });
    expect(saved.stdout).to.include(`Snapshot saved to ${file}`);
    const inspect = await promisify(execFile)(process.execPath, ['bin/ferry.js', 'operator', 'snapshot', 'inspect', file], { env });
    expect(inspect.stdout).to.match(/Replication Role\s+primary/);
    expect(snapshotState(readFileSync(file, 'utf8'))).to.deep.equal(await storedState(primary));
  });

  it('needs a token with sudo on the snapshot path', async () => {
    ok(
      await primary.request('PUT', 'sys/policies/acl/snap-read', { body: { policy: 'path "sys/storage/raft/snapshot" { capabilities = ["read"] }' } }),
      'policy',
    );
    const token = await primary.request('POST', 'auth/token/create', { body: { policies: ['snap-read'] } });
    const res = await primary.request('GET', 'sys/storage/raft/snapshot', { token: token.body.auth.client_token });
    expect(res.status).to.equal(403);
    expect((await primary.request('GET', 'sys/storage/raft/snapshot', { token: null })).status).to.equal(403);
  });
});

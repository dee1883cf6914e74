import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { activateSecondary } from '../helpers/secondary-activation.js';

/**
 * A secondary serves a streamed chunk as soon as it is checked and commits it behind (see
 * server/storage/replica-overlay.ts). Proved through real processes and SQLite files: a read that
 * carries a write's X-Vault-Index is served once the secondary says it has that index and then sees
 * the write (gets, and lists that merge pending puts and deletes); `kill -9` of the secondary while
 * chunks are served but not yet committed loses no acknowledged write: it resumes from what it had
 * committed and converges. Its replication trace shows chunks served before their commit.
 */
describe('secondary serves a chunk before it commits it (e2e)', function () {
  this.timeout(180_000);

  const MOUNT = 'probe';
  let primary: ServerHandle;
  let secondary: ServerHandle;
  let traceDir: string;
  let readerToken: string;

  async function status(server: ServerHandle): Promise<Record<string, any>> {
    const res = await server.request('GET', 'sys/replication/status', { token: null });
    expect(res.status, res.text).to.equal(200);
    return res.body.data as Record<string, any>;
  }

  /** A read on the secondary carrying `state`, repeated while it answers 412 (not there yet). */
  async function readWithState(path: string, state: string): Promise<{ status: number; body: any; text: string }> {
    return waitFor(
      async () => {
        const res = await secondary.request('GET', path, { token: readerToken, headers: { 'X-Vault-Index': state } });
        return res.status === 412 ? undefined : res;
      },
      { timeoutMs: 20_000, intervalMs: 1, description: `the secondary to reach the state of ${path}` },
    );
  }

  before(async () => {
    traceDir = mkdtempSync(join(tmpdir(), 'ferry-serve-ahead-trace-'));
    [primary, secondary] = await Promise.all([startSqliteServer(), startSqliteServer({ env: { FERRY_REPLICATION_TRACE: traceDir } })]);
    for (const [path, body] of [
      [`sys/mounts/${MOUNT}`, { type: 'kv' }],
      ['sys/policies/acl/probe-reader', { policy: `path "${MOUNT}/*" { capabilities = ["read", "list"] }` }],
      ['sys/auth/userpass', { type: 'userpass' }],
      ['auth/userpass/users/reader', { password: 'serve-ahead-pw', policies: 'probe-reader' }],
      ['sys/replication/primary/enable', {}],
    ] as const) {
      const res = await primary.request('POST', path, { body });
      expect(res.status, `${path}: ${res.text}`).to.be.within(200, 204);
    }
    await activateSecondary(primary, secondary, 'ahead');
    const login = await waitFor(
      async () => {
        const res = await secondary.request('POST', 'auth/userpass/login/reader', { token: null, body: { password: 'serve-ahead-pw' } });
        return res.status === 200 ? res : undefined;
      },
      { timeoutMs: 20_000, description: 'a login on the secondary' },
    );
    readerToken = login.body.auth.client_token as string;
  });

  after(async () => {
    await Promise.all([primary?.stop(), secondary?.stop()]);
    rmSync(traceDir, { recursive: true, force: true });
  });

  it('serves each write, and lists with it, as soon as its X-Vault-Index is there', async () => {
    const live = new Set<string>();
    for (let i = 0; i < 120; i++) {
      const isDelete = i % 4 === 3;
      const key = isDelete ? `read-${i - 2}` : `read-${i}`;
      const res = isDelete
        ? await primary.request('DELETE', `${MOUNT}/${key}`)
        : await primary.request('POST', `${MOUNT}/${key}`, { body: { v: `value-${i}` } });
      expect(res.status, res.text).to.be.within(200, 204);
      const state = res.headers.get('x-vault-index');
      expect(state, 'the write names its state').to.be.a('string');
      if (isDelete) live.delete(key);
      else live.add(key);
      const read = await readWithState(`${MOUNT}/${key}`, state as string);
      if (isDelete) expect(read.status, read.text).to.equal(404);
      else {
        expect(read.status, read.text).to.equal(200);
        expect(read.body.data).to.deep.equal({ v: `value-${i}` });
      }
      if (i % 10 === 9) {
        const list = await readWithState(`${MOUNT}/?list=true`, state as string);
        expect(list.status, list.text).to.equal(200);
        expect([...(list.body.data.keys as string[])].sort()).to.deep.equal([...live].sort());
      }
    }
  });

  it('loses no acknowledged write to kill -9 while chunks are served but not committed, and converges', async () => {
    // Writers put unique keys and delete some; what each key ends as is known from the acknowledgements.
    const acked = new Map<string, string | undefined>();
    let stopping = false;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stopping; i++) {
        if (i % 3 === 2) {
          const key = `crash-${w}-${i - 2}`;
          const res = await primary.request('DELETE', `${MOUNT}/${key}`);
          expect(res.status, res.text).to.equal(204);
          acked.set(key, undefined);
        } else {
          const key = `crash-${w}-${i}`;
          const value = `${w}-${i}-${Math.random()}`;
          const res = await primary.request('POST', `${MOUNT}/${key}`, { body: { v: value } });
          expect(res.status, res.text).to.be.within(200, 204);
          acked.set(key, value);
        }
      }
    };
    const writers = [writer(0), writer(1), writer(2)];
    await waitFor(async () => acked.size >= 150, { timeoutMs: 60_000, intervalMs: 5, description: '150 acknowledged writes' });
    const servedBefore = (await status(secondary)).last_remote_wal as number;
    await secondary.kill9();
    const killedAt = acked.size;
    await waitFor(async () => acked.size >= killedAt + 60, { timeoutMs: 60_000, intervalMs: 5, description: 'more writes with the secondary down' });
    stopping = true;
    await Promise.all(writers);

    await secondary.restart();
    const target = (await status(primary)).last_wal as number;
    await waitFor(
      async () => {
        const [p, s] = await Promise.all([status(primary), status(secondary)]);
        return s.state === 'stream-wals' && s.last_remote_wal >= target && s.merkle_root === p.merkle_root;
      },
      { timeoutMs: 60_000, description: 'the restarted secondary to converge' },
    );
    const login = await secondary.request('POST', 'auth/userpass/login/reader', { token: null, body: { password: 'serve-ahead-pw' } });
    readerToken = login.body.auth.client_token as string;
    let lost = 0;
    for (const [key, value] of acked) {
      const res = await secondary.request('GET', `${MOUNT}/${key}`, { token: readerToken });
      const seen = res.status === 200 ? (res.body.data.v as string) : undefined;
      if (res.status !== 200) expect(res.status, res.text).to.equal(404);
      if (seen !== value) lost++;
    }
    expect(lost, 'acknowledged writes missing or stale on the secondary').to.equal(0);
    expect(servedBefore, 'the secondary was streaming before the kill').to.be.greaterThan(0);
  });

  it('served chunks before committing them (its replication trace)', async () => {
    await secondary.stop();
    const marks: { t: number; stage: string; to: number }[] = [];
    for (const file of readdirSync(traceDir)) {
      for (const line of readFileSync(join(traceDir, file), 'utf8').split('\n')) {
        if (line === '') continue;
        const [t, stage, , to] = JSON.parse(line) as [number, string, number, number];
        if (stage === 'published' || stage === 'persisted') marks.push({ t, stage, to });
      }
    }
    const published = marks.filter((m) => m.stage === 'published');
    const persisted = marks.filter((m) => m.stage === 'persisted');
    expect(published.length, 'chunks served').to.be.greaterThan(50);
    expect(persisted.length, 'chunks committed').to.be.greaterThan(0);
    // Every commit mark follows (or equals in time) the mark that served the same index.
    for (const p of persisted) {
      const served = published.find((m) => m.to === p.to);
      if (served !== undefined) expect(served.t).to.be.at.most(p.t);
    }
  });
});

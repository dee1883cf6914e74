import { expect } from 'chai';
import { querySqliteFile } from '../helpers/sqlite-file.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { join } from 'node:path';

/**
 * kill -9 of a cluster in the middle of its activation as a secondary: the bootstrap is staged in
 * storage page by page beside the live keys (never whole in memory) and swapped in by one
 * transaction. Killed while pages are staged, the cluster restarts as it was (its own data, its
 * own unseal keys, replication off), the staged pages are gone, and activating again works.
 */
describe('secondary bootstrap staging: kill -9 mid-bootstrap leaves the old state (SQLite)', function () {
  this.timeout(180_000);

  const KEYS = 3000;
  /** 16 KB values: about 48 MB of bootstrap, a dozen staging pages. */
  const VALUE = 'x'.repeat(16 * 1024);

  let primary: ServerHandle;
  let target: ServerHandle;

  const status = async (server: ServerHandle): Promise<Record<string, any>> =>
    (await server.request('GET', 'sys/replication/status', { token: null })).body.data;

  async function stagedRows(): Promise<number> {
    try {
      const rows = await querySqliteFile<{ n: number }>(join(target.dataDir, 'ferry.db'), 'SELECT count(*) AS n FROM entries_staging');
      return rows[0]?.n ?? 0;
    } catch {
      return 0; // no staging table (yet, or any more)
    }
  }

  before(async () => {
    [primary, target] = await Promise.all([startSqliteServer(), startSqliteServer()]);
    for (const [path, body] of [
      ['sys/mounts/big', { type: 'kv' }],
      ['sys/replication/primary/enable', {}],
    ] as const) {
      const res = await primary.request('POST', path, { body });
      expect(res.status, `${path}: ${res.text}`).to.be.within(200, 204);
    }
    for (let i = 0; i < KEYS; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, KEYS - i) }, async (_, j) => {
          const res = await primary.request('POST', `big/k${i + j}`, { body: { v: VALUE } });
          expect(res.status, res.text).to.equal(204);
        }),
      );
    }
    // The target's own state, which must survive the interrupted activation.
    expect((await target.request('POST', 'sys/mounts/mine', { body: { type: 'kv' } })).status).to.equal(204);
    expect((await target.request('POST', 'mine/own', { body: { v: 'target-data' } })).status).to.equal(204);
  });

  after(async () => {
    primary?.process?.kill('SIGCONT');
    await Promise.all([primary?.stop(), target?.stop()]);
  });

  it('restarts as its old self after kill -9 with pages staged, then activates cleanly', async () => {
    const token = (await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'crashy' } })).body.wrap_info.token as string;
    let enableSettled = false;
    const enable = target
      .request('POST', 'sys/replication/secondary/enable', { body: { token } })
      .catch(() => undefined)
      .finally(() => (enableSettled = true));
    await waitFor(async () => (await stagedRows()) > 0, { timeoutMs: 60_000, intervalMs: 10, description: 'bootstrap pages staged on the target' });
    // Freeze the transfer at the primary so the install cannot come first, then kill the target.
    primary.process?.kill('SIGSTOP');
    expect(enableSettled, 'the activation had already finished: nothing was interrupted').to.equal(false);
    await target.kill9();
    primary.process?.kill('SIGCONT');
    await enable;

    await target.restart();
    expect(await stagedRows(), 'staged pages left after restart').to.equal(0);
    const own = await target.request('GET', 'mine/own');
    expect(own.status, own.text).to.equal(200);
    expect(own.body.data.v).to.equal('target-data');
    expect((await status(target)).mode).to.equal('disabled');
    expect((await target.request('GET', 'big/k0')).status).to.not.equal(200);

    // A new activation installs the whole bootstrap.
    const again = (await primary.request('POST', 'sys/replication/primary/secondary-token', { body: { id: 'crashy-2' } })).body.wrap_info.token as string;
    const res = await target.request('POST', 'sys/replication/secondary/enable', { body: { token: again } });
    expect(res.status, res.text).to.be.within(200, 204);
    target.unsealKeys = primary.unsealKeys;
    target.unsealThreshold = primary.unsealThreshold;
    await waitFor(
      async () => {
        const [p, s] = await Promise.all([status(primary), status(target)]);
        return s.state === 'stream-wals' && s.merkle_root === p.merkle_root;
      },
      { timeoutMs: 60_000, description: 'the secondary to stream with the primary root' },
    );
    expect(await stagedRows()).to.equal(0);
  });
});

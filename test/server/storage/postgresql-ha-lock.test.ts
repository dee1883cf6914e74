import { expect } from 'chai';
import pg from 'pg';
import { PostgresqlBackend } from '../../../server/storage/postgresql-backend.js';
import { NotLockHolderError } from '../../../server/storage/postgresql-errors.js';
import { PostgresqlHaLock } from '../../../server/storage/postgresql-ha-lock.js';
import { sharedPostgresCluster, type PostgresCluster, type PostgresDatabase } from '../../helpers/postgres-cluster.js';
import { waitFor } from '../../helpers/test-cluster.js';

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('PostgresqlHaLock (real PostgreSQL)', function () {
  this.timeout(60_000);
  let cluster: PostgresCluster;
  let db: PostgresDatabase;
  let tables = 0;
  const backends: PostgresqlBackend[] = [];

  /** One node: its own pool, a lock on `haTable`, and a fenced backend on `table`. */
  const node = async (haTable: string, table: string, ttlMs = 3_000): Promise<{ lock: PostgresqlHaLock; storage: PostgresqlBackend }> => {
    const storage = await PostgresqlBackend.open({ connectionUrl: db.url, table });
    backends.push(storage);
    const lock = await PostgresqlHaLock.open({ pool: storage.pool, table: haTable, ttlMs });
    storage.requireWriteFence(() => lock.currentFence());
    return { lock, storage };
  };
  const names = (): { haTable: string; table: string } => {
    tables++;
    return { haTable: `ha_${tables}`, table: `kv_${tables}` };
  };
  const rowsOf = async (table: string): Promise<Record<string, string>> => {
    const rows = await cluster.query<{ key: string; value: Buffer }>(`SELECT key, value FROM "${table}" ORDER BY key`, [], db.name);
    return Object.fromEntries(rows.map((r) => [r.key, r.value.toString('utf8')]));
  };

  before(async () => {
    cluster = await sharedPostgresCluster();
    db = await cluster.createDatabase();
  });
  after(async () => {
    for (const backend of backends) await backend.close();
  });

  it('creates the lock table with Vault’s columns plus the epoch', async () => {
    const { haTable, table } = names();
    await node(haTable, table);
    const columns = await cluster.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [haTable],
      db.name,
    );
    expect(columns.map((c) => c.column_name)).to.deep.equal(['ha_key', 'ha_identity', 'ha_value', 'valid_until', 'epoch']);
  });

  it('lets exactly one of several concurrent contenders take the lock', async () => {
    const { haTable, table } = names();
    const contenders = await Promise.all([1, 2, 3, 4, 5].map(() => node(haTable, table)));
    const results = await Promise.all(contenders.map((c, i) => c.lock.tryAcquire(JSON.stringify({ node: i }))));
    expect(results.filter((r) => r)).to.have.length(1);
    const winner = contenders[results.indexOf(true)] as { lock: PostgresqlHaLock };
    const holder = await winner.lock.readHolder();
    expect(holder?.isLive).to.equal(true);
    expect(holder?.epoch).to.equal(winner.lock.epoch);
    expect(holder?.value).to.equal(JSON.stringify({ node: results.indexOf(true) }));
  });

  it('passes to another node after release, under a higher epoch', async () => {
    const { haTable, table } = names();
    const a = await node(haTable, table);
    const b = await node(haTable, table);
    expect(await a.lock.tryAcquire('a')).to.equal(true);
    expect(await b.lock.tryAcquire('b')).to.equal(false);
    expect(await a.lock.renew()).to.equal(true);
    const first = a.lock.epoch as number;
    await a.lock.release();
    expect(a.lock.isHeld).to.equal(false);
    expect(await b.lock.tryAcquire('b')).to.equal(true);
    expect(b.lock.epoch).to.equal(first + 1);
  });

  it('lets a standby take an expired lease; the old holder can neither renew nor write', async () => {
    const { haTable, table } = names();
    const a = await node(haTable, table, 400);
    const b = await node(haTable, table, 400);
    expect(await a.lock.tryAcquire('a')).to.equal(true);
    await a.storage.put('k', buf('from a while active'));
    const start = Date.now();
    await waitFor(() => b.lock.tryAcquire('b'), { timeoutMs: 5_000, intervalMs: 50 });
    expect(Date.now() - start, 'taken once the 400 ms lease ran out').to.be.lessThan(3_000);
    // A still believes it holds the lock (it was "paused" and never renewed): the fence refuses it.
    expect(a.lock.isHeld).to.equal(true);
    const refused = await a.storage.put('k', buf('from a after losing the lock')).catch((err: unknown) => err);
    expect(refused).to.be.instanceOf(NotLockHolderError);
    expect(await rowsOf(table)).to.deep.equal({ k: 'from a while active' });
    expect(await a.lock.renew()).to.equal(false);
    expect(a.lock.isHeld).to.equal(false);
    await b.storage.put('k', buf('from b'));
    expect(await rowsOf(table)).to.deep.equal({ k: 'from b' });
  });

  it('refuses the writes of a node that never held the lock, and writes nothing', async () => {
    const { haTable, table } = names();
    const a = await node(haTable, table);
    const b = await node(haTable, table);
    expect(await a.lock.tryAcquire('a')).to.equal(true);
    const refused = await b.storage
      .transaction([
        { op: 'put', key: 'x', value: buf('1') },
        { op: 'put', key: 'y', value: buf('2') },
      ])
      .catch((err: unknown) => err);
    expect(refused).to.be.instanceOf(NotLockHolderError);
    expect(await rowsOf(table)).to.deep.equal({});
    // Reads are never fenced.
    await a.storage.put('x', buf('1'));
    expect(await b.storage.get('x')).to.deep.equal(buf('1'));
  });

  it('keeps a standby from taking the lock while the holder’s write transaction is open', async () => {
    const { haTable, table } = names();
    const a = await node(haTable, table, 300);
    const b = await node(haTable, table, 300);
    expect(await a.lock.tryAcquire('a')).to.equal(true);
    // A raw connection plays the holder mid-transaction: it holds the row FOR SHARE past the lease.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      const fence = a.lock.currentFence();
      if (fence === undefined) throw new Error('no fence');
      await holder.query('BEGIN');
      expect((await holder.query(fence.text, [...fence.values])).rowCount).to.equal(1);
      await new Promise((resolve) => setTimeout(resolve, 500)); // the lease runs out meanwhile
      let isSettled = false;
      const attempt = b.lock.tryAcquire('b').finally(() => (isSettled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(isSettled, 'the standby waits for the holder’s transaction').to.equal(false);
      await holder.query('COMMIT');
      expect(await attempt, 'taken once the transaction ended').to.equal(true);
    } finally {
      await holder.end();
    }
  });
});

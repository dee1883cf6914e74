import { expect } from 'chai';
import { WAL_PREFIX, WalStorage, type WalEntry } from '../../../server/replication/wal-storage.js';
import { PostgresqlBackend } from '../../../server/storage/postgresql-backend.js';
import { NotLockHolderError } from '../../../server/storage/postgresql-errors.js';
import { PostgresqlHaLock } from '../../../server/storage/postgresql-ha-lock.js';
import { sharedPostgresCluster, type PostgresDatabase } from '../../helpers/postgres-cluster.js';
import { waitFor } from '../../helpers/test-cluster.js';

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');
/** A replicated key (anything outside `local/`). */
const key = (name: string): string => `logical/kv-uuid/${name}`;

/**
 * The WAL of an HA primary lives in the shared database, so the index space is shared by every
 * node that becomes active. Two nodes on one real PostgreSQL database, each with its own pool,
 * lock and WAL layer, as two Ferry processes have.
 */
describe('WalStorage on PostgreSQL across HA failovers (real PostgreSQL)', function () {
  this.timeout(60_000);
  let db: PostgresDatabase;
  let tables = 0;
  const backends: PostgresqlBackend[] = [];

  const node = async (haTable: string, table: string): Promise<{ lock: PostgresqlHaLock; wal: WalStorage }> => {
    const storage = await PostgresqlBackend.open({ connectionUrl: db.url, table });
    backends.push(storage);
    const lock = await PostgresqlHaLock.open({ pool: storage.pool, table: haTable, ttlMs: 400 });
    storage.requireWriteFence(() => lock.currentFence());
    const wal = new WalStorage(storage, 10_000);
    await wal.open();
    return { lock, wal };
  };
  /** What the WAL holds, as stored: index → the key its entry wrote. */
  const walOf = async (wal: WalStorage): Promise<Map<number, string>> => {
    const entries = await wal.readWal(0, 1000);
    return new Map(entries.map((e: WalEntry) => [e.index, e.ops.map((op) => (op.op === 'delete-prefix' ? op.prefix : op.key)).join(',')]));
  };

  before(async () => {
    db = await (await sharedPostgresCluster()).createDatabase();
  });
  after(async () => {
    for (const backend of backends) await backend.close();
  });

  it('a new active continues the old active’s WAL index; the old one, fenced, can never reuse an index', async () => {
    tables++;
    const a = await node(`ha_wal_${tables}`, `kv_wal_${tables}`);
    const b = await node(`ha_wal_${tables}`, `kv_wal_${tables}`);
    expect(await a.lock.tryAcquire('a')).to.equal(true);
    a.wal.setRole('primary', 1);
    for (const n of [1, 2, 3]) await a.wal.put(key(`a${n}`), buf(`from a ${n}`));
    expect(a.wal.lastWal).to.equal(3);

    // A stalls (never renews); B takes the expired lease, loads the WAL bounds as a promotion does.
    await waitFor(() => b.lock.tryAcquire('b'), { timeoutMs: 5_000, intervalMs: 50, description: 'b to take the lock' });
    await b.wal.open();
    b.wal.setRole('primary', 1);
    expect(b.wal.lastWal, 'the new active starts after the last committed index').to.equal(3);
    await b.wal.put(key('b4'), buf('from b'));
    expect(b.wal.lastWal).to.equal(4);

    // A still believes it is active: its next write would take index 4 again, and is refused whole.
    expect(a.lock.isHeld).to.equal(true);
    const refused = await a.wal.put(key('a4'), buf('from a after losing the lock')).catch((err: unknown) => err);
    expect(refused).to.be.instanceOf(NotLockHolderError);
    expect(a.wal.lastWal, 'the refused write gave its index back').to.equal(3);
    expect(await b.wal.get(key('a4'))).to.equal(undefined);

    await b.wal.put(key('b5'), buf('from b'));
    const wal = await walOf(b.wal);
    expect([...wal.entries()]).to.deep.equal([
      [1, key('a1')],
      [2, key('a2')],
      [3, key('a3')],
      [4, key('b4')],
      [5, key('b5')],
    ]);
    // Read back from the table itself (not B's memory): one row per index, the same five.
    expect((await b.wal.list(WAL_PREFIX)).map(Number)).to.deep.equal([1, 2, 3, 4, 5]);
    const fresh = await node(`ha_wal_${tables}`, `kv_wal_${tables}`);
    expect([...(await walOf(fresh.wal)).entries()]).to.deep.equal([...wal.entries()]);
  });
});

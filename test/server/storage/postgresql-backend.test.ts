import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageOp } from '../../../server/storage/backend.js';
import { PostgresqlBackend } from '../../../server/storage/postgresql-backend.js';
import { SqliteBackend } from '../../../server/storage/sqlite-backend.js';
import { sharedPostgresCluster, startPostgresCluster, type PostgresCluster, type PostgresDatabase } from '../../helpers/postgres-cluster.js';
import { waitFor } from '../../helpers/test-cluster.js';
import { describeStorageContract, INVALID_PUT } from './contract.js';

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('PostgresqlBackend (real PostgreSQL)', function () {
  this.timeout(120_000);
  let cluster: PostgresCluster;
  let db: PostgresDatabase;
  let tables = 0;
  const open = (options: { table?: string; maxParallel?: number; maxIdleConnections?: number; url?: string } = {}): Promise<PostgresqlBackend> =>
    PostgresqlBackend.open({
      connectionUrl: options.url ?? db.url,
      table: options.table ?? `t_${++tables}`,
      ...(options.maxParallel === undefined ? {} : { maxParallel: options.maxParallel }),
      ...(options.maxIdleConnections === undefined ? {} : { maxIdleConnections: options.maxIdleConnections }),
    });
  /** The rows of a table as another client sees them. */
  const rowsOf = async (table: string): Promise<Record<string, string>> => {
    const rows = await cluster.query<{ key: string; value: Buffer }>(`SELECT key, value FROM "${table}" ORDER BY key`, [], db.name);
    return Object.fromEntries(rows.map((r) => [r.key, r.value.toString('utf8')]));
  };
  const connectionsTo = async (database: string): Promise<number> =>
    Number(
      (await cluster.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'ferry'`, [database]))[0]?.n,
    );

  before(async () => {
    cluster = await sharedPostgresCluster();
    db = await cluster.createDatabase();
  });

  // One table per test, all in one database: a fresh store without a fresh database each time.
  describeStorageContract('PostgresqlBackend', () => open());

  it('installs a staging area only under the HA fence: a node that lost the lock swaps nothing in, and the staging table goes', async () => {
    const table = `staged_fence_${Date.now()}`;
    const backend = await open({ table });
    try {
      await backend.put('live', buf('kept'));
      const area = await backend.beginStaging();
      await area.add([{ key: 'staged', value: buf('never-live') }]);
      expect(Object.keys(await rowsOf(`${table}_staging`))).to.deep.equal(['staged']);
      backend.requireWriteFence(() => undefined);
      let failed = false;
      await area.install([{ op: 'put', key: 'state', value: buf('secondary') }]).catch(() => (failed = true));
      expect(failed).to.equal(true);
      expect(await rowsOf(table)).to.deep.equal({ live: 'kept' });
      const staging = await cluster.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE tablename = $1`, [`${table}_staging`], db.name);
      expect(staging[0]?.n).to.equal('0');
    } finally {
      await backend.close();
    }
  });

  it('commits N concurrent puts in fewer than N transactions (group commit), every one readable after', async () => {
    const backend = await open();
    try {
      const writes = 100;
      const before = backend.commitStats;
      await Promise.all(Array.from({ length: writes }, (_, i) => backend.put(`group/k${i}`, Buffer.from(`v${i}`))));
      const after = backend.commitStats;
      expect(after.writes - before.writes).to.equal(writes);
      expect(after.groups - before.groups, 'transactions (WAL flushes) for 100 concurrent puts').to.be.lessThan(writes / 4);
      expect(await backend.scan('group/')).to.have.length(writes);
    } finally {
      await backend.close();
    }
  });

  it('hammered by 50 concurrent writers through two pools on one table, shows every transaction whole and loses none', async () => {
    // Two pools stand for two servers sharing the table: their transactions really run concurrently
    // in PostgreSQL, conflict, and the losers are retried.
    const table = `hammer_${++tables}`;
    const a = await open({ table, maxParallel: 16 });
    const b = await open({ table, maxParallel: 16 });
    const writers = 50;
    const keysPerTx = 6;
    const failingWriters = new Set([7, 21, 42]);
    let snapshotsChecked = 0;
    let stopReading = false;
    try {
      const reader = (async () => {
        while (!stopReading) {
          const values = new Set((await b.scan('hammer/shared/')).map((e) => e.value.toString()));
          expect(values.size, `a reader saw a mixed snapshot: ${[...values].join(',')}`).to.be.at.most(1);
          snapshotsChecked++;
        }
      })();
      const results = await Promise.allSettled(
        Array.from({ length: writers }, (_, id) => {
          const ops: StorageOp[] = [];
          // Odd writers go through the keys in reverse: lock order differs, so deadlocks are possible too.
          const order = Array.from({ length: keysPerTx }, (_, j) => (id % 2 === 0 ? j : keysPerTx - 1 - j));
          for (const j of order) {
            ops.push({ op: 'put', key: `hammer/shared/k${j}`, value: buf(`w${id}`) });
            ops.push({ op: 'put', key: `hammer/own/w${id}/k${j}`, value: buf(`w${id}`) });
            ops.push({ op: 'delete', key: `hammer/gone/k${j}` });
            if (failingWriters.has(id) && j === order[keysPerTx - 2]) ops.push(INVALID_PUT);
          }
          return (id % 2 === 0 ? a : b).transaction(ops);
        }),
      );
      stopReading = true;
      await reader;

      results.forEach((r, id) =>
        expect(r.status, `writer ${id}: ${r.status === 'rejected' ? String(r.reason) : ''}`).to.equal(failingWriters.has(id) ? 'rejected' : 'fulfilled'),
      );
      const rows = await rowsOf(table);
      const shared = new Set(
        Object.entries(rows)
          .filter(([k]) => k.startsWith('hammer/shared/'))
          .map(([, v]) => v),
      );
      expect(shared.size).to.equal(1);
      const winner = [...shared][0] as string;
      expect(failingWriters.has(Number(winner.slice(1))), 'a rolled-back writer must not win').to.equal(false);
      for (let id = 0; id < writers; id++) {
        const own = Object.entries(rows).filter(([k]) => k.startsWith(`hammer/own/w${id}/`));
        expect(own.length, `writer ${id} keys`).to.equal(failingWriters.has(id) ? 0 : keysPerTx);
        for (const [, v] of own) expect(v).to.equal(`w${id}`);
      }
      expect(snapshotsChecked).to.be.greaterThan(0);
    } finally {
      stopReading = true;
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('lists and scans exactly as the SQLite backend does, for random keys (folders, non-ASCII, prefixes of each other)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-pg-vs-sqlite-'));
    const segment = fc.stringMatching(/^[ab\-z0é\u{1F600}\uffee]{1,3}$/u);
    const key = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(key, { minLength: 1, maxLength: 30 }),
          fc.array(fc.integer({ min: 0, max: 29 }), { maxLength: 5 }),
          async (keys, deletes) => {
            const pgBackend = await open();
            const sqlite = await SqliteBackend.open({ path: join(dir, `s${tables}.db`) });
            try {
              const ops: StorageOp[] = keys.map((k) => ({ op: 'put', key: k, value: buf(k) }));
              for (const i of deletes) if (keys[i] !== undefined) ops.push({ op: 'delete', key: keys[i] as string });
              await Promise.all([pgBackend.transaction(ops), sqlite.transaction(ops)]);
              // Every folder any key implies, and the root.
              const prefixes = new Set(['']);
              for (const k of keys) for (let i = k.indexOf('/'); i !== -1; i = k.indexOf('/', i + 1)) prefixes.add(k.slice(0, i + 1));
              for (const prefix of prefixes) {
                expect(await pgBackend.list(prefix), `list(${JSON.stringify(prefix)})`).to.deep.equal(await sqlite.list(prefix));
                const [a, b] = await Promise.all([pgBackend.scan(prefix), sqlite.scan(prefix)]);
                expect(
                  a.map((e) => e.key),
                  `scan(${JSON.stringify(prefix)})`,
                ).to.deep.equal(b.map((e) => e.key));
              }
              for (const after of keys.slice(0, 5)) {
                const [a, b] = await Promise.all([pgBackend.scan('', { after, limit: 7 }), sqlite.scan('', { after, limit: 7 })]);
                expect(
                  a.map((e) => e.key),
                  `scan after ${JSON.stringify(after)}`,
                ).to.deep.equal(b.map((e) => e.key));
              }
            } finally {
              await Promise.all([pgBackend.close(), sqlite.close()]);
            }
          },
        ),
        { numRuns: 25 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a transaction whose connection dies mid-way: none of its writes appear, and the next one works', async () => {
    const table = `rollback_${++tables}`;
    const backend = await open({ table });
    try {
      await backend.put('r/locked', buf('before'));
      await backend.put('r/p/old', buf('old'));
      const before = await rowsOf(table);
      // Hold a row lock from another session, so the transaction stops half-way, inside PostgreSQL.
      const url = new URL(cluster.superuserUrl);
      url.pathname = `/${db.name}`;
      const pg = (await import('pg')).default;
      const holder = new pg.Client({ connectionString: url.toString() });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT 1 FROM "${table}" WHERE key = 'r/locked' FOR UPDATE`);
        const outcome = backend
          .transaction([
            { op: 'put', key: 'r/new', value: buf('new') },
            { op: 'delete-prefix', prefix: 'r/p/' },
            { op: 'put', key: 'r/locked', value: buf('after') },
          ])
          .then(
            () => 'committed',
            (err: Error) => err.message,
          );
        const waiting = await waitFor(
          async () =>
            (
              await cluster.query<{ pid: number }>(
                `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'ferry' AND wait_event_type = 'Lock'`,
                [db.name],
              )
            )[0]?.pid,
          { timeoutMs: 10_000, description: 'the transaction to wait on the row lock' },
        );
        await cluster.query('SELECT pg_terminate_backend($1)', [waiting]);
        expect(await outcome).to.match(/^postgresql: /);
        await holder.query('ROLLBACK');
      } finally {
        await holder.end();
      }
      expect(await rowsOf(table), 'nothing of the failed transaction is visible').to.deep.equal(before);
      await backend.transaction([{ op: 'put', key: 'r/next', value: buf('ok') }]);
      expect((await backend.get('r/next'))?.toString()).to.equal('ok');
    } finally {
      await backend.close();
    }
  });

  it('reports a failed statement without the row it quoted (keys, values)', async () => {
    const backend = await open();
    try {
      const failure = await backend.transaction([{ op: 'put', key: 'secret/path/abc', value: null as unknown as Buffer }]).catch((err: unknown) => err);
      expect(failure).to.be.instanceOf(Error);
      const everything = JSON.stringify({ message: (failure as Error).message, ...(failure as object) });
      expect(everything).to.match(/not-null|null value/);
      expect(everything).to.include('SQLSTATE 23502');
      expect(everything).to.not.include('secret/path/abc');
    } finally {
      await backend.close();
    }
  });

  it('refuses a wrong password without echoing the connection URL or its password', async () => {
    const url = new URL(db.url);
    url.password = 'wrong-password-7f3a';
    const failure = await open({ url: url.toString() }).catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(Error);
    expect((failure as Error).message).to.match(/password authentication failed/);
    expect(JSON.stringify({ message: (failure as Error).message, ...(failure as object) })).to.not.include('wrong-password-7f3a');
  });

  it('refuses a database whose encoding is not UTF8', async () => {
    const name = `ascii_${++tables}`;
    await cluster.query(`CREATE DATABASE ${name} OWNER ${db.user} ENCODING 'SQL_ASCII' TEMPLATE template0`);
    const url = new URL(db.url);
    url.pathname = `/${name}`;
    const failure = await open({ url: url.toString() }).catch((err: unknown) => err);
    expect((failure as Error).message).to.equal('postgresql: the database encoding must be UTF8, not SQL_ASCII');
  });

  it('opens at most max_parallel connections, however many requests wait', async () => {
    const name = `pool_${++tables}`;
    await cluster.query(`CREATE DATABASE ${name} OWNER ${db.user}`);
    const url = new URL(db.url);
    url.pathname = `/${name}`;
    const backend = await open({ url: url.toString(), maxParallel: 3 });
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? backend.put(`p/${i}`, buf('x')) : backend.scan('p/'))));
      // Idle connections stay open for a while, so the count now is the peak.
      const open = await connectionsTo(name);
      expect(open).to.be.within(1, 3);
      expect(await backend.scan('p/')).to.have.length(20);
    } finally {
      await backend.close();
    }
  });

  it('keeps no more than max_idle_connections open when idle', async () => {
    const name = `idle_${++tables}`;
    await cluster.query(`CREATE DATABASE ${name} OWNER ${db.user}`);
    const url = new URL(db.url);
    url.pathname = `/${name}`;
    const backend = await open({ url: url.toString(), maxParallel: 8, maxIdleConnections: 1 });
    try {
      await Promise.all(Array.from({ length: 30 }, (_, i) => backend.put(`i/${i}`, buf('x'))));
      await waitFor(async () => (await connectionsTo(name)) <= 1, { timeoutMs: 10_000, description: 'at most one idle connection' });
      expect(await connectionsTo(name)).to.equal(1);
    } finally {
      await backend.close();
    }
    await waitFor(async () => (await connectionsTo(name)) === 0, { timeoutMs: 10_000, description: 'close to end every connection' });
  });

  it('rejects operations after close', async () => {
    const table = `closed_${++tables}`;
    const backend = await open({ table });
    await backend.put('k', buf('before'));
    await backend.close();
    const failure = await backend.put('k', buf('after')).catch((err: unknown) => err);
    expect((failure as Error).message).to.equal('postgresql storage is closed');
    expect(await rowsOf(table)).to.deep.equal({ k: 'before' });
  });

  describe('durability', () => {
    let own: PostgresCluster;
    before(async () => {
      own = await startPostgresCluster();
    });
    after(async () => {
      await own?.stop();
    });

    it('keeps every acknowledged write through an immediate PostgreSQL shutdown, even when the server defaults to synchronous_commit = off', async () => {
      const target = await own.createDatabase();
      // A careless server default, and a WAL writer that flushes only every 10 s: a commit that does
      // not itself wait for the flush is lost by the immediate shutdown below.
      await own.query(`ALTER ROLE ${target.user} SET synchronous_commit = off`);
      await own.query(`ALTER SYSTEM SET wal_writer_delay = '10s'`);
      await own.query('SELECT pg_reload_conf()');
      const backend = await PostgresqlBackend.open({ connectionUrl: target.url });
      const writes = 30;
      for (let i = 0; i < writes; i++) await backend.put(`d/${i}`, buf(`v${i}`));
      await backend.transaction([
        { op: 'put', key: 'd/tx-a', value: buf('a') },
        { op: 'delete', key: 'd/0' },
      ]);
      await own.crash();
      await backend.close();
      await own.start();
      const reopened = await PostgresqlBackend.open({ connectionUrl: target.url });
      try {
        const entries = Object.fromEntries((await reopened.scan('d/')).map((e) => [e.key, e.value.toString()]));
        const expected: Record<string, string> = { 'd/tx-a': 'a' };
        for (let i = 1; i < writes; i++) expected[`d/${i}`] = `v${i}`;
        expect(entries).to.deep.equal(expected);
      } finally {
        await reopened.close();
      }
    });
  });
});

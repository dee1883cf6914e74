import type sqlite3 from 'sqlite3';
import {
  childrenOf,
  type ConsistentRead,
  prefixUpperBound,
  type ScanOptions,
  type StagedWrite,
  type StagingArea,
  type StorageBackend,
  type StorageEntry,
  type StorageOp,
} from './backend.js';
import { DEFAULT_GROUP_LIMITS, DEFAULT_SIBLING_WAIT_MS, GroupCommitQueue, opsBytes, type GroupCommitStats } from './group-commit-queue.js';
import { BULK_ROWS, opStatements, SqliteGroup } from './sqlite-group.js';
import type { WriteRequestsInFlight } from './write-requests-in-flight.js';
import { type CheckpointerOptions, SqliteCheckpointer, type CheckpointStats } from './sqlite-checkpointer.js';
import { allRows, closeDatabase, exec, openDatabase } from './sqlite-connection.js';

/** Ordered schema migrations; `PRAGMA user_version` records how many have run. */
const MIGRATIONS: readonly string[] = [`CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID`];

/** Where a staging area's entries wait (see StagingArea): the live table's twin, renamed over it by `install`. */
const STAGING_TABLE = 'entries_staging';
const CREATE_STAGING = `CREATE TABLE ${STAGING_TABLE} (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID`;

export interface SqliteOptions {
  readonly path: string;
  /** 'FULL' by default: an acknowledged write survives power loss, not just a process crash. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** The background checkpointer's timing (tests); its defaults otherwise. */
  readonly checkpoints?: Pick<CheckpointerOptions, 'intervalMs' | 'idleMs' | 'ceilingFrames'>;
  /** Who is about to write (the request layer's count): a group waits briefly for those not queued yet. */
  readonly writeRequests?: WriteRequestsInFlight;
}

/**
 * Durable backend on SQLite (WAL journal). Writes go through one connection and a group-commit
 * queue: concurrent writes share one transaction and one fsync. Reads use a second connection,
 * which under WAL sees only committed transactions.
 *
 * A group that is one statement (runs of puts become one multi-row upsert) runs as SQLite's implicit
 * transaction, without the BEGIN and COMMIT round trips to the thread pool (see SqliteGroup); with
 * `writeRequests`, a group first waits briefly for writers about to queue, so the shorter cycle does
 * not split them into more groups and more fsyncs.
 */
export class SqliteBackend implements StorageBackend {
  readonly kind = 'sqlite';
  private readonly queue: GroupCommitQueue;
  private readonly writerSteps = { exec: (sql: string) => exec(this.writer, sql), apply: (ops: readonly StorageOp[]) => this.apply(ops) };

  private constructor(
    private readonly writer: sqlite3.Database,
    private readonly reader: sqlite3.Database,
    private readonly path: string,
    /** The configured mode, for every commit that may not defer its flush. */
    private readonly synchronous: 'FULL' | 'NORMAL',
    writeRequests: WriteRequestsInFlight | undefined,
  ) {
    this.currentSynchronous = synchronous;
    this.queue = new GroupCommitQueue(
      async (body, canDeferFlush) => {
        await this.setSynchronous(canDeferFlush ? 'NORMAL' : this.synchronous);
        await new SqliteGroup(this.writerSteps).run(body);
      },
      DEFAULT_GROUP_LIMITS,
      writeRequests === undefined ? undefined : { inFlight: writeRequests, maxWaitMs: DEFAULT_SIBLING_WAIT_MS },
    );
  }

  /** The writer connection's `synchronous` mode now (it persists across transactions); `open` set the configured one. */
  private currentSynchronous: 'FULL' | 'NORMAL';

  /**
   * Switches the writer connection between its two commit modes, outside any transaction. Under the
   * WAL journal, NORMAL commits without an fsync (the frames reach the OS at once, so a process crash
   * loses nothing; power loss may lose a suffix of commits, in order); FULL fsyncs the WAL file at
   * commit, which also covers every frame committed before it.
   */
  private async setSynchronous(mode: 'FULL' | 'NORMAL'): Promise<void> {
    if (mode === this.currentSynchronous) return;
    await exec(this.writer, `PRAGMA synchronous=${mode}`);
    this.currentSynchronous = mode;
  }

  /** Copies the WAL into the database file off the commit path; started by `open`. */
  private checkpointer: SqliteCheckpointer | undefined;

  /** Checkpoints run so far, by kind. */
  get checkpointStats(): CheckpointStats | undefined {
    return this.checkpointer?.stats;
  }

  /** Committed transactions (each one fsync) and the writes they carried, for metrics. */
  get commitStats(): GroupCommitStats {
    return this.queue.stats;
  }

  static async open(options: SqliteOptions): Promise<SqliteBackend> {
    const writer = await openDatabase(options.path);
    await exec(writer, 'PRAGMA journal_mode=WAL');
    // No commit runs a checkpoint inline: the checkpointer's own connection does, beside them.
    await exec(writer, 'PRAGMA wal_autocheckpoint=0');
    const synchronous = options.synchronous ?? 'FULL';
    await exec(writer, `PRAGMA synchronous=${synchronous}`);
    await exec(writer, 'PRAGMA busy_timeout=5000');
    await migrate(writer);
    // Leftovers of a staging area a crash interrupted (the live table never saw them).
    await exec(writer, `DROP TABLE IF EXISTS ${STAGING_TABLE}`);
    const reader = await openDatabase(options.path);
    await exec(reader, 'PRAGMA busy_timeout=5000');
    const backend = new SqliteBackend(writer, reader, options.path, synchronous, options.writeRequests);
    try {
      backend.checkpointer = await SqliteCheckpointer.start({
        path: options.path,
        commitCount: () => backend.queue.stats.groups + backend.exclusiveJobs,
        betweenCommits: (job) => backend.queue.exclusive(job),
        ...options.checkpoints,
      });
    } catch (err) {
      await backend.close().catch(() => undefined);
      throw err;
    }
    return backend;
  }

  /** Exclusive jobs that may have written (staging), counted as commits for the checkpointer. */
  private exclusiveJobs = 0;

  async get(key: string): Promise<Buffer | undefined> {
    // One prepared statement on the reader connection, reused: preparing per read cost more than the read.
    this.readByKey ??= this.reader.prepare('SELECT value FROM entries WHERE key = ?');
    const statement = this.readByKey;
    // `all`, not `get`: node-sqlite3 resets the statement after `all` but leaves it open after `get`, and
    // an open statement keeps the reader's read transaction (and its stale snapshot) alive for every
    // later read on that connection (regression: a list after a delete-prefix still showed the keys).
    const rows = await new Promise<{ value: Buffer }[]>((resolve, reject) =>
      statement.all([key], (err: Error | null, found: { value: Buffer }[]) => (err ? reject(err) : resolve(found))),
    );
    return rows[0]?.value;
  }

  put(key: string, value: Buffer): Promise<void> {
    return this.transaction([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.transaction([{ op: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    const rows = await allRows<{ key: string }>(this.reader, 'SELECT key FROM entries WHERE key >= ? AND key < ? ORDER BY key', [
      prefix,
      prefixUpperBound(prefix),
    ]);
    return childrenOf(
      prefix,
      rows.map((r) => r.key),
    );
  }

  scan(prefix: string, options: ScanOptions = {}): Promise<StorageEntry[]> {
    return this.scanColumns<StorageEntry>('key, value', prefix, options);
  }

  async scanKeys(prefix: string, options: ScanOptions = {}): Promise<string[]> {
    return (await this.scanColumns<{ key: string }>('key', prefix, options)).map((r) => r.key);
  }

  private scanColumns<T>(columns: string, prefix: string, options: ScanOptions): Promise<T[]> {
    const lower = options.after !== undefined && options.after >= prefix ? options.after : undefined;
    const params: unknown[] = [lower ?? prefix, prefixUpperBound(prefix)];
    let sql = `SELECT ${columns} FROM entries WHERE key ${lower === undefined ? '>=' : '>'} ? AND key < ? ORDER BY key`;
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(options.limit);
    }
    return allRows<T>(this.reader, sql, params);
  }

  /**
   * A read transaction on a connection of its own: under the WAL journal it sees the database as of
   * its first read and never blocks the writer (the WAL only grows until it ends).
   */
  async consistentRead(): Promise<ConsistentRead> {
    const db = await openDatabase(this.path);
    try {
      await exec(db, 'PRAGMA busy_timeout=5000');
      await exec(db, 'BEGIN');
      // The first read fixes the snapshot.
      const total = (await getRow<{ n: number }>(db, 'SELECT count(*) AS n FROM entries', []))?.n ?? 0;
      return {
        count: async () => total,
        scan: (after, limit) =>
          after === undefined
            ? allRows<StorageEntry>(db, 'SELECT key, value FROM entries ORDER BY key LIMIT ?', [limit])
            : allRows<StorageEntry>(db, 'SELECT key, value FROM entries WHERE key > ? ORDER BY key LIMIT ?', [after, limit]),
        release: async () => {
          await exec(db, 'COMMIT').catch(() => undefined);
          await closeDatabase(db);
        },
      };
    } catch (err) {
      await closeDatabase(db).catch(() => undefined);
      throw err;
    }
  }

  transaction(ops: readonly StorageOp[]): Promise<void> {
    return this.queue.submit({ bytes: opsBytes(ops), prepare: () => ops });
  }

  stage(write: StagedWrite): Promise<void> {
    return this.queue.submit(write);
  }

  /**
   * A table beside `entries`, filled by its own transactions between group commits. They commit
   * without an fsync (synchronous=NORMAL: safe from corruption, may be lost by a power cut); the
   * install's commit syncs the WAL file, which holds them too. `install` drops `entries` and
   * renames the staging table over it in one transaction with `ops`.
   */
  async beginStaging(): Promise<StagingArea> {
    await this.queue.exclusive(() => exec(this.writer, `DROP TABLE IF EXISTS ${STAGING_TABLE}; ${CREATE_STAGING}`));
    let open = true;
    const ensureOpen = (): void => {
      if (!open) throw new Error('the staging area was installed or discarded');
    };
    return {
      add: async (entries) => {
        ensureOpen();
        if (entries.length === 0) return;
        await this.queue.exclusive(async () => {
          this.exclusiveJobs++;
          await this.setSynchronous('NORMAL');
          await exec(this.writer, 'BEGIN IMMEDIATE');
          try {
            for (let i = 0; i < entries.length; i += BULK_ROWS) {
              const rows = entries.slice(i, i + BULK_ROWS);
              await runStatement(
                this.stagingInsert(rows.length),
                rows.flatMap((r) => [r.key, r.value]),
              );
            }
            await exec(this.writer, 'COMMIT');
          } catch (err) {
            await exec(this.writer, 'ROLLBACK').catch(() => undefined);
            throw err;
          } finally {
            await this.setSynchronous(this.synchronous);
          }
        });
      },
      install: (ops) => {
        ensureOpen();
        open = false;
        return this.queue.exclusive(async () => {
          this.exclusiveJobs++;
          // DROP TABLE fails while a statement of this connection on it is open: finalize them all.
          await this.finalizeStatements();
          // The install's commit is the one that must reach the disk (it covers the staged pages too),
          // whatever mode the last group (an asynchronous secondary's deferred apply) left behind.
          await this.setSynchronous(this.synchronous);
          await exec(this.writer, 'BEGIN IMMEDIATE');
          try {
            await exec(this.writer, `DROP TABLE entries; ALTER TABLE ${STAGING_TABLE} RENAME TO entries`);
            await this.apply(ops);
            await exec(this.writer, 'COMMIT');
          } catch (err) {
            await exec(this.writer, 'ROLLBACK').catch(() => undefined);
            await exec(this.writer, `DROP TABLE IF EXISTS ${STAGING_TABLE}`).catch(() => undefined);
            throw err;
          }
        });
      },
      discard: () => {
        if (!open) return Promise.resolve();
        open = false;
        return this.queue.exclusive(async () => {
          await this.finalizeStatements();
          await exec(this.writer, `DROP TABLE IF EXISTS ${STAGING_TABLE}`);
        });
      },
    };
  }

  /** One statement at a time, in order (separate prepared statements do not keep issue order). */
  private async apply(ops: readonly StorageOp[]): Promise<void> {
    // Consecutive puts share multi-row upserts, so bulk applies take few steps.
    for (const statement of opStatements(ops)) {
      if (statement.kind === 'upsert') {
        await runStatement(
          this.upsert(statement.rows.length),
          statement.rows.flatMap((r) => [r.key, r.value]),
        );
        continue;
      }
      const op = statement.op;
      if (op.op === 'delete') await runStatement(this.statement('DELETE FROM entries WHERE key = ?'), [op.key]);
      else await runStatement(this.statement('DELETE FROM entries WHERE key >= ? AND key < ?'), [op.prefix, prefixUpperBound(op.prefix)]);
    }
  }

  private readonly statements = new Map<string, sqlite3.Statement>();
  private readByKey: sqlite3.Statement | undefined;

  /** Prepared once per connection and reused. */
  private statement(sql: string): sqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = this.writer.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private upsert(rows: number): sqlite3.Statement {
    const values = Array.from({ length: rows }, () => '(?, ?)').join(', ');
    return this.statement(`INSERT INTO entries (key, value) VALUES ${values} ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
  }

  private stagingInsert(rows: number): sqlite3.Statement {
    const values = Array.from({ length: rows }, () => '(?, ?)').join(', ');
    return this.statement(`INSERT OR REPLACE INTO ${STAGING_TABLE} (key, value) VALUES ${values}`);
  }

  /** Finalizes the writer's prepared statements (they are prepared again on next use). */
  private async finalizeStatements(): Promise<void> {
    for (const stmt of this.statements.values()) await new Promise<void>((resolve) => stmt.finalize(() => resolve()));
    this.statements.clear();
  }

  async close(): Promise<void> {
    // Its ticks may wait for the queue: stopped before the queue's last job.
    await this.checkpointer?.stop();
    await this.queue.exclusive(async () => {
      await this.checkpointer?.close();
      await this.finalizeStatements();
      const readByKey = this.readByKey;
      this.readByKey = undefined;
      if (readByKey !== undefined) await new Promise<void>((resolve) => readByKey.finalize(() => resolve()));
      await closeDatabase(this.reader);
      await closeDatabase(this.writer);
    });
  }
}

function runStatement(stmt: sqlite3.Statement, params: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => stmt.run(params, (err: Error | null) => (err ? reject(err) : resolve())));
}

function getRow<T>(db: sqlite3.Database, sql: string, params: unknown[]): Promise<T | undefined> {
  return new Promise((resolve, reject) => db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))));
}

async function migrate(db: sqlite3.Database): Promise<void> {
  const row = await getRow<{ user_version: number }>(db, 'PRAGMA user_version', []);
  const current = row?.user_version ?? 0;
  if (current > MIGRATIONS.length) {
    throw new Error(`storage schema version ${current} is newer than this server understands (${MIGRATIONS.length})`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    await exec(db, 'BEGIN IMMEDIATE');
    await exec(db, MIGRATIONS[version] as string);
    await exec(db, `PRAGMA user_version = ${version + 1}`);
    await exec(db, 'COMMIT');
  }
}

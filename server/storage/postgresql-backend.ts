import pg, { type PoolClient, type QueryResultRow } from 'pg';
import type { Logger } from 'pino';
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
import { GroupCommitQueue, opsBytes, type GroupCommitStats } from './group-commit-queue.js';
import { describeConnectionUrl } from './postgresql-connection-url.js';
import { DEFAULT_KV_TABLE, ensureTable, quoteIdentifier, writerLockKeys, type TableSchema } from './postgresql-schema.js';
import { NotLockHolderError, sanitize, StorageQueryError } from './postgresql-errors.js';
import type { WriteFence } from './postgresql-ha-lock.js';
import { planStatements, prepared, type Sql } from './postgresql-statements.js';

export const DEFAULT_POSTGRESQL_MAX_PARALLEL = 128;

export interface PostgresqlOptions {
  /** A `postgres://` or `postgresql://` URL. Never logged whole: it may carry a password. */
  readonly connectionUrl: string;
  /** Key/value table; created when missing. Default `vault_kv_store`. */
  readonly table?: string;
  /** Pool size: at most this many connections (`max_parallel`). Default 128. */
  readonly maxParallel?: number;
  /** Connections kept open while idle (`max_idle_connections`); unset: idle ones close after 10 s. */
  readonly maxIdleConnections?: number;
  readonly logger?: Logger;
}

/** The key/value table: keys in byte order (C collation), as SQLite's BINARY collation orders them. */
export function kvTableSchema(table: string): TableSchema {
  return {
    table,
    migrations: [(t) => `CREATE TABLE IF NOT EXISTS ${t} (key TEXT COLLATE "C" NOT NULL PRIMARY KEY, value BYTEA NOT NULL)`],
    columns: [
      { name: 'key', type: 'text', collation: 'C', notNull: true },
      { name: 'value', type: 'bytea', notNull: true },
    ],
    primaryKey: 'key',
  };
}

const CONNECT_TIMEOUT_MS = 30_000;
const FENCED_IDLE_TIMEOUT_MS = 2_000;

/**
 * Durable backend on PostgreSQL through a connection pool. Reads are single statements on any
 * pooled connection, in parallel; each sees one committed snapshot.
 *
 * Writers take turns, as on SQLite: in this process through a group-commit queue (concurrent
 * writes share one transaction and one WAL flush, each in its own savepoint; waiting writers do
 * not hold pooled connections that reads need), and across processes sharing the table through a
 * transaction-scoped advisory lock taken before the first statement. Each transaction's statements
 * then see every earlier commit, so transactions of blind writes behave exactly as if run one after
 * another — without serialization failures, deadlocks to wait out, or a table lock that
 * would stall behind autovacuum. `synchronous_commit` is on for every write transaction whatever the
 * server's default: an acknowledged write has reached PostgreSQL's WAL on disk.
 */
export class PostgresqlBackend implements StorageBackend {
  readonly kind = 'postgresql';
  private closed = false;
  private readonly sql: Sql;
  private readonly writers: GroupCommitQueue;
  private readonly begin: string;
  private readonly beginFenced: string;
  /** With HA: the holder's fence, checked first in every write transaction (undefined: not the holder). */
  private fence: (() => WriteFence | 'unfenced' | undefined) | undefined;

  private constructor(
    /** The pool, shared with the HA lock when that is added. */
    readonly pool: pg.Pool,
    readonly table: string,
    private readonly maxIdleConnections: number | undefined,
    private readonly log: Logger | undefined,
  ) {
    const t = quoteIdentifier(table);
    const [namespace, id] = writerLockKeys(table);
    // One round trip: open the transaction, make its commit wait for the WAL flush, take the turn.
    this.begin = `BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit TO on; SELECT pg_advisory_xact_lock(${namespace}, ${id})`;
    // A fenced transaction holds the lock row FOR SHARE until it ends: a paused holder must not keep it
    // from a standby for long, so its session is cut after a few idle seconds inside the transaction.
    this.beginFenced = this.begin.replace('SET LOCAL', `SET LOCAL idle_in_transaction_session_timeout TO ${FENCED_IDLE_TIMEOUT_MS}; SET LOCAL`);
    this.sql = {
      get: `SELECT value FROM ${t} WHERE key = $1`,
      // Each child once: the rest of the key after the prefix, cut after its first '/'.
      list: `SELECT DISTINCT CASE WHEN strpos(rest, '/') > 0 THEN substr(rest, 1, strpos(rest, '/')) ELSE rest END AS child
               FROM (SELECT substr(key, char_length($1::text) + 1) AS rest FROM ${t} WHERE key >= $1 AND key < $2) below`,
      scanFrom: `SELECT key, value FROM ${t} WHERE key >= $1 AND key < $2 ORDER BY key LIMIT $3`,
      scanAfter: `SELECT key, value FROM ${t} WHERE key > $1 AND key < $2 ORDER BY key LIMIT $3`,
      scanKeysFrom: `SELECT key FROM ${t} WHERE key >= $1 AND key < $2 ORDER BY key LIMIT $3`,
      scanKeysAfter: `SELECT key FROM ${t} WHERE key > $1 AND key < $2 ORDER BY key LIMIT $3`,
      upsert: `INSERT INTO ${t} (key, value) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      deleteKeys: `DELETE FROM ${t} WHERE key = ANY ($1::text[])`,
      deletePrefix: `DELETE FROM ${t} WHERE key >= $1 AND key < $2`,
    };
    this.writers = new GroupCommitQueue((body) =>
      this.withClient(async (client) => {
        const query = async (text: string): Promise<void> => {
          await client.query(text);
        };
        try {
          await this.beginWrite(client);
          await body({
            apply: async (ops) => {
              try {
                for (const statement of planStatements(ops, this.sql)) await client.query(prepared(statement.text, statement.values));
              } catch (err) {
                // Each write's own failure leaves the backend sanitized, like the group's.
                throw sanitize(err);
              }
            },
            savepoint: () => query('SAVEPOINT write'),
            releaseSavepoint: () => query('RELEASE SAVEPOINT write'),
            rollbackToSavepoint: () => query('ROLLBACK TO SAVEPOINT write; RELEASE SAVEPOINT write'),
          });
          await query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          if (err instanceof NotLockHolderError) throw err;
          throw sanitize(err);
        }
      }),
    );
  }

  /**
   * Opens a group's write transaction and takes the writers' turn. With HA, the holder's fence is
   * checked first inside the same transaction (its row held until commit); a node that does not hold
   * the lock, or whose lease the database no longer honours, writes nothing.
   */
  private async beginWrite(client: PoolClient): Promise<void> {
    const fence = this.fence?.();
    if (this.fence === undefined || fence === 'unfenced') {
      await client.query(this.begin);
      return;
    }
    if (fence === undefined) throw new NotLockHolderError('this node does not hold the HA lock');
    await client.query(this.beginFenced);
    const held = await client.query(prepared(fence.text, [...fence.values]));
    if (held.rowCount !== 1) throw new NotLockHolderError('the HA lock has passed to another node');
  }

  /** Committed transactions (each one WAL flush) and the writes they carried, for metrics. */
  get commitStats(): GroupCommitStats {
    return this.writers.stats;
  }

  /** Connects, checks the server, and creates or migrates the table. */
  static async open(options: PostgresqlOptions): Promise<PostgresqlBackend> {
    const table = options.table ?? DEFAULT_KV_TABLE;
    const maxParallel = options.maxParallel ?? DEFAULT_POSTGRESQL_MAX_PARALLEL;
    const log = options.logger?.child({ module: 'postgresql' });
    const where = describeConnectionUrl(options.connectionUrl);
    const pool = new pg.Pool({
      connectionString: options.connectionUrl,
      max: maxParallel,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      application_name: 'ferry',
    });
    // An idle connection that breaks (server restart, network) is dropped by the pool; without a
    // listener the pool's 'error' event would end the process.
    pool.on('error', (err) => log?.warn({ error: sanitize(err).message }, 'postgresql idle connection lost'));
    // (pg-pool also listens on idle clients; while checked out, withClient does.)
    const backend = new PostgresqlBackend(pool, table, options.maxIdleConnections, log);
    try {
      await backend.withClient(async (client) => {
        await checkServer(client, log);
        const result = await ensureTable(client, kvTableSchema(table));
        if (result.created) log?.info({ table, ...where }, 'storage table created');
      });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw sanitize(err);
    }
    log?.info({ ...where, table, max_parallel: maxParallel }, 'postgresql storage opened');
    return backend;
  }

  async get(key: string): Promise<Buffer | undefined> {
    const rows = await this.read<{ value: Buffer }>(this.sql.get, [key]);
    return rows[0]?.value;
  }

  put(key: string, value: Buffer): Promise<void> {
    return this.transaction([{ op: 'put', key, value }]);
  }

  delete(key: string): Promise<void> {
    return this.transaction([{ op: 'delete', key }]);
  }

  async list(prefix: string): Promise<string[]> {
    const rows = await this.read<{ child: string }>(this.sql.list, [prefix, prefixUpperBound(prefix)]);
    // The same folding and order as every other backend.
    return childrenOf(
      prefix,
      rows.map((r) => prefix + r.child),
    );
  }

  async scan(prefix: string, options: ScanOptions = {}): Promise<StorageEntry[]> {
    const after = options.after !== undefined && options.after >= prefix ? options.after : undefined;
    // LIMIT NULL is no limit.
    const values = [after ?? prefix, prefixUpperBound(prefix), options.limit ?? null];
    return this.read<StorageEntry>(after === undefined ? this.sql.scanFrom : this.sql.scanAfter, values);
  }

  async scanKeys(prefix: string, options: ScanOptions = {}): Promise<string[]> {
    const after = options.after !== undefined && options.after >= prefix ? options.after : undefined;
    const values = [after ?? prefix, prefixUpperBound(prefix), options.limit ?? null];
    return (await this.read<{ key: string }>(after === undefined ? this.sql.scanKeysFrom : this.sql.scanKeysAfter, values)).map((r) => r.key);
  }

  /**
   * Makes every later write transaction check `fence()` first (HA): with no fence, or one the
   * database no longer honours, the write is refused with `NotLockHolderError` and nothing changes.
   * `'unfenced'` lets a write through unchecked (initializing a new store, before any lock exists).
   */
  requireWriteFence(fence: () => WriteFence | 'unfenced' | undefined): void {
    this.fence = fence;
  }

  async transaction(ops: readonly StorageOp[]): Promise<void> {
    this.assertOpen();
    if (ops.length === 0) return;
    await this.writers.submit({ bytes: opsBytes(ops), prepare: () => ops });
  }

  async stage(write: StagedWrite): Promise<void> {
    this.assertOpen();
    await this.writers.submit(write);
  }

  /**
   * A table beside the live one (`<table>_staging`), filled by its own statements. `install` is one
   * fenced write transaction (like any other, it writes nothing once the HA lock has passed on):
   * the live table emptied and refilled from the staging table, then `ops`; the staging table dropped.
   */
  async beginStaging(): Promise<StagingArea> {
    this.assertOpen();
    const t = quoteIdentifier(this.table);
    const staging = quoteIdentifier(`${this.table}_staging`);
    const run = (text: string, values: unknown[] = []): Promise<void> =>
      this.withClient(async (client) => {
        try {
          await client.query(values.length === 0 ? text : prepared(text, values));
        } catch (err) {
          throw sanitize(err);
        }
      });
    await run(`DROP TABLE IF EXISTS ${staging}; CREATE TABLE ${staging} (key TEXT COLLATE "C" NOT NULL PRIMARY KEY, value BYTEA NOT NULL)`);
    let open = true;
    const close = (): void => {
      if (!open) throw new Error('the staging area was installed or discarded');
      open = false;
    };
    return {
      add: async (entries) => {
        if (!open) throw new Error('the staging area was installed or discarded');
        if (entries.length === 0) return;
        await run(`INSERT INTO ${staging} (key, value) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [
          entries.map((e) => e.key),
          entries.map((e) => e.value),
        ]);
      },
      install: async (ops) => {
        close();
        await this.writers.exclusive(() =>
          this.withClient(async (client) => {
            try {
              await this.beginWrite(client);
              await client.query(`DELETE FROM ${t}; INSERT INTO ${t} (key, value) SELECT key, value FROM ${staging}; DROP TABLE ${staging}`);
              for (const statement of planStatements(ops, this.sql)) await client.query(prepared(statement.text, statement.values));
              await client.query('COMMIT');
            } catch (err) {
              await client.query('ROLLBACK').catch(() => undefined);
              await client.query(`DROP TABLE IF EXISTS ${staging}`).catch(() => undefined);
              if (err instanceof NotLockHolderError) throw err;
              throw sanitize(err);
            }
          }),
        );
      },
      discard: async () => {
        if (!open) return;
        open = false;
        await run(`DROP TABLE IF EXISTS ${staging}`);
      },
    };
  }

  /** Refuses new work, lets queued writes finish, then closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writers.exclusive(() => this.pool.end());
  }

  /**
   * A REPEATABLE READ, READ ONLY transaction on a connection of its own: one snapshot of the table
   * for as long as it is open, taking no lock that writers wait for.
   */
  async consistentRead(): Promise<ConsistentRead> {
    this.assertOpen();
    const t = quoteIdentifier(this.table);
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw sanitize(err);
    }
    const onError = (err: Error): void => this.log?.warn({ error: sanitize(err).message }, 'postgresql connection lost');
    client.on('error', onError);
    const finish = async (broken: boolean): Promise<void> => {
      client.off('error', onError);
      client.release(broken);
    };
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const total = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]?.n ?? 0);
      return {
        count: async () => total,
        scan: async (after, limit) => {
          try {
            const rows =
              after === undefined
                ? await client.query<StorageEntry>(`SELECT key, value FROM ${t} ORDER BY key LIMIT $1`, [limit])
                : await client.query<StorageEntry>(`SELECT key, value FROM ${t} WHERE key > $1 ORDER BY key LIMIT $2`, [after, limit]);
            return rows.rows;
          } catch (err) {
            throw sanitize(err);
          }
        },
        release: async () => {
          const ok = await client.query('COMMIT').then(
            () => true,
            () => false,
          );
          await finish(!ok);
        },
      };
    } catch (err) {
      await finish(true);
      throw sanitize(err);
    }
  }

  private async read<T extends QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
    this.assertOpen();
    return this.withClient(async (client) => {
      try {
        return (await client.query<T>(prepared(text, values))).rows;
      } catch (err) {
        throw sanitize(err);
      }
    });
  }

  /** A pooled connection for `fn`. Beyond `maxIdleConnections` idle ones, it is closed instead of kept. */
  private async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw sanitize(err);
    }
    let broken = false;
    // A connection that breaks between two statements reports it as an event; unheard, it would end the process.
    const onError = (err: Error): void => {
      broken = true;
      this.log?.warn({ error: sanitize(err).message }, 'postgresql connection lost');
    };
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (err) {
      // A connection-level failure leaves the connection unusable; a SQL error does not.
      broken ||= !(err instanceof StorageQueryError);
      throw err;
    } finally {
      client.off('error', onError);
      const tooManyIdle = this.maxIdleConnections !== undefined && this.pool.idleCount >= this.maxIdleConnections;
      client.release(broken || tooManyIdle);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('postgresql storage is closed');
  }
}

async function checkServer(client: PoolClient, log: Logger | undefined): Promise<void> {
  const settings = await client.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN ('server_version_num', 'server_encoding', 'fsync')`,
  );
  const setting = (name: string): string | undefined => settings.rows.find((r) => r.name === name)?.setting;
  if (Number(setting('server_version_num')) < 90500) throw new Error('PostgreSQL 9.5 or newer is required');
  // Keys are compared as UTF-8 bytes; another encoding would order (or refuse) them differently.
  if (setting('server_encoding') !== 'UTF8') throw new Error(`the database encoding must be UTF8, not ${setting('server_encoding')}`);
  if (setting('fsync') !== 'on') log?.warn('postgresql runs with fsync off: acknowledged writes may be lost if its host crashes');
}

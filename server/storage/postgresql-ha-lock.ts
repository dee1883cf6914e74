import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { ensureTable, quoteIdentifier, type TableSchema } from './postgresql-schema.js';

/** The lock's row key, as Vault's core names it. */
export const HA_LOCK_KEY = 'core/lock';
/** Rows of node heartbeats (never a prefix of the lock key). */
const HA_NODE_PREFIX = 'core/node/';
/** A node is listed while its last heartbeat is younger than this many lock TTLs. */
const NODE_TTL_FACTOR = 3;
/** Lease length: a holder that stops renewing loses the lock this long after its last renewal. */
export const DEFAULT_HA_LOCK_TTL_MS = 3_000;
/** How often the holder renews (a third of the TTL: two renewals may fail before the lease runs out). */
export const DEFAULT_HA_RENEW_INTERVAL_MS = 1_000;
/** How often a node without the lock tries to take it. */
export const DEFAULT_HA_RETRY_INTERVAL_MS = 500;
/** No lock statement may wait longer than this (a holder's write transaction can delay it briefly). */
const LOCK_STATEMENT_TIMEOUT_MS = 2_000;

/**
 * Vault's `vault_ha_locks` table plus `epoch`, the fencing token: it grows by one each time the
 * lock changes hands, and is never reset (releasing only expires the row).
 */
export function haLockTableSchema(table: string): TableSchema {
  return {
    table,
    migrations: [
      (t) =>
        `CREATE TABLE IF NOT EXISTS ${t} (ha_key TEXT COLLATE "C" NOT NULL PRIMARY KEY, ha_identity TEXT COLLATE "C" NOT NULL,
           ha_value TEXT COLLATE "C", valid_until TIMESTAMPTZ NOT NULL, epoch BIGINT NOT NULL)`,
    ],
    columns: [
      { name: 'ha_key', type: 'text', collation: 'C', notNull: true },
      { name: 'ha_identity', type: 'text', collation: 'C', notNull: true },
      { name: 'ha_value', type: 'text', collation: 'C', notNull: false },
      { name: 'valid_until', type: 'timestamp with time zone', notNull: true },
      { name: 'epoch', type: 'bigint', notNull: true },
    ],
    primaryKey: 'ha_key',
  };
}

/**
 * What a holder's write transaction proves before its first statement: the lock row still names this
 * holder and epoch and has not expired. Checked with `FOR SHARE`, so no other node can take the lock
 * until that transaction ends — a write commits only while its node holds the lock.
 */
export interface WriteFence {
  /** A statement returning one row when the fence holds, none otherwise. */
  readonly text: string;
  readonly values: readonly unknown[];
}

/** The lock row as any node sees it. */
export interface HaLockHolder {
  readonly identity: string;
  /** The holder's advertisement (Ferry stores JSON: its API and cluster addresses). */
  readonly value: string | null;
  readonly epoch: number;
  /** Whether the lease is still running by the database's clock. */
  readonly isLive: boolean;
}

export interface PostgresqlHaLockOptions {
  readonly pool: pg.Pool;
  /** `ha_table`, created when missing. */
  readonly table: string;
  readonly ttlMs?: number;
  readonly logger?: Logger;
}

/**
 * The PostgreSQL HA lock: one row, a holder identity, an expiry on the database's clock (so node
 * clocks do not matter), and an epoch. Taking it is one atomic statement that succeeds only when the
 * row is missing or expired; renewing is one statement that succeeds only while this holder's lease
 * is still running. A holder that misses its renewals loses the lock for good: its next attempt
 * takes it again under a new epoch, and its old fence no longer holds.
 */
export class PostgresqlHaLock {
  private held: { identity: string; epoch: number } | undefined;
  private readonly sql: Readonly<Record<'acquire' | 'renew' | 'release' | 'holder' | 'fence' | 'heartbeat' | 'nodes', string>>;
  readonly ttlMs: number;

  private constructor(
    private readonly pool: pg.Pool,
    readonly table: string,
    ttlMs: number,
    private readonly log: Logger | undefined,
  ) {
    this.ttlMs = ttlMs;
    const t = quoteIdentifier(table);
    const expiry = `clock_timestamp() + $2::bigint * interval '1 millisecond'`;
    this.sql = {
      acquire: `INSERT INTO ${t} AS l (ha_key, ha_identity, ha_value, valid_until, epoch) VALUES ($1, $3, $4, ${expiry}, 1)
                ON CONFLICT (ha_key) DO UPDATE SET ha_identity = EXCLUDED.ha_identity, ha_value = EXCLUDED.ha_value,
                  valid_until = EXCLUDED.valid_until, epoch = l.epoch + 1
                WHERE l.valid_until < clock_timestamp()
                RETURNING epoch`,
      renew: `UPDATE ${t} SET valid_until = ${expiry}
               WHERE ha_key = $1 AND ha_identity = $3 AND epoch = $4 AND valid_until >= clock_timestamp()`,
      // Expires the row rather than deleting it, so the epoch keeps growing.
      release: `UPDATE ${t} SET valid_until = '-infinity' WHERE ha_key = $1 AND ha_identity = $2 AND epoch = $3`,
      holder: `SELECT ha_identity, ha_value, epoch, valid_until >= clock_timestamp() AS live FROM ${t} WHERE ha_key = $1`,
      // Each node's presence, for sys/ha-status: one row per node beside the lock row, epoch 0.
      heartbeat: `INSERT INTO ${t} (ha_key, ha_identity, ha_value, valid_until, epoch) VALUES ($1, $3, $4, ${expiry}, 0)
                  ON CONFLICT (ha_key) DO UPDATE SET ha_value = EXCLUDED.ha_value, valid_until = EXCLUDED.valid_until`,
      nodes: `SELECT ha_identity, ha_value, valid_until - $2::bigint * interval '1 millisecond' AS seen FROM ${t}
               WHERE ha_key LIKE $1 AND valid_until >= clock_timestamp() ORDER BY ha_identity`,
      fence: `SELECT 1 FROM ${t} WHERE ha_key = $1 AND ha_identity = $2 AND epoch = $3 AND valid_until >= clock_timestamp() FOR SHARE`,
    };
  }

  /** Creates or checks the lock table. */
  static async open(options: PostgresqlHaLockOptions): Promise<PostgresqlHaLock> {
    const log = options.logger?.child({ module: 'ha-lock' });
    const client = await options.pool.connect();
    try {
      const result = await ensureTable(client, haLockTableSchema(options.table));
      if (result.created) log?.info({ table: options.table }, 'ha lock table created');
    } finally {
      client.release();
    }
    return new PostgresqlHaLock(options.pool, options.table, options.ttlMs ?? DEFAULT_HA_LOCK_TTL_MS, log);
  }

  /**
   * One attempt to take the lock with `value` as the advertisement. Resolves true when this node
   * now holds it (under a new epoch), false when another holder's lease is still running.
   */
  async tryAcquire(value: string): Promise<boolean> {
    const identity = randomUUID();
    const { rows } = await this.query<{ epoch: string }>(this.sql.acquire, [HA_LOCK_KEY, this.ttlMs, identity, value]);
    const row = rows[0];
    if (row === undefined) return false;
    this.held = { identity, epoch: Number(row.epoch) };
    this.log?.info({ epoch: this.held.epoch }, 'ha lock acquired');
    return true;
  }

  /**
   * Extends the lease. False (and the lock is forgotten) when it had already expired or changed
   * hands; an error when the database could not be asked (the lock may still be held).
   */
  async renew(): Promise<boolean> {
    const held = this.held;
    if (held === undefined) return false;
    const { rowCount } = await this.query(this.sql.renew, [HA_LOCK_KEY, this.ttlMs, held.identity, held.epoch]);
    if (rowCount === 1) return true;
    if (this.held === held) this.held = undefined;
    this.log?.warn({ epoch: held.epoch }, 'ha lock lost');
    return false;
  }

  /** Gives the lock up now (so a standby need not wait for the lease to run out). */
  async release(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    if (held === undefined) return;
    await this.query(this.sql.release, [HA_LOCK_KEY, held.identity, held.epoch]);
    this.log?.info({ epoch: held.epoch }, 'ha lock released');
  }

  /** Forgets the lock without telling the database (after a lost connection; the lease runs out). */
  forget(): void {
    this.held = undefined;
  }

  /** Whether this node believes it holds the lock (the fence is what proves it to the database). */
  get isHeld(): boolean {
    return this.held !== undefined;
  }

  /** The epoch this node holds, if any. */
  get epoch(): number | undefined {
    return this.held?.epoch;
  }

  /** The current row, live or expired; undefined when the lock was never taken. */
  async readHolder(): Promise<HaLockHolder | undefined> {
    const { rows } = await this.query<{ ha_identity: string; ha_value: string | null; epoch: string; live: boolean }>(this.sql.holder, [HA_LOCK_KEY]);
    const row = rows[0];
    if (row === undefined) return undefined;
    return { identity: row.ha_identity, value: row.ha_value, epoch: Number(row.epoch), isLive: row.live };
  }

  /** Records that node `nodeId` (described by `value`) is up; the record lapses after a few TTLs. */
  async heartbeat(nodeId: string, value: string): Promise<void> {
    await this.query(this.sql.heartbeat, [`${HA_NODE_PREFIX}${nodeId}`, this.ttlMs * NODE_TTL_FACTOR, nodeId, value]);
  }

  /** The nodes whose heartbeat is recent, with when it was last heard. */
  async liveNodes(): Promise<{ nodeId: string; value: string | null; lastSeen: Date }[]> {
    const { rows } = await this.query<{ ha_identity: string; ha_value: string | null; seen: Date }>(this.sql.nodes, [
      `${HA_NODE_PREFIX}%`,
      this.ttlMs * NODE_TTL_FACTOR,
    ]);
    return rows.map((r) => ({ nodeId: r.ha_identity, value: r.ha_value, lastSeen: r.seen }));
  }

  /** The fence for this node's write transactions, or undefined when it does not hold the lock. */
  currentFence(): WriteFence | undefined {
    const held = this.held;
    if (held === undefined) return undefined;
    return { text: this.sql.fence, values: [HA_LOCK_KEY, held.identity, held.epoch] };
  }

  private query<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<T>> {
    return this.pool.query<T>({ text, values, query_timeout: LOCK_STATEMENT_TIMEOUT_MS } as pg.QueryConfig);
  }
}

import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';

/**
 * Tables on PostgreSQL and their migrations. Unlike Vault, Ferry creates its tables when they are
 * missing. Every table it owns has an ordered list of migrations; the versions table records, per
 * table name, how many have run (SQLite's `PRAGMA user_version`, but per table, so several stores and
 * the HA lock table can share one database).
 *
 * The HA lock table (`ha_table`) is meant to be one more `TableSchema` next to the key/value one,
 * migrated by the same `ensureTable` on the same pool.
 */
export const SCHEMA_VERSIONS_TABLE = 'ferry_schema_versions';
/** Vault's default names for the key/value and HA lock tables. */
export const DEFAULT_KV_TABLE = 'vault_kv_store';
export const DEFAULT_HA_TABLE = 'vault_ha_locks';

/** PostgreSQL's identifier limit (NAMEDATALEN - 1); longer names would be silently truncated. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Serializes schema changes between Ferry processes starting together (any constant will do). */
const SCHEMA_LOCK_ID = 0x46657272; // "Ferr"
/** The first key of Ferry's two-key advisory locks (a key space apart from one-key locks). */
const WRITER_LOCK_NAMESPACE = 0x46727279; // "Frry"

/**
 * The advisory lock writers of `table` take turns on, as `pg_advisory_xact_lock(namespace, id)`
 * arguments: the same for every process using that table name.
 */
export function writerLockKeys(table: string): readonly [number, number] {
  return [WRITER_LOCK_NAMESPACE, createHash('sha256').update(table, 'utf8').digest().readInt32BE(0)];
}

export interface ColumnLayout {
  readonly name: string;
  /** As `format_type` prints it: `text`, `bytea`, `timestamp with time zone`. */
  readonly type: string;
  /** The collation Ferry relies on, or undefined when it does not matter. */
  readonly collation?: string;
  readonly notNull: boolean;
}

export interface TableSchema {
  /** The table's unquoted name, from config. */
  readonly table: string;
  /** Ordered migrations, each given the quoted table name. Index i moves the table to version i+1. */
  readonly migrations: readonly ((quotedTable: string) => string)[];
  /** The exact columns the current version must have, in order; checked after migrating. */
  readonly columns: readonly ColumnLayout[];
  /** The single-column primary key the statements' ON CONFLICT clauses rely on. */
  readonly primaryKey: string;
}

export interface EnsureTableResult {
  /** The table did not exist and was created. */
  readonly created: boolean;
  readonly version: number;
}

/** A valid table name from config, or a message saying what is wrong with it. */
export function checkTableName(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.includes('\0')) return 'must not contain a NUL character';
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) return `must be at most ${MAX_IDENTIFIER_BYTES} bytes long`;
  return undefined;
}

/** Quotes a name as one SQL identifier (as Vault does: a dot is part of the name, not a schema). */
export function quoteIdentifier(name: string): string {
  const problem = checkTableName(name);
  if (problem !== undefined) throw new Error(`invalid table name: ${problem}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Brings `schema.table` to its newest version inside one transaction that holds a database-wide
 * advisory lock, then checks its columns. A table that exists with another layout (for example one
 * made by hand for Vault) is refused, and nothing is recorded.
 */
export async function ensureTable(client: PoolClient, schema: TableSchema): Promise<EnsureTableResult> {
  const quoted = quoteIdentifier(schema.table);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_ID]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(SCHEMA_VERSIONS_TABLE)} (table_name TEXT COLLATE "C" PRIMARY KEY, version INTEGER NOT NULL)`,
    );
    const existed = (await client.query<{ oid: string | null }>('SELECT to_regclass($1)::oid AS oid', [quoted])).rows[0]?.oid != null;
    const row = (await client.query<{ version: number }>(`SELECT version FROM ${quoteIdentifier(SCHEMA_VERSIONS_TABLE)} WHERE table_name = $1`, [schema.table]))
      .rows[0];
    const current = row?.version ?? 0;
    if (current > schema.migrations.length) {
      throw new Error(`table ${quoted}: schema version ${current} is newer than this server understands (${schema.migrations.length})`);
    }
    for (let version = current; version < schema.migrations.length; version++) {
      await client.query((schema.migrations[version] as (quotedTable: string) => string)(quoted));
    }
    await checkLayout(client, quoted, schema);
    await client.query(
      `INSERT INTO ${quoteIdentifier(SCHEMA_VERSIONS_TABLE)} (table_name, version) VALUES ($1, $2)
       ON CONFLICT (table_name) DO UPDATE SET version = EXCLUDED.version`,
      [schema.table, schema.migrations.length],
    );
    await client.query('COMMIT');
    return { created: !existed, version: schema.migrations.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

interface AttributeRow {
  name: string;
  type: string;
  collation: string | null;
  not_null: boolean;
}

async function checkLayout(client: PoolClient, quoted: string, schema: TableSchema): Promise<void> {
  const expected = schema.columns;
  const { rows } = await client.query<AttributeRow>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, c.collname AS collation, a.attnotnull AS not_null
       FROM pg_attribute a LEFT JOIN pg_collation c ON c.oid = a.attcollation
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [quoted],
  );
  const describe = (cols: readonly { name: string; type: string }[]): string => cols.map((c) => `${c.name} ${c.type}`).join(', ');
  const matches =
    rows.length === expected.length &&
    expected.every((want, i) => {
      const got = rows[i] as AttributeRow;
      return (
        got.name === want.name && got.type === want.type && got.not_null === want.notNull && (want.collation === undefined || got.collation === want.collation)
      );
    });
  const key = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = $1::regclass AND i.indisprimary`,
    [quoted],
  );
  const hasKey = key.rows.length === 1 && key.rows[0]?.name === schema.primaryKey;
  if (!matches || !hasKey) {
    throw new Error(
      `table ${quoted} exists with columns (${describe(rows)})${hasKey ? '' : ' and no primary key on ' + schema.primaryKey}, ` +
        `not the layout Ferry uses (${describe(expected)}, primary key ${schema.primaryKey}); choose another table name or remove that table`,
    );
  }
}

import { expect } from 'chai';
import { Writable } from 'node:stream';
import pino from 'pino';
import { PostgresqlBackend } from '../../../server/storage/postgresql-backend.js';
import { checkTableName, quoteIdentifier, SCHEMA_VERSIONS_TABLE, writerLockKeys } from '../../../server/storage/postgresql-schema.js';
import { sharedPostgresCluster, type PostgresCluster, type PostgresDatabase } from '../../helpers/postgres-cluster.js';

/** A pino logger whose lines are kept as parsed objects. */
function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[]; text: () => string } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'info' }, stream);
  return {
    logger,
    get lines() {
      return raw
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}

describe('postgresql-schema', () => {
  describe('table names', () => {
    it('quotes a name as one identifier, doubling quotes (a dot stays part of the name)', () => {
      expect(quoteIdentifier('vault_kv_store')).to.equal('"vault_kv_store"');
      expect(quoteIdentifier('a"b.c')).to.equal('"a""b.c"');
    });

    it('refuses names PostgreSQL would truncate or cannot hold', () => {
      expect(checkTableName('t'.repeat(63))).to.equal(undefined);
      expect(checkTableName('t'.repeat(64))).to.equal('must be at most 63 bytes long');
      expect(checkTableName('é'.repeat(32))).to.equal('must be at most 63 bytes long');
      expect(checkTableName('')).to.equal('must not be empty');
      expect(checkTableName('a\0b')).to.equal('must not contain a NUL character');
      expect(() => quoteIdentifier('')).to.throw('invalid table name: must not be empty');
    });

    it('gives every process the same writer lock for a table name, and different tables different ones', () => {
      expect(writerLockKeys('vault_kv_store')).to.deep.equal(writerLockKeys('vault_kv_store'));
      expect(writerLockKeys('vault_kv_store')[1]).to.not.equal(writerLockKeys('other_store')[1]);
    });
  });

  describe('on a real PostgreSQL', function () {
    this.timeout(120_000);
    let cluster: PostgresCluster;
    let db: PostgresDatabase;
    const columnsOf = (table: string) =>
      cluster.query<{ name: string; type: string; collation: string | null; not_null: boolean }>(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, c.collname AS collation, a.attnotnull AS not_null
           FROM pg_attribute a LEFT JOIN pg_collation c ON c.oid = a.attcollation
          WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [quoteIdentifier(table)],
        db.name,
      );
    const versionOf = async (table: string): Promise<number | undefined> =>
      (await cluster.query<{ version: number }>(`SELECT version FROM ${SCHEMA_VERSIONS_TABLE} WHERE table_name = $1`, [table], db.name))[0]?.version;
    const tableExists = async (table: string): Promise<boolean> =>
      (await cluster.query<{ oid: string | null }>('SELECT to_regclass($1)::oid AS oid', [quoteIdentifier(table)], db.name))[0]?.oid != null;

    before(async () => {
      cluster = await sharedPostgresCluster();
      db = await cluster.createDatabase();
    });

    it('creates the table on first start, says so in the log once, and never logs the password', async () => {
      const first = capturingLogger();
      await (await PostgresqlBackend.open({ connectionUrl: db.url, logger: first.logger })).close();
      expect(await columnsOf('vault_kv_store')).to.deep.equal([
        { name: 'key', type: 'text', collation: 'C', not_null: true },
        { name: 'value', type: 'bytea', collation: null, not_null: true },
      ]);
      expect(await versionOf('vault_kv_store')).to.equal(1);
      const created = first.lines.filter((l) => l.msg === 'storage table created');
      expect(created).to.have.length(1);
      expect(created[0]).to.include({ table: 'vault_kv_store', host: '127.0.0.1', port: cluster.port, database: db.name, user: db.user });
      expect(first.lines.some((l) => l.msg === 'postgresql storage opened')).to.equal(true);

      const second = capturingLogger();
      await (await PostgresqlBackend.open({ connectionUrl: db.url, logger: second.logger })).close();
      expect(second.lines.filter((l) => l.msg === 'storage table created')).to.deep.equal([]);
      expect(await versionOf('vault_kv_store')).to.equal(1);
      expect(first.text() + second.text()).to.not.include(db.password);
    });

    it('creates a table under exactly the configured name, quotes and dots included', async () => {
      const table = 'Ferry "KV".store';
      const backend = await PostgresqlBackend.open({ connectionUrl: db.url, table });
      try {
        await backend.put('a', Buffer.from('1'));
        expect(await tableExists(table)).to.equal(true);
        expect((await cluster.query(`SELECT key FROM ${quoteIdentifier(table)}`, [], db.name)).map((r) => r.key)).to.deep.equal(['a']);
      } finally {
        await backend.close();
      }
    });

    it('lets several servers start together on an empty database', async () => {
      const fresh = await cluster.createDatabase();
      const backends = await Promise.all(Array.from({ length: 4 }, () => PostgresqlBackend.open({ connectionUrl: fresh.url, table: 'together' })));
      try {
        await Promise.all(backends.map((b, i) => b.put(`from/${i}`, Buffer.from(String(i)))));
        expect(await (backends[0] as PostgresqlBackend).list('from/')).to.deep.equal(['0', '1', '2', '3']);
      } finally {
        await Promise.all(backends.map((b) => b.close()));
      }
    });

    it("refuses a table with another layout (Vault's documented schema) and records nothing", async () => {
      const table = 'vault_made';
      await cluster.query(
        `CREATE TABLE ${table} (parent_path TEXT COLLATE "C" NOT NULL, path TEXT COLLATE "C", key TEXT COLLATE "C", value BYTEA,
           CONSTRAINT pkey PRIMARY KEY (path, key))`,
        [],
        db.name,
      );
      await cluster.query(`ALTER TABLE ${table} OWNER TO ${db.user}`, [], db.name);
      const failure = await PostgresqlBackend.open({ connectionUrl: db.url, table }).catch((err: unknown) => err);
      expect(failure).to.be.instanceOf(Error);
      expect((failure as Error).message).to.match(/^postgresql: table "vault_made" exists with columns \(parent_path text, path text, key text, value bytea\)/);
      expect((failure as Error).message).to.include('choose another table name or remove that table');
      expect(await versionOf(table)).to.equal(undefined);
    });

    it('refuses a key column without the byte-order collation', async () => {
      const table = 'wrong_collation';
      await cluster.query(`CREATE TABLE ${table} (key TEXT COLLATE "POSIX" NOT NULL PRIMARY KEY, value BYTEA NOT NULL)`, [], db.name);
      await cluster.query(`ALTER TABLE ${table} OWNER TO ${db.user}`, [], db.name);
      const failure = await PostgresqlBackend.open({ connectionUrl: db.url, table }).catch((err: unknown) => err);
      expect((failure as Error).message).to.match(/not the layout Ferry uses/);
    });

    it('refuses a table whose schema version is newer than this server understands', async () => {
      const table = 'from_the_future';
      await (await PostgresqlBackend.open({ connectionUrl: db.url, table })).close();
      await cluster.query(`UPDATE ${SCHEMA_VERSIONS_TABLE} SET version = 999 WHERE table_name = $1`, [table], db.name);
      const failure = await PostgresqlBackend.open({ connectionUrl: db.url, table }).catch((err: unknown) => err);
      expect((failure as Error).message).to.equal(`postgresql: table "from_the_future": schema version 999 is newer than this server understands (1)`);
    });
  });
});

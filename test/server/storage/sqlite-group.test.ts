import { expect } from 'chai';
import sqlite3 from 'sqlite3';
import type { StorageOp } from '../../../server/storage/backend.js';
import { opStatements, SqliteGroup, type SqliteWriter } from '../../../server/storage/sqlite-group.js';

/** A real in-memory SQLite connection that records each statement the group sends it. */
async function recordingWriter(): Promise<{ writer: SqliteWriter; sent: string[]; keys: () => Promise<string[]>; close: () => Promise<void> }> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const opened = new sqlite3.Database(':memory:', (err) => (err ? reject(err) : resolve(opened)));
  });
  const exec = (sql: string) => new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
  const run = (sql: string, params: unknown[]) => new Promise<void>((resolve, reject) => db.run(sql, params, (err) => (err ? reject(err) : resolve())));
  await exec('CREATE TABLE entries (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL)');
  const sent: string[] = [];
  const writer: SqliteWriter = {
    exec: async (sql) => {
      sent.push(sql);
      await exec(sql);
    },
    apply: async (ops) => {
      for (const statement of opStatements(ops)) {
        if (statement.kind === 'upsert') {
          sent.push(`upsert ${statement.rows.length}`);
          await run(
            `INSERT INTO entries (key, value) VALUES ${statement.rows.map(() => '(?, ?)').join(', ')} ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
            statement.rows.flatMap((r) => [r.key, r.value]),
          );
        } else {
          sent.push('delete');
          await run('DELETE FROM entries WHERE key = ?', [statement.op.op === 'delete' ? statement.op.key : statement.op.prefix]);
        }
      }
    },
  };
  const keys = () =>
    new Promise<string[]>((resolve, reject) =>
      db.all('SELECT key FROM entries ORDER BY key', (err, rows: { key: string }[]) => (err ? reject(err) : resolve(rows.map((r) => r.key)))),
    );
  return { writer, sent, keys, close: () => new Promise<void>((resolve) => db.close(() => resolve())) };
}

const put = (key: string): StorageOp => ({ op: 'put', key, value: Buffer.from('v') });

describe('SqliteGroup', () => {
  it('runs a group of puts that fits one upsert as one statement, without BEGIN and COMMIT', async () => {
    const { writer, sent, keys, close } = await recordingWriter();
    try {
      await new SqliteGroup(writer).run((session) => session.apply([put('a'), put('b'), put('a')]));
      expect(sent).to.deep.equal(['upsert 3']);
      expect(await keys()).to.deep.equal(['a', 'b']);
    } finally {
      await close();
    }
  });

  it('wraps a group of several statements in one transaction', async () => {
    const { writer, sent, keys, close } = await recordingWriter();
    try {
      await new SqliteGroup(writer).run((session) => session.apply([put('a'), { op: 'delete', key: 'a' }, put('b')]));
      expect(sent).to.deep.equal(['BEGIN IMMEDIATE', 'upsert 1', 'delete', 'upsert 1', 'COMMIT']);
      expect(await keys()).to.deep.equal(['b']);
    } finally {
      await close();
    }
  });

  it('rolls back every statement of a multi-statement group when one fails', async () => {
    const { writer, sent, keys, close } = await recordingWriter();
    const invalid = { op: 'put', key: 'bad', value: null } as unknown as StorageOp;
    try {
      const group = new SqliteGroup(writer).run((session) => session.apply([put('a'), { op: 'delete', key: 'x' }, invalid]));
      await group.then(
        () => expect.fail('the group committed'),
        (err: unknown) => expect(String(err)).to.match(/NOT NULL/),
      );
      expect(sent.at(-1)).to.equal('ROLLBACK');
      expect(await keys()).to.deep.equal([]);
    } finally {
      await close();
    }
  });

  it('opens the transaction before the first savepoint, and refuses more after a one-statement commit', async () => {
    const { writer, sent, close } = await recordingWriter();
    try {
      await new SqliteGroup(writer).run(async (session) => {
        await session.savepoint();
        await session.apply([put('a')]);
        await session.releaseSavepoint();
      });
      expect(sent).to.deep.equal(['BEGIN IMMEDIATE', 'SAVEPOINT write', 'upsert 1', 'RELEASE write', 'COMMIT']);
      const twice = new SqliteGroup(writer).run(async (session) => {
        await session.apply([put('b')]);
        await session.apply([put('c')]);
      });
      await twice.then(
        () => expect.fail('a second statement joined a committed group'),
        (err: unknown) => expect(String(err)).to.match(/one statement/),
      );
    } finally {
      await close();
    }
  });
});

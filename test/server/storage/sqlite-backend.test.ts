import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageOp } from '../../../server/storage/backend.js';
import { SqliteBackend } from '../../../server/storage/sqlite-backend.js';
import { querySqliteFile } from '../../helpers/sqlite-file.js';
import { describeStorageContract, INVALID_PUT } from './contract.js';

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');

let tempDir: string;
let counter = 0;
before(() => {
  tempDir = mkdtempSync(join(tmpdir(), 'ferry-sqlite-test-'));
});
after(() => rmSync(tempDir, { recursive: true, force: true }));

function freshPath(): string {
  return join(tempDir, `store-${++counter}.db`);
}

describeStorageContract('SqliteBackend', () => SqliteBackend.open({ path: freshPath() }));

describe('SqliteBackend', () => {
  it('commits one transaction of 300,000 ops (a secondary bootstrap of a large keyspace is one write)', async () => {
    const store = await SqliteBackend.open({ path: freshPath() });
    try {
      const ops = Array.from({ length: 300_000 }, (_, i): StorageOp => ({ op: 'put', key: `logical/m/${i}`, value: buf('v') }));
      await store.transaction(ops);
      expect((await store.scan('logical/m/')).length).to.equal(300_000);
    } finally {
      await store.close();
    }
  });

  it('removes a staging area left behind (an interrupted bootstrap) when the file is opened again, live keys untouched', async () => {
    const path = freshPath();
    const first = await SqliteBackend.open({ path });
    await first.put('live', buf('kept'));
    const area = await first.beginStaging();
    await area.add([{ key: 'staged', value: buf('never-live') }]);
    // Closed with the area neither installed nor discarded: on disk as after a kill -9 mid-bootstrap.
    await first.close();
    const tables = (): Promise<string[]> =>
      querySqliteFile<{ name: string }>(path, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).then((rows) => rows.map((r) => r.name));
    expect(await tables()).to.deep.equal(['entries', 'entries_staging']);
    const second = await SqliteBackend.open({ path });
    try {
      expect(await tables()).to.deep.equal(['entries']);
      expect((await second.scan('')).map((e) => [e.key, e.value.toString()])).to.deep.equal([['live', 'kept']]);
    } finally {
      await second.close();
    }
  });

  it('keeps an installed staging area across close and reopen, under the live table name', async () => {
    const path = freshPath();
    const first = await SqliteBackend.open({ path });
    await first.put('old', buf('gone'));
    const area = await first.beginStaging();
    await area.add([{ key: 'new', value: buf('1') }]);
    await area.install([{ op: 'put', key: 'state', value: buf('2') }]);
    await first.close();
    const second = await SqliteBackend.open({ path });
    try {
      expect((await second.scan('')).map((e) => [e.key, e.value.toString()])).to.deep.equal([
        ['new', '1'],
        ['state', '2'],
      ]);
      const tables = await querySqliteFile<{ name: string }>(path, `SELECT name FROM sqlite_master WHERE type = 'table'`);
      expect(tables.map((t) => t.name)).to.deep.equal(['entries']);
    } finally {
      await second.close();
    }
  });

  it('keeps every write across close and reopen', async () => {
    const path = freshPath();
    const first = await SqliteBackend.open({ path });
    await first.put('a', buf('1'));
    await first.transaction([
      { op: 'put', key: 'b/c', value: buf('2') },
      { op: 'put', key: 'b/d', value: buf('3') },
    ]);
    await first.close();
    const second = await SqliteBackend.open({ path });
    try {
      expect((await second.scan('')).map((e) => [e.key, e.value.toString()])).to.deep.equal([
        ['a', '1'],
        ['b/c', '2'],
        ['b/d', '3'],
      ]);
    } finally {
      await second.close();
    }
  });

  it('rejects operations after close and leaves the file as it was', async () => {
    const path = freshPath();
    const backend = await SqliteBackend.open({ path });
    await backend.put('k', buf('before'));
    await backend.close();
    let failure: unknown;
    await backend.transaction([{ op: 'put', key: 'k', value: buf('after') }]).catch((err: unknown) => (failure = err));
    expect(failure, 'a write after close must reject').to.be.instanceOf(Error);
    const reopened = await SqliteBackend.open({ path });
    try {
      expect((await reopened.get('k'))?.toString()).to.equal('before');
    } finally {
      await reopened.close();
    }
  });

  it('runs the schema migrations once and records them in PRAGMA user_version', async () => {
    const path = freshPath();
    await (await SqliteBackend.open({ path })).close();
    const [first] = await querySqliteFile<{ user_version: number }>(path, 'PRAGMA user_version');
    expect(first?.user_version).to.be.greaterThan(0);
    const tables = await querySqliteFile<{ name: string }>(path, "SELECT name FROM sqlite_master WHERE type = 'table'");
    expect(tables.map((t) => t.name)).to.include('entries');
    await (await SqliteBackend.open({ path })).close();
    const [second] = await querySqliteFile<{ user_version: number }>(path, 'PRAGMA user_version');
    expect(second?.user_version).to.equal(first?.user_version);
  });

  it('uses the WAL journal', async () => {
    const path = freshPath();
    await (await SqliteBackend.open({ path })).close();
    const [mode] = await querySqliteFile<{ journal_mode: string }>(path, 'PRAGMA journal_mode');
    expect(mode?.journal_mode).to.equal('wal');
  });

  it('refuses a database whose schema is newer than this server understands', async () => {
    const path = freshPath();
    await (await SqliteBackend.open({ path })).close();
    await querySqliteFile(path, 'PRAGMA user_version = 999');
    let failure: unknown;
    await SqliteBackend.open({ path }).catch((err: unknown) => (failure = err));
    expect(failure).to.be.instanceOf(Error);
    expect((failure as Error).message).to.match(/schema version 999/);
  });

  // Regression: the reused read statement was left open after `get`, which kept the reader's read
  // transaction and its snapshot alive: a list after a later write or delete-prefix showed stale keys.
  it('sees every committed write in list and scan after a get (no stale read snapshot)', async () => {
    const backend = await SqliteBackend.open({ path: freshPath() });
    try {
      await backend.put('p/a', Buffer.from('1'));
      await backend.put('p/x/y', Buffer.from('2'));
      expect((await backend.get('p/a'))?.toString()).to.equal('1');
      await backend.transaction([{ op: 'delete-prefix', prefix: 'p/x/' }]);
      await backend.put('p/b', Buffer.from('3'));
      expect(await backend.list('p/')).to.deep.equal(['a', 'b']);
      expect((await backend.scan('p/')).map((e) => e.key)).to.deep.equal(['p/a', 'p/b']);
    } finally {
      await backend.close();
    }
  });

  it('answers many concurrent reads of different keys, each with its own value (one reused read statement)', async () => {
    const backend = await SqliteBackend.open({ path: freshPath() });
    try {
      await backend.transaction(Array.from({ length: 300 }, (_, i) => ({ op: 'put', key: `r/k${i}`, value: buf(`v${i}`) }) as const));
      const got = await Promise.all(Array.from({ length: 1200 }, (_, j) => backend.get(`r/k${j % 400}`)));
      got.forEach((value, j) => expect(value?.toString(), `read ${j}`).to.equal(j % 400 < 300 ? `v${j % 400}` : undefined));
    } finally {
      await backend.close();
    }
  });

  it('commits N concurrent puts in fewer than N transactions (group commit), every one durable after reopen', async () => {
    const path = freshPath();
    const backend = await SqliteBackend.open({ path });
    const writes = 100;
    const before = backend.commitStats;
    await Promise.all(Array.from({ length: writes }, (_, i) => backend.put(`group/k${i}`, buf(`v${i}`))));
    const after = backend.commitStats;
    await backend.close();
    expect(after.writes - before.writes).to.equal(writes);
    expect(after.groups - before.groups, 'transactions (fsyncs) for 100 concurrent puts').to.be.lessThan(writes / 4);
    const reopened = await SqliteBackend.open({ path });
    try {
      expect(await reopened.scan('group/')).to.have.length(writes);
    } finally {
      await reopened.close();
    }
  });

  it('hammered by 50 concurrent writers, shows every transaction whole and loses none', async function () {
    this.timeout(60_000);
    const backend = await SqliteBackend.open({ path: freshPath() });
    const writers = 50;
    const keysPerTx = 6;
    const failingWriters = new Set([7, 21, 42]);
    let snapshotsChecked = 0;
    let stopReading = false;
    try {
      // Readers watch the shared keys during the hammer: a committed snapshot never mixes writers.
      const reader = (async () => {
        while (!stopReading) {
          const values = new Set((await backend.scan('hammer/shared/')).map((e) => e.value.toString()));
          expect(values.size, `a reader saw a mixed snapshot: ${[...values].join(',')}`).to.be.at.most(1);
          snapshotsChecked++;
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const results = await Promise.allSettled(
        Array.from({ length: writers }, (_, id) => {
          const ops: StorageOp[] = [];
          for (let j = 0; j < keysPerTx; j++) {
            ops.push({ op: 'put', key: `hammer/shared/k${j}`, value: buf(`w${id}`) });
            ops.push({ op: 'put', key: `hammer/own/w${id}/k${j}`, value: buf(`w${id}`) });
            if (failingWriters.has(id) && j === keysPerTx - 2) ops.push(INVALID_PUT);
          }
          return backend.transaction(ops);
        }),
      );
      stopReading = true;
      await reader;

      results.forEach((r, id) => expect(r.status, `writer ${id}`).to.equal(failingWriters.has(id) ? 'rejected' : 'fulfilled'));
      const shared = new Set((await backend.scan('hammer/shared/')).map((e) => e.value.toString()));
      expect(shared.size).to.equal(1);
      const winner = [...shared][0] as string;
      expect(failingWriters.has(Number(winner.slice(1))), 'a rolled-back writer must not win').to.equal(false);
      for (let id = 0; id < writers; id++) {
        const own = await backend.scan(`hammer/own/w${id}/`);
        const expected = failingWriters.has(id) ? 0 : keysPerTx;
        expect(own.length, `writer ${id} keys`).to.equal(expected);
        for (const e of own) expect(e.value.toString()).to.equal(`w${id}`);
      }
      expect(snapshotsChecked).to.be.greaterThan(0);
    } finally {
      stopReading = true;
      await backend.close();
    }
  });
});

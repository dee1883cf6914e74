import { expect } from 'chai';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { querySqliteFile } from '../helpers/sqlite-file.js';
import { startSqliteServer, type ServerHandle } from '../helpers/test-cluster.js';

/**
 * A `kill -9` that lands as the background checkpointer starts copying the WAL into the database
 * file (the file's first write of a checkpoint, seen by polling its modification time every
 * millisecond) loses no acknowledged write and leaves a file that passes SQLite's integrity check.
 */
describe('durability across kill -9 in the middle of a WAL checkpoint (SQLite)', function () {
  this.timeout(120_000);

  const WRITERS = 10;
  const WATCH_AFTER_ACKS = 300;
  let server: ServerHandle;
  const acknowledged: string[] = [];
  const inFlight = new Set<string>();
  let sawCheckpoint = false;
  const value = (key: string): string => `${key}:${'v'.repeat(900)}`;

  before(async () => {
    server = await startSqliteServer();
    const mount = await server.request('POST', 'sys/mounts/cp', { body: { type: 'kv' } });
    expect(mount.status, mount.text).to.be.oneOf([200, 204]);
    const dbPath = join(server.dataDir, 'ferry.db');
    const stamp = (): string => {
      const s = statSync(dbPath, { bigint: true });
      return `${s.mtimeNs}/${s.size}`;
    };
    let killed: Promise<void> | undefined;
    let watching: Promise<void> | undefined;
    const watch = async (): Promise<void> => {
      const first = stamp();
      const deadline = Date.now() + 30_000;
      while (killed === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1));
        if (stamp() !== first) {
          sawCheckpoint = true;
          killed = server.kill9();
        }
      }
      killed ??= server.kill9();
    };
    const writer = async (id: number): Promise<void> => {
      for (let seq = 0; killed === undefined; seq++) {
        const key = `w${id}-s${seq}`;
        inFlight.add(key);
        try {
          const res = await server.request('PUT', `cp/${key}`, { body: { v: value(key) } });
          if (res.status !== 204 && res.status !== 200) throw new Error(`write ${key} answered ${res.status}: ${res.text}`);
          inFlight.delete(key);
          acknowledged.push(key);
          if (acknowledged.length === WATCH_AFTER_ACKS) watching = watch();
        } catch (err) {
          if (killed === undefined) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, id) => writer(id)));
    await watching;
    await killed;
    expect(server.logs(), 'the server must die without a graceful shutdown').to.not.include('shutting down');
    await server.restart();
  });

  after(async () => {
    await server?.stop();
  });

  it('killed the server as a checkpoint wrote the database file, with writes in flight', () => {
    expect(sawCheckpoint, 'a checkpoint started while the writers ran').to.equal(true);
    expect(acknowledged.length).to.be.greaterThan(WATCH_AFTER_ACKS);
  });

  it('loses no acknowledged write, and in-flight ones are whole or absent', async () => {
    const lost: string[] = [];
    for (const key of acknowledged) {
      const res = await server.request('GET', `cp/${key}`);
      if (res.status !== 200 || res.body.data.v !== value(key)) lost.push(`${key}: ${res.status}`);
    }
    expect(lost, 'acknowledged writes missing or wrong after restart').to.deep.equal([]);
    for (const key of inFlight) {
      const res = await server.request('GET', `cp/${key}`);
      if (res.status === 200) expect(res.body.data.v).to.equal(value(key));
      else expect(res.status).to.equal(404);
    }
  });

  it('leaves a database file that passes SQLite integrity check', async () => {
    const rows = await querySqliteFile<{ integrity_check: string }>(join(server.dataDir, 'ferry.db'), 'PRAGMA integrity_check');
    expect(rows.map((r) => r.integrity_check)).to.deep.equal(['ok']);
  });
});

import { join } from 'node:path';
import { expect } from 'chai';
import { SqliteBackend } from '../../server/storage/sqlite-backend.js';
import { WAL_PREFIX } from '../../server/replication/wal-storage.js';
import { decodeWalEntry } from '../../server/replication/wal-entry.js';
import { startSqliteServer, waitFor, type ServerHandle } from '../helpers/test-cluster.js';
import { activateSecondary } from '../helpers/secondary-activation.js';

/**
 * An asynchronous secondary commits what it applies from the primary without waiting for an fsync
 * (SQLite `synchronous=NORMAL` for those commits): its position (`last_remote_wal`) commits with
 * the data of the entries up to it, so whatever survives must be exactly the primary's history up
 * to that position. `kill -9` of the secondary while a writer puts and deletes keys on the primary;
 * then, with both processes down or dead, read the files themselves: the secondary's keys and
 * values equal the primary's WAL replayed up to the index the secondary resumes from after its
 * restart (nothing lost below it, nothing beyond it). After the restart it resumes from exactly
 * the next index and converges to the primary's storage, byte for byte.
 */
describe('secondary kill -9 under load: storage holds exactly what its persisted WAL index says', function () {
  this.timeout(180_000);

  const MOUNT = 'probe';
  const KEY_MARK = '/crashprobe-';
  let primary: ServerHandle;
  let secondary: ServerHandle;

  async function status(server: ServerHandle): Promise<Record<string, any>> {
    const res = await server.request('GET', 'sys/replication/status', { token: null });
    expect(res.status, res.text).to.equal(200);
    return res.body.data as Record<string, any>;
  }

  /** Every stored probe entry (key → ciphertext, hex) of a server's SQLite file, read with the server down. */
  async function storedProbes(server: ServerHandle): Promise<Map<string, string>> {
    const db = await SqliteBackend.open({ path: join(server.dataDir, 'ferry.db') });
    try {
      const rows = await db.scan('logical/');
      return new Map(rows.filter((r) => r.key.includes(KEY_MARK)).map((r) => [r.key, r.value.toString('hex')]));
    } finally {
      await db.close();
    }
  }

  /** The primary's WAL entries (index → probe ops), read from its file with it down. */
  async function primaryWal(): Promise<Map<number, { op: string; key: string; value?: Buffer }[]>> {
    const db = await SqliteBackend.open({ path: join(primary.dataDir, 'ferry.db') });
    try {
      const out = new Map<number, { op: string; key: string; value?: Buffer }[]>();
      for (const row of await db.scan(WAL_PREFIX)) {
        const entry = decodeWalEntry(row.value);
        const ops = entry.ops.flatMap((op) => (op.op !== 'delete-prefix' && op.key.includes(KEY_MARK) ? [op] : []));
        out.set(entry.index, ops);
      }
      return out;
    } finally {
      await db.close();
    }
  }

  /** Replays the primary's WAL up to `index` over the probe keys. */
  function replay(wal: Map<number, { op: string; key: string; value?: Buffer }[]>, index: number): Map<string, string> {
    const state = new Map<string, string>();
    for (const i of [...wal.keys()].sort((a, b) => a - b)) {
      if (i > index) break;
      for (const op of wal.get(i) ?? []) {
        if (op.op === 'put') state.set(op.key, (op.value ?? Buffer.alloc(0)).toString('hex'));
        else if (op.op === 'delete') state.delete(op.key);
      }
    }
    return state;
  }

  /** The `from` of each "streaming from the primary" log line of the secondary, in order. */
  function streamStarts(): number[] {
    const out: number[] = [];
    for (const line of secondary.logs().split('\n')) {
      const from = /streaming from the primary:.* from=(\d+)/.exec(line)?.[1];
      if (from !== undefined) out.push(Number(from));
    }
    return out;
  }

  before(async () => {
    [primary, secondary] = await Promise.all([startSqliteServer(), startSqliteServer()]);
    for (const [path, body] of [
      [`sys/mounts/${MOUNT}`, { type: 'kv' }],
      ['sys/replication/primary/enable', {}],
    ] as const) {
      const res = await primary.request('POST', path, { body });
      expect(res.status, `${path}: ${res.text}`).to.be.within(200, 204);
    }
    await activateSecondary(primary, secondary, 'dc2');
  });

  after(async () => {
    await Promise.all([primary?.stop(), secondary?.stop()]);
  });

  it('keeps data and position together across kill -9, resumes at the next index and converges byte for byte', async () => {
    // Two writers of puts and deletes (a delete replayed out of place, or a put applied twice after
    // its delete, would show): keys are unique per writer; every third op deletes an earlier key.
    let acks = 0;
    let stopping = false;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stopping; i++) {
        const res =
          i % 3 === 2
            ? await primary.request('DELETE', `${MOUNT}/crashprobe-${w}-${i - 2}`)
            : await primary.request('POST', `${MOUNT}/crashprobe-${w}-${i}`, { body: { v: `${w}-${i}-${Math.random()}` } });
        expect(res.status, res.text).to.be.within(200, 204);
        acks++;
      }
    };
    const writers = [writer(0), writer(1)];
    await waitFor(async () => acks >= 150, { timeoutMs: 60_000, intervalMs: 5, description: '150 acknowledged writes' });
    await secondary.kill9();
    const killedAt = acks;
    await waitFor(async () => acks >= killedAt + 100, { timeoutMs: 60_000, intervalMs: 5, description: '100 more writes with the secondary down' });
    stopping = true;
    await Promise.all(writers);

    const onDisk = await storedProbes(secondary);
    const startsBefore = streamStarts().length;
    await secondary.restart();
    await waitFor(async () => streamStarts().length > startsBefore, { timeoutMs: 30_000, description: 'the restarted secondary to stream' });
    const resumedFrom = streamStarts()[startsBefore] as number;
    const persisted = resumedFrom - 1;

    const target = (await status(primary)).last_wal as number;
    await waitFor(
      async () => {
        const [p, s] = await Promise.all([status(primary), status(secondary)]);
        return s.state === 'stream-wals' && s.last_remote_wal >= target && s.merkle_root === p.merkle_root;
      },
      { timeoutMs: 30_000, description: 'the secondary to converge' },
    );
    await Promise.all([primary.stop(), secondary.stop()]);

    const wal = await primaryWal();
    const firstProbe = Math.min(...[...wal].filter(([, ops]) => ops.length > 0).map(([i]) => i));
    expect(persisted, 'the secondary applied some of the load before the kill').to.be.at.least(firstProbe);
    expect(persisted, 'the secondary was killed behind the primary').to.be.below(target);
    // Exactly the primary's history up to the persisted position: nothing lost, nothing beyond.
    expect([...onDisk].sort(), `secondary storage after kill -9 vs the primary's WAL replayed to ${persisted}`).to.deep.equal(
      [...replay(wal, persisted)].sort(),
    );
    // After resuming from the next index: the primary's storage, byte for byte.
    const [primaryProbes, secondaryProbes] = await Promise.all([storedProbes(primary), storedProbes(secondary)]);
    expect(primaryProbes.size, 'probe keys left after the deletes').to.be.greaterThan(50);
    expect([...secondaryProbes].sort()).to.deep.equal([...primaryProbes].sort());
    expect([...replay(wal, target)].sort()).to.deep.equal([...primaryProbes].sort());
    console.log(
      `      ${acks} writes; secondary killed after ${killedAt}, persisted WAL index ${persisted} (${onDisk.size} probe keys), primary last_wal ${target}`,
    );
  });
});

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StagedWrite, StorageBackend, StorageOp } from '../../../server/storage/backend.js';
import { SqliteBackend } from '../../../server/storage/sqlite-backend.js';
import { DR_KEYSET, performanceKeyset } from '../../../server/replication/keyset.js';
import { WAL_PREFIX, WalStorage, walKey } from '../../../server/replication/wal-storage.js';
import { decodeWalEntry, encodeWalEntry, isJsonWalEntry, withoutDigests } from '../../../server/replication/wal-entry.js';
import { leafDigest } from '../../../server/replication/merkle-index.js';

describe('WalStorage', () => {
  let dir: string;
  let sqlite: SqliteBackend;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-wal-'));
    sqlite = await SqliteBackend.open({ path: join(dir, 'db') });
  });
  afterEach(async () => {
    await sqlite.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('on a primary, records each write that can travel and its WAL entry in one transaction (bookkeeping stays out)', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('primary', 3);
    await wal.transaction([
      { op: 'put', key: 'core/policy/a', value: Buffer.from('A') },
      { op: 'put', key: 'local/token/id/x', value: Buffer.from('T') },
      { op: 'put', key: 'local/core/cluster/info', value: Buffer.from('I') },
    ]);
    expect(wal.lastWal).to.equal(1);
    const [entry] = await wal.readWal(0, 10);
    expect(entry?.epoch).to.equal(3);
    // The token travels too (to DR secondaries; the stream leaves it out for performance ones); the cluster's identity never.
    // Each put carries its Merkle digests, for secondaries to index it without hashing again.
    expect(entry?.ops).to.deep.equal([
      { op: 'put', key: 'core/policy/a', value: Buffer.from('A'), digest: leafDigest('core/policy/a', Buffer.from('A')) },
      { op: 'put', key: 'local/token/id/x', value: Buffer.from('T'), digest: leafDigest('local/token/id/x', Buffer.from('T')) },
    ]);
    expect(await sqlite.get(walKey(1))).to.not.equal(undefined);
  });

  it("gives a write's WAL entry the epoch in force at its turn in the commit group, not at its submission (the entry is encoded early)", async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('primary', 1);
    const writes = [wal.put('core/policy/a', Buffer.from('A')), wal.put('core/policy/b', Buffer.from('B'))];
    // Their turn comes after this tick: a new epoch (a promotion) set meanwhile is theirs.
    wal.setRole('primary', 2);
    await Promise.all(writes);
    expect((await wal.readWal(0, 10)).map((e) => [e.index, e.epoch])).to.deep.equal([
      [1, 2],
      [2, 2],
    ]);
  });

  it('numbers entries past 2^32, the same in memory and on disk', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('primary', 1);
    wal.setLastWal(2 ** 32 + 10);
    await Promise.all([wal.put('core/policy/a', Buffer.from('A')), wal.put('core/policy/b', Buffer.from('B'))]);
    expect((await wal.readWal(2 ** 32 + 10, 10)).map((e) => e.index)).to.deep.equal([2 ** 32 + 11, 2 ** 32 + 12]);
    expect(decodeWalEntry((await sqlite.get(walKey(2 ** 32 + 12))) as Buffer).index).to.equal(2 ** 32 + 12);
    const reopened = new WalStorage(sqlite, 100);
    await reopened.open();
    expect(reopened.lastWal).to.equal(2 ** 32 + 12);
  });

  it('stores each WAL entry in its binary form, and still reads and streams rows of the older JSON form (an upgrade in place)', async () => {
    // Two rows as a build before the binary form wrote them (values base64), on disk before this build opens.
    const old = [1, 2].map((index) => ({
      index,
      epoch: 1,
      ops: [{ op: 'put', key: `core/policy/old${index}`, value: Buffer.from(`o${index}`).toString('base64') }],
    }));
    await sqlite.transaction(old.map((e) => ({ op: 'put' as const, key: walKey(e.index), value: Buffer.from(JSON.stringify(e)) })));
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('primary', 1);
    await wal.put('core/policy/new', Buffer.from('N'));
    expect(wal.lastWal).to.equal(3);
    const row = (await sqlite.get(walKey(3))) as Buffer;
    expect(isJsonWalEntry(row)).to.equal(false);
    const digest = leafDigest('core/policy/new', Buffer.from('N'));
    expect(decodeWalEntry(row).ops).to.deep.equal([{ op: 'put', key: 'core/policy/new', value: Buffer.from('N'), digest }]);
    // Read back from disk: every entry in the binary form, whatever form its row has.
    const fresh = new WalStorage(sqlite, 100);
    await fresh.open();
    const serialized = await fresh.readWalSerialized(0, 10);
    expect(serialized.map((e) => e.index)).to.deep.equal([1, 2, 3]);
    expect(serialized.every((e) => !isJsonWalEntry(e.bytes))).to.equal(true);
    expect(serialized[0]?.bytes).to.deep.equal(encodeWalEntry({ index: 1, epoch: 1, ops: [{ op: 'put', key: 'core/policy/old1', value: Buffer.from('o1') }] }));
    expect((await fresh.readWal(0, 10)).map((e) => e.ops[0])).to.deep.equal([
      { op: 'put', key: 'core/policy/old1', value: Buffer.from('o1') },
      { op: 'put', key: 'core/policy/old2', value: Buffer.from('o2') },
      { op: 'put', key: 'core/policy/new', value: Buffer.from('N'), digest },
    ]);
  });

  it('replaces everything on restore and restarts the WAL with a gap, so no old entry is ever served', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('primary', 1);
    for (let i = 0; i < 5; i++) await wal.put(`core/policy/p${i}`, Buffer.from(String(i)));
    expect(wal.lastWal).to.equal(5);
    await wal.replaceAll([
      { op: 'delete-prefix', prefix: '' },
      { op: 'put', key: 'core/policy/restored', value: Buffer.from('R') },
    ]);
    expect(wal.lastWal).to.equal(6);
    expect(wal.oldestRetainedWal).to.equal(0);
    expect(await wal.readWal(5, 10)).to.deep.equal([]);
    expect(await sqlite.list(WAL_PREFIX)).to.deep.equal([]);
    // The Merkle index is the restored keyspace's, as a fresh open would build it.
    const reopened = new WalStorage(sqlite, 100);
    await reopened.open();
    expect(wal.merkle.root(performanceKeyset())).to.equal(reopened.merkle.root(performanceKeyset()));
    expect(wal.merkle.root(DR_KEYSET)).to.equal(reopened.merkle.root(DR_KEYSET));
    await wal.put('core/policy/after', Buffer.from('A'));
    expect(wal.lastWal).to.equal(7);
    expect(wal.oldestRetainedWal).to.equal(7);
  });

  it('writes no WAL entry for bookkeeping-only transactions or when replication is off', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    await wal.put('core/policy/off', Buffer.from('1'));
    wal.setRole('primary', 1);
    await wal.put('local/replication/state', Buffer.from('2'));
    await wal.put('local/core/cluster/info', Buffer.from('3'));
    expect(wal.lastWal).to.equal(0);
    expect(await sqlite.list(WAL_PREFIX)).to.deep.equal([]);
  });

  it('leaves nothing behind when the transaction fails (data and WAL entry together)', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('primary', 1);
    await sqlite.close();
    let failed = false;
    await wal.put('core/policy/z', Buffer.from('z')).catch(() => (failed = true));
    expect(failed).to.equal(true);
    expect(wal.lastWal).to.equal(0);
    sqlite = await SqliteBackend.open({ path: join(dir, 'db') });
    expect(await sqlite.get('core/policy/z')).to.equal(undefined);
    expect(await sqlite.list(WAL_PREFIX)).to.deep.equal([]);
  });

  it('numbers concurrent writes of one commit group contiguously in commit order; a failing write gives its index back', async () => {
    const wal = new WalStorage(sqlite, 1000);
    await wal.open();
    wal.setRole('primary', 1);
    const emitted: number[] = [];
    wal.on('wal', (entry: { index: number }) => emitted.push(entry.index));
    const invalid = { op: 'put', key: 'core/policy/bad', value: null as unknown as Buffer } as const;
    const commitsBefore = sqlite.commitStats.groups;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        wal.transaction(
          i % 10 === 3
            ? [{ op: 'put', key: `core/policy/f${i}`, value: Buffer.from('f') }, invalid]
            : [{ op: 'put', key: `core/policy/c${i}`, value: Buffer.from(String(i)) }],
        ),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).to.have.length(4);
    expect(sqlite.commitStats.groups - commitsBefore, 'commit groups for 40 concurrent writes').to.be.lessThan(20);
    expect(wal.lastWal).to.equal(36);
    expect(emitted).to.deep.equal(Array.from({ length: 36 }, (_, i) => i + 1));
    const entries = await wal.readWal(0, 100);
    expect(entries.map((e) => e.index)).to.deep.equal(emitted);
    // Each entry carries exactly its own write's data, which is in storage beside it.
    for (const entry of entries) {
      const [op] = entry.ops;
      expect(entry.ops).to.have.length(1);
      expect(op?.op === 'put' && op.key.startsWith('core/policy/c')).to.equal(true);
      if (op?.op === 'put') expect(await sqlite.get(op.key)).to.deep.equal(op.value);
    }
    expect(await sqlite.list('core/policy/')).to.not.include('f3');
    await wal.put('core/policy/next', Buffer.from('n'));
    expect(wal.lastWal).to.equal(37);
  });

  it('keeps a bounded log: old entries are dropped in batches, newest retained', async () => {
    const wal = new WalStorage(sqlite, 20);
    await wal.open();
    wal.setRole('primary', 1);
    for (let i = 0; i < 100; i++) await wal.put(`core/policy/p${i}`, Buffer.from(String(i)));
    const kept = (await sqlite.list(WAL_PREFIX)).length;
    expect(kept).to.be.within(20, 25);
    expect(wal.oldestRetainedWal).to.equal(100 - kept + 1);
    expect((await wal.readWal(wal.oldestRetainedWal - 1, 1000)).map((e) => e.index)).to.deep.equal(
      Array.from({ length: kept }, (_, i) => wal.oldestRetainedWal + i),
    );
  });

  it('trims a large log in aligned blocks, one prefix delete each, never below the retention', async () => {
    const trims: StorageOp[][] = [];
    // Records what each committed write deleted (the WAL's trim rides in the write's transaction).
    const recording: StorageBackend = Object.assign(Object.create(sqlite) as StorageBackend, {
      stage: (write: StagedWrite) =>
        sqlite.stage({
          ...write,
          prepare: () => {
            const ops = write.prepare();
            const deletes = ops.filter((op) => op.op !== 'put');
            if (deletes.length > 0) trims.push(deletes);
            return ops;
          },
        }),
    });
    const wal = new WalStorage(recording, 400);
    await wal.open();
    wal.setRole('primary', 1);
    for (let i = 0; i < 1000; i++) {
      await wal.put(`core/policy/p${i}`, Buffer.from(String(i)));
      const kept = (await sqlite.list(WAL_PREFIX)).length;
      expect(kept).to.be.at.least(Math.min(400, i + 1));
      expect(kept).to.be.below(400 + 100 + 10);
      expect(kept).to.equal(wal.lastWal - wal.oldestRetainedWal + 1);
    }
    expect(trims.length).to.be.within(3, 6);
    for (const ops of trims) for (const op of ops) expect(op).to.include({ op: 'delete-prefix' });
    expect(trims.flat().map((op) => (op.op === 'delete-prefix' ? op.prefix : ''))).to.include(WAL_PREFIX + '00000000000001');
    expect((await wal.readWal(wal.oldestRetainedWal - 1, 1000)).map((e) => e.index)).to.deep.equal(
      Array.from({ length: wal.lastWal - wal.oldestRetainedWal + 1 }, (_, i) => wal.oldestRetainedWal + i),
    );
  });

  it('on a secondary, refuses writes of replicated keys with read_only and allows local ones', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('secondary', 1);
    const err = await wal.put('core/policy/a', Buffer.from('x')).then(
      () => undefined,
      (e: { code?: string }) => e,
    );
    expect(err?.code).to.equal('read_only');
    await wal.put('local/core/mounts', Buffer.from('[]'));
    await wal.applyRemote([{ op: 'put', key: 'core/policy/a', value: Buffer.from('from primary') }]);
    expect((await wal.get('core/policy/a'))?.toString()).to.equal('from primary');
  });

  it('on a relaying secondary (DR primary of its own DR secondary), logs what it applies and its own local writes, still refusing replicated writes', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('secondary', 1);
    await wal.applyRemote([{ op: 'put', key: 'core/policy/before', value: Buffer.from('B') }]);
    expect(wal.lastWal, 'nothing is logged before relaying').to.equal(0);
    wal.setRelaying(true);
    await wal.applyRemote([
      { op: 'put', key: 'core/policy/a', value: Buffer.from('A') },
      { op: 'put', key: 'local/replication/state', value: Buffer.from('S') },
    ]);
    await wal.transaction([{ op: 'put', key: 'local/token/id/x', value: Buffer.from('T') }]);
    const err = await wal.transaction([{ op: 'put', key: 'core/policy/b', value: Buffer.from('X') }]).catch((e: unknown) => e);
    expect((err as { code?: string }).code).to.equal('read_only');
    const entries = await wal.readWal(0, 10);
    expect(entries.map((e) => e.ops.map((op) => (op.op === 'delete-prefix' ? op.prefix : op.key)))).to.deep.equal([['core/policy/a'], ['local/token/id/x']]);
    wal.setRelaying(false);
    await wal.applyRemote([{ op: 'put', key: 'core/policy/c', value: Buffer.from('C') }]);
    expect(wal.lastWal).to.equal(2);
  });

  it("indexes a streamed put by the primary's digests, to the same Merkle root as hashing it; an entry without digests is hashed", async () => {
    const primary = new WalStorage(sqlite, 100);
    await primary.open();
    primary.setRole('primary', 1);
    await primary.transaction([
      { op: 'put', key: 'logical/m/a', value: Buffer.from([0, 1, 2]) },
      { op: 'put', key: 'core/policy/p', value: Buffer.from('P') },
      { op: 'put', key: 'local/token/id/t', value: Buffer.from('T') },
    ]);
    await primary.transaction([{ op: 'delete', key: 'logical/m/a' }]);
    await primary.put('logical/m/b', Buffer.from('B'));
    const entries = await primary.readWal(0, 10);
    const secondaryOf = async (name: string): Promise<{ wal: WalStorage; sqlite: SqliteBackend }> => {
      const own = await SqliteBackend.open({ path: join(dir, name) });
      const wal = new WalStorage(own, 100);
      await wal.open();
      wal.setRole('secondary', 1);
      return { wal, sqlite: own };
    };
    const digested = await secondaryOf('digested');
    const plain = await secondaryOf('plain');
    try {
      for (const e of entries) {
        await digested.wal.applyRemote(e.ops);
        await plain.wal.applyRemote(decodeWalEntry(withoutDigests(encodeWalEntry(e))).ops);
      }
      for (const keyset of [DR_KEYSET, performanceKeyset()]) {
        expect(digested.wal.merkle.root(keyset)).to.equal(primary.merkle.root(keyset));
        expect(plain.wal.merkle.root(keyset)).to.equal(primary.merkle.root(keyset));
      }
      // The digests are what is indexed (not hashed again): a put sent with other digests is indexed by them.
      const value = Buffer.from('Z');
      await digested.wal.applyRemote([{ op: 'put', key: 'logical/m/z', value, digest: leafDigest('logical/m/z', Buffer.from('other')) } as StorageOp]);
      await plain.wal.applyRemote([{ op: 'put', key: 'logical/m/z', value }]);
      expect(digested.wal.merkle.root(performanceKeyset())).to.not.equal(plain.wal.merkle.root(performanceKeyset()));
    } finally {
      await digested.sqlite.close();
      await plain.sqlite.close();
    }
  });

  it('rebuilds the same Merkle root from storage on open', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('primary', 1);
    for (let i = 0; i < 30; i++) await wal.put(`logical/m/${i}`, Buffer.from(`v${i}`));
    await wal.put('local/x', Buffer.from('local'));
    const root = wal.merkle.root(performanceKeyset());
    const drRoot = wal.merkle.root(DR_KEYSET);
    expect(drRoot).to.not.equal(root);
    const reopened = new WalStorage(sqlite, 100);
    await reopened.open();
    expect(reopened.merkle.root(performanceKeyset())).to.equal(root);
    expect(reopened.merkle.root(DR_KEYSET)).to.equal(drRoot);
    expect(reopened.lastWal).to.equal(31);
  });
  it('tells a tracked call the last WAL index of replicated state it committed, even when concurrent writes share a commit', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('primary', 1);
    const [policies, localOnly, readOnly] = await Promise.all([
      wal.trackWrites(async () => {
        await wal.put('core/policy/a', Buffer.from('A'));
        await wal.put('core/policy/b', Buffer.from('B'));
        return 'policies';
      }),
      wal.trackWrites(async () => {
        // A token reaches the WAL (for DR secondaries) but is cluster-local state.
        await wal.put('local/token/id/x', Buffer.from('T'));
        return 'local';
      }),
      wal.trackWrites(async () => wal.get('core/policy/a')),
      // An untracked write at the same time counts for nobody.
      wal.put('core/policy/untracked', Buffer.from('U')),
    ]);
    expect(policies.result).to.equal('policies');
    const entries = await wal.readWal(0, 10);
    const indexOfB = entries.find((e) => e.ops.some((op) => op.op === 'put' && op.key === 'core/policy/b'))?.index;
    expect(policies.lastReplicatedWal).to.equal(indexOfB);
    expect(localOnly).to.deep.equal({ result: 'local', lastReplicatedWal: 0 });
    expect(readOnly.lastReplicatedWal).to.equal(0);
  });

  it('keeps the index of the last committed write of replicated state (the X-Vault-Index watermark): local writes leave it, reopening starts at the last entry', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('primary', 1);
    const start = wal.lastReplicatedWal;
    await wal.put('core/policy/w1', Buffer.from('1'));
    const afterPolicy = wal.lastReplicatedWal;
    expect(afterPolicy).to.equal(wal.lastWal);
    expect(afterPolicy).to.be.greaterThan(start);
    await wal.put('local/token/id/w-local', Buffer.from('t'));
    expect(wal.lastWal, 'a cluster-local write is logged (DR carries it)').to.be.greaterThan(afterPolicy);
    expect(wal.lastReplicatedWal, 'but moves no replicated state').to.equal(afterPolicy);
    // Concurrent writes: each one's promise settles with the watermark at or past its own entry.
    const seen = await Promise.all(['a', 'b', 'c'].map(async (k) => (await wal.put(`core/policy/w-${k}`, Buffer.from(k)), wal.lastReplicatedWal)));
    for (const index of seen) expect(index).to.be.greaterThan(afterPolicy);
    expect(wal.lastReplicatedWal).to.equal(wal.lastWal);
    const reopened = new WalStorage(sqlite, 100);
    await reopened.open();
    expect(reopened.lastReplicatedWal).to.equal(wal.lastWal);
  });

  it('removes a deleted prefix from the Merkle index, including keys put below it while the names were read', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    wal.setRole('primary', 1);
    await sqlite.transaction(Array.from({ length: 5000 }, (_, i) => ({ op: 'put' as const, key: `logical/gone/${i}`, value: Buffer.from(`v${i}`) })));
    await wal.put('logical/kept/1', Buffer.from('k'));
    const fresh = new WalStorage(sqlite, 100);
    await fresh.open();
    fresh.setRole('primary', 1);
    // Puts below the prefix race with the delete's name scan (5000 keys: several pages).
    const racing = Array.from({ length: 20 }, (_, i) => fresh.put(`logical/gone/late-${i}`, Buffer.from('late')));
    const deleting = fresh.transaction([{ op: 'delete-prefix', prefix: 'logical/gone/' }]);
    const after = Array.from({ length: 5 }, (_, i) => fresh.put(`logical/gone/after-${i}`, Buffer.from('after')));
    await Promise.all([...racing, deleting, ...after]);
    const rebuilt = new WalStorage(sqlite, 100);
    await rebuilt.open();
    expect(fresh.merkle.size()).to.equal(rebuilt.merkle.size());
    expect(fresh.merkle.root(DR_KEYSET)).to.equal(rebuilt.merkle.root(DR_KEYSET));
  });

  it('names the keys behind differing digests from storage, replicated keys only', async () => {
    const wal = new WalStorage(sqlite, 100);
    await wal.open();
    await sqlite.transaction(Array.from({ length: 3000 }, (_, i) => ({ op: 'put' as const, key: `logical/m/${i}`, value: Buffer.from(`v${i}`) })));
    await sqlite.put('local/secret', Buffer.from('x'));
    await wal.open();
    const { keyDigest } = await import('../../../server/replication/merkle-index.js');
    const wanted = new Set(['logical/m/7', 'logical/m/2999', 'local/secret', 'logical/m/absent'].map((k) => keyDigest(k).toString('hex')));
    expect((await wal.keysWithDigests(performanceKeyset(), wanted)).sort()).to.deep.equal(['logical/m/2999', 'logical/m/7']);
  });
});

import { expect } from 'chai';
import type { StagedWrite, StorageBackend, StorageOp } from '../../../server/storage/backend.js';
import { CachedBackend } from '../../../server/storage/cached-backend.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('CachedBackend', () => {
  it('serves a cached value after storage changed underneath it (why HA standbys must not cache)', async () => {
    const inner = new MemoryBackend();
    const cache = new CachedBackend(inner);
    await inner.put('k', buf('one'));
    expect(await cache.get('k')).to.deep.equal(buf('one'));
    await inner.put('k', buf('two')); // another node's write
    expect(await cache.get('k')).to.deep.equal(buf('one'));
    cache.clear();
    expect(await cache.get('k')).to.deep.equal(buf('two'));
  });

  it('reads storage directly, caching nothing, while cacheOnlyWhile says no', async () => {
    const inner = new MemoryBackend();
    const cache = new CachedBackend(inner);
    let isActive = false;
    cache.cacheOnlyWhile(() => isActive);
    expect(await cache.get('k')).to.equal(undefined);
    await inner.put('k', buf('written elsewhere'));
    expect(await cache.get('k'), 'a missing key is not remembered as missing').to.deep.equal(buf('written elsewhere'));
    await inner.put('k', buf('again'));
    expect(await cache.get('k')).to.deep.equal(buf('again'));
    isActive = true;
    cache.clear();
    expect(await cache.get('k')).to.deep.equal(buf('again'));
    await inner.put('k', buf('behind the active node'));
    expect(await cache.get('k'), 'the active node caches again').to.deep.equal(buf('again'));
  });

  it('is bounded by bytes, evicting the least recently read first; writes and prefix deletes give bytes back', async () => {
    const inner = new MemoryBackend();
    const cache = new CachedBackend(inner, 64 * 1024);
    const value = Buffer.alloc(1000, 1);
    for (let i = 0; i < 200; i++) await inner.put(`logical/a/${i}`, value);
    for (let i = 0; i < 200; i++) {
      await cache.get(`logical/a/${i}`);
      await cache.get('logical/a/0'); // kept recent
      expect(cache.bytes).to.be.at.most(64 * 1024);
    }
    expect(cache.bytes).to.be.greaterThan(48 * 1024);
    // The recently read key is still served from the cache (storage changed underneath it).
    await inner.put('logical/a/0', Buffer.from('changed underneath'));
    expect(await cache.get('logical/a/0')).to.deep.equal(value);
    await inner.put('logical/a/1', Buffer.from('changed underneath'));
    expect((await cache.get('logical/a/1'))?.toString()).to.equal('changed underneath'); // evicted long ago
    await cache.transaction([{ op: 'delete-prefix', prefix: 'logical/a/' }]);
    expect(cache.bytes).to.equal(0);
  });

  it('does not cache a value larger than an eighth of its bound', async () => {
    const inner = new MemoryBackend();
    const cache = new CachedBackend(inner, 64 * 1024);
    await inner.put('big', Buffer.alloc(10_000));
    await cache.get('big');
    expect(cache.bytes).to.equal(0);
  });

  it('writes a committed write through: the next read is served from the cache, a delete cached as a miss', async () => {
    const inner = new MemoryBackend();
    const cache = new CachedBackend(inner);
    await cache.stage({ bytes: 10, prepare: () => [{ op: 'put', key: 'logical/m/k', value: buf('written') }] });
    await inner.put('logical/m/k', buf('changed underneath')); // visible only if the read went to storage
    expect((await cache.get('logical/m/k'))?.toString()).to.equal('written');
    await cache.stage({ bytes: 10, prepare: () => [{ op: 'delete', key: 'logical/m/k' }] });
    await inner.put('logical/m/k', buf('changed underneath'));
    expect(await cache.get('logical/m/k')).to.equal(undefined);
  });

  it('counts a key put twice in one write once, and gives its bytes back on delete', async () => {
    const inner = new MemoryBackend();
    const cache = new CachedBackend(inner);
    await cache.stage({
      bytes: 10,
      prepare: () => [
        { op: 'put', key: 'k', value: Buffer.alloc(100) },
        { op: 'put', key: 'k', value: Buffer.alloc(200) },
      ],
    });
    expect((await cache.get('k'))?.length).to.equal(200);
    const oneEntry = cache.bytes;
    await cache.transaction([{ op: 'delete-prefix', prefix: '' }]);
    expect(cache.bytes).to.equal(0);
    expect(oneEntry).to.be.within(200, 200 + 300);
  });

  it('writes nothing through under an excepted prefix, for a failed write, for a bulk write, or while cacheOnlyWhile says no', async () => {
    const inner = new MemoryBackend();
    const cache = new CachedBackend(inner, undefined, ['local/replication/']);
    let isActive = true;
    cache.cacheOnlyWhile(() => isActive);
    await cache.stage({ bytes: 10, prepare: () => [{ op: 'put', key: 'local/replication/wal/1', value: buf('entry') }] });
    const failed = cache.stage({
      bytes: 10,
      prepare: () => {
        throw new Error('refused');
      },
    });
    await failed.then(
      () => expect.fail('the write succeeded'),
      (err: unknown) => expect(String(err)).to.match(/refused/),
    );
    isActive = false;
    await cache.stage({ bytes: 10, prepare: () => [{ op: 'put', key: 'standby', value: buf('v') }] });
    expect(cache.bytes).to.equal(0);
    isActive = true;
    const bulk = Array.from({ length: 65 }, (_, i): StorageOp => ({ op: 'put', key: `bulk/${i}`, value: buf('v') }));
    await cache.stage({ bytes: 65, prepare: () => bulk });
    expect(cache.bytes, 'a bulk write (65 ops) is not written through').to.equal(0);
    await inner.put('local/replication/wal/1', buf('changed underneath'));
    expect((await cache.get('local/replication/wal/1'))?.toString()).to.equal('changed underneath');
  });

  it('never caches a read under an excepted prefix, so a prefix delete there keeps every cached entry', async () => {
    const inner = new MemoryBackend();
    const cache = new CachedBackend(inner, undefined, ['local/replication/']);
    await inner.put('local/replication/wal/0000000000000001', buf('entry'));
    await inner.put('kv/a', buf('a'));
    expect((await cache.get('local/replication/wal/0000000000000001'))?.toString()).to.equal('entry');
    expect(cache.bytes, 'the excepted read is not cached').to.equal(0);
    await inner.put('local/replication/wal/0000000000000001', buf('changed underneath'));
    expect((await cache.get('local/replication/wal/0000000000000001'))?.toString()).to.equal('changed underneath');
    expect((await cache.get('kv/a'))?.toString()).to.equal('a');
    const cachedBytes = cache.bytes;
    await cache.stage({ bytes: 10, prepare: () => [{ op: 'delete-prefix', prefix: 'local/replication/wal/00000000000000' }] });
    expect(await inner.get('local/replication/wal/0000000000000001')).to.equal(undefined);
    expect(await cache.get('local/replication/wal/0000000000000001')).to.equal(undefined);
    expect(cache.bytes, 'the cached entry outside the prefix stays').to.equal(cachedBytes);
    await inner.put('kv/a', buf('changed underneath'));
    expect((await cache.get('kv/a'))?.toString(), 'still served from the cache').to.equal('a');
  });

  it('serves the committed value while a write of the key is in flight, and the new one from its commit on', async () => {
    const inner = new MemoryBackend();
    let releaseCommit!: () => void;
    const commitGate = new Promise<void>((resolve) => (releaseCommit = resolve));
    // Storage whose commit waits for the gate: the write is prepared (in flight) until then.
    const slow: StorageBackend = Object.assign(Object.create(inner) as MemoryBackend, {
      stage: async (write: StagedWrite) => {
        const ops = write.prepare();
        await commitGate;
        await inner.transaction(ops);
        write.committed?.();
      },
    });
    const cache = new CachedBackend(slow);
    await inner.put('k', buf('old'));
    expect((await cache.get('k'))?.toString()).to.equal('old');
    let readsFromStorage = 0;
    const innerGet = inner.get.bind(inner);
    inner.get = (key) => {
      readsFromStorage++;
      return innerGet(key);
    };
    const write = cache.stage({ bytes: 3, prepare: () => [{ op: 'put', key: 'k', value: buf('new') }] });
    await Promise.resolve();
    expect((await cache.get('k'))?.toString(), 'in flight: the committed value').to.equal('old');
    releaseCommit();
    await write;
    expect((await cache.get('k'))?.toString()).to.equal('new');
    expect(readsFromStorage, 'every read served from the cache').to.equal(0);
  });

  it("passes a write's permission to defer its flush through to storage (a secondary's applies commit without an fsync)", async () => {
    const inner = new MemoryBackend();
    const seen: (boolean | undefined)[] = [];
    const recording: StorageBackend = Object.assign(Object.create(inner) as MemoryBackend, {
      stage: async (write: StagedWrite) => {
        seen.push(write.canDeferFlush);
        await inner.stage(write);
      },
    });
    const cache = new CachedBackend(recording);
    await cache.stage({ bytes: 1, prepare: () => [{ op: 'put', key: 'applied', value: buf('a') }], canDeferFlush: true });
    await cache.stage({ bytes: 1, prepare: () => [{ op: 'put', key: 'client', value: buf('c') }], canDeferFlush: false });
    await cache.stage({ bytes: 1, prepare: () => [{ op: 'put', key: 'plain', value: buf('p') }] });
    expect(seen).to.deep.equal([true, false, undefined]);
    expect((await cache.get('applied'))?.toString()).to.equal('a');
  });
});

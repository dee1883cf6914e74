import { expect } from 'chai';
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
});

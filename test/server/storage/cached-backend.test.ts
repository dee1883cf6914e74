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
});

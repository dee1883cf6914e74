import { expect } from 'chai';
import { IndexHeaderKey } from '../../../server/core/index-header-key.js';
import { layout } from '../../../server/core/storage-layout.js';

/** Barrier stand-in: a map of plaintext values. */
function memoryBarrier() {
  const values = new Map<string, Buffer>();
  return { values, get: async (k: string) => values.get(k), put: async (k: string, v: Buffer) => void values.set(k, v) };
}

describe('IndexHeaderKey', () => {
  it('reads the key again after invalidation (an activation brought the primary\u2019s)', async () => {
    const barrier = memoryBarrier();
    barrier.values.set(layout.indexHeaderKey, Buffer.alloc(32, 1));
    const key = new IndexHeaderKey(barrier);
    expect((await key.get(false))?.export()).to.deep.equal(Buffer.alloc(32, 1));
    barrier.values.set(layout.indexHeaderKey, Buffer.alloc(32, 2));
    expect((await key.get(false))?.export()).to.deep.equal(Buffer.alloc(32, 1));
    key.forget();
    expect((await key.get(false))?.export()).to.deep.equal(Buffer.alloc(32, 2));
  });

  it('mints one key for concurrent first uses', async () => {
    const barrier = memoryBarrier();
    const key = new IndexHeaderKey(barrier);
    const [a, b] = await Promise.all([key.get(true), key.get(true)]);
    expect(a).to.not.equal(undefined);
    expect(a).to.equal(b);
    expect(barrier.values.get(layout.indexHeaderKey)).to.deep.equal(a?.export());
  });

  it('never mints where it may not (a secondary waits for its primary\u2019s key)', async () => {
    const barrier = memoryBarrier();
    const key = new IndexHeaderKey(barrier);
    expect(await key.get(false)).to.equal(undefined);
    expect(barrier.values.size).to.equal(0);
  });
});

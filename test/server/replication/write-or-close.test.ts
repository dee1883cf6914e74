import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { writeOrClose } from '../../../server/replication/write-or-close.js';

describe('writeOrClose', () => {
  const listeners = (s: PassThrough) => s.listenerCount('drain') + s.listenerCount('close') + s.listenerCount('error');

  it('resolves true at once when the chunk fits the buffer', async () => {
    const out = new PassThrough({ highWaterMark: 1024 });
    expect(await writeOrClose(out, 'small')).to.equal(true);
    expect(listeners(out)).to.equal(0);
  });

  it('waits for drain under back-pressure, then resolves true and removes its listeners', async () => {
    const out = new PassThrough({ highWaterMark: 4 });
    const before = listeners(out);
    const pending = writeOrClose(out, 'a chunk larger than the buffer');
    expect(listeners(out)).to.be.above(before);
    out.resume();
    expect(await pending).to.equal(true);
    expect(listeners(out)).to.equal(before);
  });

  it('resolves false when the peer goes away while back-pressured (the drain never comes)', async () => {
    const out = new PassThrough({ highWaterMark: 4 });
    const pending = writeOrClose(out, 'a chunk larger than the buffer');
    out.destroy();
    expect(await pending).to.equal(false);
    expect(listeners(out)).to.equal(0);
  });

  it('resolves false on an error, and at once on a stream already destroyed or ended', async () => {
    const out = new PassThrough({ highWaterMark: 4 });
    const pending = writeOrClose(out, 'a chunk larger than the buffer');
    out.destroy(new Error('reset'));
    expect(await pending).to.equal(false);
    expect(await writeOrClose(out, 'x')).to.equal(false);
    const ended = new PassThrough();
    ended.end();
    expect(await writeOrClose(ended, 'x')).to.equal(false);
  });
});

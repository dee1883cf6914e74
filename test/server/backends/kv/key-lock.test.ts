import { expect } from 'chai';
import { KeyLock } from '../../../../server/backends/kv/key-lock.js';

describe('KeyLock', () => {
  it('runs work on one key one at a time, in arrival order', async () => {
    const lock = new KeyLock();
    const events: string[] = [];
    const task = (name: string, ms: number) =>
      lock.run('k', async () => {
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`end ${name}`);
      });
    await Promise.all([task('a', 20), task('b', 1), task('c', 5)]);
    expect(events).to.deep.equal(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('lets different keys run at the same time', async () => {
    const lock = new KeyLock();
    let concurrent = 0;
    let peak = 0;
    const task = (key: string) =>
      lock.run(key, async () => {
        peak = Math.max(peak, ++concurrent);
        await new Promise((resolve) => setTimeout(resolve, 10));
        concurrent--;
      });
    await Promise.all([task('a'), task('b'), task('c')]);
    expect(peak).to.equal(3);
  });

  it('keeps going after a failed task and passes the failure to its caller', async () => {
    const lock = new KeyLock();
    const failed = lock.run('k', async () => {
      throw new Error('boom');
    });
    const next = lock.run('k', async () => 42);
    expect(await failed.catch((e: Error) => e.message)).to.equal('boom');
    expect(await next).to.equal(42);
  });
});

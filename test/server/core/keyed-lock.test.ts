import { expect } from 'chai';
import { KeyedLock } from '../../../server/core/keyed-lock.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedLock', () => {
  it('runs the jobs of one key one at a time, in submission order', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const job = (name: string) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      events.push(`start ${name}`);
      await tick();
      await tick();
      events.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all(['a', 'b', 'c'].map((n) => lock.run('k', job(n))));
    expect(results).to.deep.equal(['a', 'b', 'c']);
    expect(maxRunning).to.equal(1);
    expect(events).to.deep.equal(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('lets jobs of different keys overlap', async () => {
    const lock = new KeyedLock();
    let running = 0;
    let maxRunning = 0;
    const job = async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await tick();
      running--;
    };
    await Promise.all([lock.run('x', job), lock.run('y', job), lock.run('z', job)]);
    expect(maxRunning).to.equal(3);
  });

  it('keeps serving a key after one of its jobs failed, and reports the failure to its caller only', async () => {
    const lock = new KeyedLock();
    const failed = lock.run('k', async () => {
      throw new Error('boom');
    });
    const next = lock.run('k', async () => 'after');
    expect(await failed.catch((err: Error) => err.message)).to.equal('boom');
    expect(await next).to.equal('after');
  });

  it('forgets a key once its last job settled', async () => {
    const lock = new KeyedLock();
    await Promise.all([lock.run('a', async () => 1), lock.run('b', async () => 2)]);
    await tick();
    expect(lock.size).to.equal(0);
  });
});

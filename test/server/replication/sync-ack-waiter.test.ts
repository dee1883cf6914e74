import { expect } from 'chai';
import { SyncAckWaiter } from '../../../server/replication/sync-ack-waiter.js';

/** Settles within the current turn of the event loop, or reports 'pending'. */
async function settledNow<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

describe('SyncAckWaiter', () => {
  const drOnly = (id: string): boolean => id.startsWith('dr-');

  it('resolves a wait once an eligible secondary acknowledges that index or a later one', async () => {
    const waiter = new SyncAckWaiter(drOnly);
    const five = waiter.waitFor(5, 10_000);
    const seven = waiter.waitFor(7, 10_000);
    waiter.ack('dr-a', 4);
    expect(await settledNow(five)).to.equal('pending');
    waiter.ack('dr-a', 6);
    expect(await settledNow(five)).to.equal(true);
    expect(await settledNow(seven)).to.equal('pending');
    waiter.ack('dr-b', 9);
    expect(await settledNow(seven)).to.equal(true);
    expect(waiter.pending).to.equal(0);
  });

  it('ignores acknowledgements from secondaries that are not eligible', async () => {
    const waiter = new SyncAckWaiter(drOnly);
    const wait = waiter.waitFor(3, 10_000);
    waiter.ack('perf-1', 100);
    expect(await settledNow(wait)).to.equal('pending');
    expect(waiter.durableWal()).to.equal(0);
    waiter.ack('dr-1', 3);
    expect(await wait).to.equal(true);
  });

  it('answers at once for an index already acknowledged', async () => {
    const waiter = new SyncAckWaiter(drOnly);
    waiter.ack('dr-a', 10);
    expect(await settledNow(waiter.waitFor(10, 10_000))).to.equal(true);
    expect(await settledNow(waiter.waitFor(2, 10_000))).to.equal(true);
    expect(waiter.durableWal()).to.equal(10);
  });

  it('reports false after the timeout when nobody acknowledges, and drops the waiter', async () => {
    const waiter = new SyncAckWaiter(drOnly);
    const started = Date.now();
    expect(await waiter.waitFor(1, 50)).to.equal(false);
    expect(Date.now() - started).to.be.at.least(45);
    expect(waiter.pending).to.equal(0);
    // A late acknowledgement finds nothing to resolve and is still remembered.
    waiter.ack('dr-a', 1);
    expect(waiter.durableWal()).to.equal(1);
  });

  it('never moves an acknowledgement backwards, and refuses nonsense indexes', () => {
    const waiter = new SyncAckWaiter(drOnly);
    waiter.ack('dr-a', 8);
    waiter.ack('dr-a', 3);
    waiter.ack('dr-a', -1);
    waiter.ack('dr-a', Number.NaN);
    waiter.ack('dr-a', 1.5);
    expect(waiter.durableWal()).to.equal(8);
  });

  it('asks eligibility again: a secondary that stops being eligible stops counting', async () => {
    const eligible = new Set(['dr-a']);
    const waiter = new SyncAckWaiter((id) => eligible.has(id));
    waiter.ack('dr-a', 5);
    expect(waiter.durableWal()).to.equal(5);
    eligible.delete('dr-a');
    expect(waiter.durableWal()).to.equal(0);
    expect(await settledNow(waiter.waitFor(5, 10_000))).to.equal('pending');
  });
});

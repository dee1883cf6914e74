import { expect } from 'chai';
import { BUSY_ENTRIES_PER_MS, STREAM_BUSY_PERIOD_MS, STREAM_DR_BUSY_PERIOD_MS, StreamCadence } from '../../../server/replication/stream-cadence.js';

/**
 * Drives a cadence the way the stream loop does, 1 ms at a time: entries committed at
 * `entriesPerMs` wait until `waitMs` allows a chunk. Returns the gaps between chunks.
 */
function run(cadence: StreamCadence, entriesPerMs: number, fromMs: number, toMs: number): number[] {
  const gaps: number[] = [];
  let waiting = 0;
  let last: number | undefined;
  for (let now = fromMs; now < toMs; now++) {
    waiting += entriesPerMs;
    if (waiting >= 1 && cadence.waitMs(now) === 0) {
      cadence.sent(Math.floor(waiting), now);
      waiting -= Math.floor(waiting);
      if (last !== undefined) gaps.push(now - last);
      last = now;
    }
  }
  return gaps;
}

describe('StreamCadence', () => {
  it('sends the first chunk at once', () => {
    expect(new StreamCadence().waitMs(1000)).to.equal(0);
  });

  it('sends each chunk of a trickle of 200 writes/s at once, however close to the last one', () => {
    const cadence = new StreamCadence();
    const gaps = run(cadence, 0.2, 0, 2000);
    expect(gaps.length).to.be.greaterThan(390);
    expect(Math.max(...gaps)).to.equal(5);
    cadence.sent(1, 2000);
    expect(cadence.waitMs(2000)).to.equal(0);
  });

  it('leaves the busy period with the first chunk that shows the load is over, not a second later', () => {
    for (const cadence of [new StreamCadence(), new StreamCadence(false)]) {
      // Sustained load: thousands of writes a second for two seconds, then a gap (the load stops).
      run(cadence, 3, 0, 2000);
      expect(cadence.waitMs(2000)).to.be.greaterThan(0);
      // A trickle of 200 writes/s right after: the chunk that gathered over one period carries a
      // rate well under the busy one, and from then on each chunk goes at once.
      const gaps = run(cadence, 0.2, 2100, 2600);
      expect(
        gaps.slice(2).every((g) => g <= 5),
        `gaps after the first busy period: ${gaps.slice(0, 8).join(', ')}`,
      ).to.equal(true);
    }
  });

  it('sends at once the commit group that made up for a stall of the disk', () => {
    const cadence = new StreamCadence();
    run(cadence, 0.2, 0, 1000);
    // 60 writes committed together after the primary stalled 300 ms, then the trickle again.
    cadence.sent(60, 1300);
    expect(cadence.waitMs(1300)).to.equal(0);
    cadence.sent(1, 1301);
    expect(cadence.waitMs(1301)).to.equal(0);
  });

  it('sends one chunk per busy period under a sustained load, and at once again when it drops', () => {
    const cadence = new StreamCadence();
    const busy = run(cadence, 4 * BUSY_ENTRIES_PER_MS, 0, 3000);
    // After the first chunks measured the rate, every chunk waits the busy period.
    expect(busy.length).to.be.greaterThan(20);
    expect(busy.slice(-20).every((gap) => gap === STREAM_BUSY_PERIOD_MS)).to.equal(true);
    const quiet = run(cadence, 0.2, 3000, 5000);
    expect(quiet.slice(-20).every((gap) => gap === 5)).to.equal(true);
    expect(cadence.waitMs(5000)).to.equal(0);
  });

  it('keeps a short busy period under a sustained load when it may not slow down (a DR secondary)', () => {
    const gaps = run(new StreamCadence(false), 4 * BUSY_ENTRIES_PER_MS, 0, 1000);
    expect(gaps.length).to.be.greaterThan(200);
    expect(gaps.slice(-20).every((gap) => gap === STREAM_DR_BUSY_PERIOD_MS)).to.equal(true);
  });

  it('ignores writes without entries (heartbeats)', () => {
    const cadence = new StreamCadence();
    run(cadence, 4 * BUSY_ENTRIES_PER_MS, 0, 1000);
    cadence.sent(4, 1000);
    cadence.sent(0, 1002);
    expect(cadence.waitMs(1002)).to.equal(STREAM_BUSY_PERIOD_MS - 2);
  });
});

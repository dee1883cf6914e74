import { expect } from 'chai';
import { BUSY_ENTRIES_PER_MS, STREAM_BUSY_PERIOD_MS, STREAM_MIN_PERIOD_MS, StreamCadence } from '../../../server/replication/stream-cadence.js';

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

  it('sends a chunk after a quiet spell at once', () => {
    const cadence = new StreamCadence();
    cadence.sent(1, 1000);
    expect(cadence.waitMs(1000 + STREAM_MIN_PERIOD_MS + 50)).to.equal(0);
  });

  it('keeps the short period for a trickle of 200 writes/s', () => {
    const gaps = run(new StreamCadence(), 0.2, 0, 2000);
    expect(gaps.length).to.be.greaterThan(300);
    expect(Math.max(...gaps)).to.be.at.most(STREAM_MIN_PERIOD_MS + 1);
  });

  it('keeps the short period for two commits of a trickle whose chunks came close together', () => {
    const cadence = new StreamCadence();
    run(cadence, 0.2, 0, 1000);
    cadence.sent(1, 1000);
    cadence.sent(2, 1000 + STREAM_MIN_PERIOD_MS);
    expect(cadence.waitMs(1000 + STREAM_MIN_PERIOD_MS)).to.equal(STREAM_MIN_PERIOD_MS);
  });

  it('keeps the short period for a commit group of a trickle that came soon after a late chunk', () => {
    const cadence = new StreamCadence();
    run(cadence, 0.2, 0, 1000);
    // The chunk of the previous group went late (the event loop was busy); the next group of 4 follows 5 ms on.
    cadence.sent(1, 1015);
    cadence.sent(4, 1020);
    expect(cadence.waitMs(1020)).to.equal(STREAM_MIN_PERIOD_MS);
  });

  it('keeps the short period for a commit group that only made up for a stall', () => {
    const cadence = new StreamCadence();
    run(cadence, 0.2, 0, 1000);
    // 8 writes committed together after the primary stalled 40 ms.
    cadence.sent(8, 1040);
    expect(cadence.waitMs(1040)).to.equal(STREAM_MIN_PERIOD_MS);
  });

  it('sends one chunk per busy period under a sustained load, and returns to the short period when it drops', () => {
    const cadence = new StreamCadence();
    const busy = run(cadence, 4 * BUSY_ENTRIES_PER_MS, 0, 1000);
    // After the first few chunks measured the rate, every chunk waits the busy period.
    expect(busy.slice(5).every((gap) => gap === STREAM_BUSY_PERIOD_MS)).to.equal(true);
    const quiet = run(cadence, 0.2, 1000, 2000);
    expect(quiet.slice(5).every((gap) => gap <= STREAM_MIN_PERIOD_MS + 1)).to.equal(true);
  });

  it('keeps the short period under a sustained load when it may not slow down (a DR secondary)', () => {
    const gaps = run(new StreamCadence(false), 4 * BUSY_ENTRIES_PER_MS, 0, 1000);
    expect(gaps.length).to.be.greaterThan(100);
    expect(gaps.every((gap) => gap === STREAM_MIN_PERIOD_MS)).to.equal(true);
  });

  it('ignores writes without entries (heartbeats)', () => {
    const cadence = new StreamCadence();
    cadence.sent(1, 1000);
    cadence.sent(0, 1002);
    expect(cadence.waitMs(1002)).to.equal(STREAM_MIN_PERIOD_MS - 2);
  });
});

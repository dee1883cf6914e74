import { expect } from 'chai';
import {
  BUSY_ENTRIES_PER_MS,
  BUSY_MIN_ENTRIES,
  STREAM_BUSY_PERIOD_MS,
  STREAM_MIN_PERIOD_MS,
  StreamCadence,
} from '../../../server/replication/stream-cadence.js';

describe('StreamCadence', () => {
  it('sends the first chunk at once', () => {
    expect(new StreamCadence().waitMs(1000)).to.equal(0);
  });

  it('sends a chunk after a quiet spell at once', () => {
    const cadence = new StreamCadence();
    cadence.sent(1, 1000);
    expect(cadence.waitMs(1000 + STREAM_MIN_PERIOD_MS + 50)).to.equal(0);
  });

  it('waits out the short period after a chunk of a slow trickle', () => {
    const cadence = new StreamCadence();
    cadence.sent(1, 1000);
    // One entry 5 ms later: 0.2 entries a millisecond, well below busy.
    cadence.sent(1, 1005);
    expect(cadence.waitMs(1006)).to.equal(STREAM_MIN_PERIOD_MS - 1);
  });

  it('waits the busy period once the last chunk came at the busy rate', () => {
    const cadence = new StreamCadence();
    cadence.sent(1, 1000);
    const entries = Math.max(BUSY_MIN_ENTRIES, Math.ceil(BUSY_ENTRIES_PER_MS * STREAM_MIN_PERIOD_MS));
    cadence.sent(entries, 1000 + STREAM_MIN_PERIOD_MS);
    expect(cadence.waitMs(1000 + STREAM_MIN_PERIOD_MS)).to.equal(STREAM_BUSY_PERIOD_MS);
  });

  it('stays busy while the load keeps the rate, and returns to the short period when it drops', () => {
    const cadence = new StreamCadence();
    cadence.sent(1, 0);
    cadence.sent(10, STREAM_MIN_PERIOD_MS);
    let now = STREAM_MIN_PERIOD_MS + STREAM_BUSY_PERIOD_MS;
    cadence.sent(Math.max(BUSY_MIN_ENTRIES, Math.ceil(BUSY_ENTRIES_PER_MS * STREAM_BUSY_PERIOD_MS)), now);
    expect(cadence.waitMs(now)).to.equal(STREAM_BUSY_PERIOD_MS);
    now += STREAM_BUSY_PERIOD_MS;
    cadence.sent(1, now);
    expect(cadence.waitMs(now)).to.equal(STREAM_MIN_PERIOD_MS);
  });

  it('stays at the short period for two commits of a 200 writes/s trickle that came close together', () => {
    const cadence = new StreamCadence();
    cadence.sent(1, 1000);
    cadence.sent(2, 1000 + STREAM_MIN_PERIOD_MS);
    expect(cadence.waitMs(1000 + STREAM_MIN_PERIOD_MS)).to.equal(STREAM_MIN_PERIOD_MS);
  });

  it('stays at the short period for a burst that only made up for a stall', () => {
    const cadence = new StreamCadence();
    cadence.sent(1, 1000);
    // 8 writes committed together after the primary stalled 40 ms: 0.2 entries a millisecond.
    cadence.sent(8, 1040);
    expect(cadence.waitMs(1040)).to.equal(STREAM_MIN_PERIOD_MS);
  });

  it('ignores writes without entries (heartbeats)', () => {
    const cadence = new StreamCadence();
    cadence.sent(1, 1000);
    cadence.sent(0, 1002);
    expect(cadence.waitMs(1002)).to.equal(STREAM_MIN_PERIOD_MS - 2);
  });

  it('keeps the busy period within the lag bound the stream promises', () => {
    expect(STREAM_MIN_PERIOD_MS).to.be.at.most(STREAM_BUSY_PERIOD_MS);
    expect(STREAM_BUSY_PERIOD_MS).to.be.at.most(50);
  });
});

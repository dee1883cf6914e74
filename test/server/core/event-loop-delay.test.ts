import { expect } from 'chai';
import { EventLoopDelay } from '../../../server/core/event-loop-delay.js';

function bucket(text: string, le: string): number {
  const m = new RegExp(`ferry_runtime_event_loop_delay_ms_bucket\\{le="${le.replace('+', '\\+')}"\\} (\\d+)`).exec(text);
  return Number(m?.[1]);
}

describe('EventLoopDelay', () => {
  it('files samples into cumulative buckets with sum, count and maximum', () => {
    const d = new EventLoopDelay();
    for (const ms of [0.5, 3, 3, 70, 1500]) d.record(ms);
    const text = d.metrics();
    expect(bucket(text, '1')).to.equal(1);
    expect(bucket(text, '5')).to.equal(3);
    expect(bucket(text, '50')).to.equal(3);
    expect(bucket(text, '100')).to.equal(4);
    expect(bucket(text, '1000')).to.equal(4);
    expect(bucket(text, '+Inf')).to.equal(5);
    expect(text).to.match(/ferry_runtime_event_loop_delay_ms_count 5\n/);
    expect(text).to.match(/ferry_runtime_event_loop_delay_ms_max 1500\.000\n/);
  });

  it('sees a blocked event loop as a late sample', async () => {
    const d = new EventLoopDelay();
    d.start();
    try {
      await new Promise((r) => setTimeout(r, 30));
      const until = performance.now() + 120;
      while (performance.now() < until) {
        /* block the loop */
      }
      await new Promise((r) => setTimeout(r, 60));
      const text = d.metrics();
      expect(bucket(text, '+Inf') - bucket(text, '50')).to.be.greaterThan(0);
      expect(Number(/_max ([\d.]+)/.exec(text)?.[1])).to.be.greaterThan(80);
    } finally {
      d.stop();
    }
  });
});

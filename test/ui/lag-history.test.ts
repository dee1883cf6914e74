import { expect } from 'chai';
import { BEHIND_HEARTBEAT_MS, BEHIND_WAL_ENTRIES, heartbeatAgeOf, isBehind, LagHistory, lagChartPath, walLagOf } from '../../ui/lag-history.js';

describe('dashboard lag history', () => {
  it('measures lag as WAL entries the primary has and the secondary has not, never negative', () => {
    expect(walLagOf(120, 100)).to.equal(20);
    expect(walLagOf(100, 100)).to.equal(0);
    // A secondary read a moment after its primary may be ahead of that reading.
    expect(walLagOf(100, 104)).to.equal(0);
    expect(walLagOf(undefined, 4)).to.equal(undefined);
    expect(walLagOf(4, undefined)).to.equal(undefined);
  });

  it('ages heartbeats from their RFC 3339 time, and has no age without one', () => {
    const now = Date.parse('2026-01-01T00:00:10.000Z');
    expect(heartbeatAgeOf('2026-01-01T00:00:07.500Z', now)).to.equal(2500);
    expect(heartbeatAgeOf('2026-01-01T00:00:11.000Z', now)).to.equal(0);
    expect(heartbeatAgeOf('', now)).to.equal(undefined);
    expect(heartbeatAgeOf('not a time', now)).to.equal(undefined);
  });

  it('calls a link behind on a stale heartbeat or too many missing WAL entries', () => {
    expect(isBehind({ walLag: 0, heartbeatAgeMs: 900 })).to.equal(false);
    expect(isBehind({ walLag: BEHIND_WAL_ENTRIES - 1, heartbeatAgeMs: BEHIND_HEARTBEAT_MS })).to.equal(false);
    expect(isBehind({ walLag: BEHIND_WAL_ENTRIES, heartbeatAgeMs: 100 })).to.equal(true);
    expect(isBehind({ walLag: 0, heartbeatAgeMs: BEHIND_HEARTBEAT_MS + 1 })).to.equal(true);
    expect(isBehind({ walLag: undefined, heartbeatAgeMs: undefined })).to.equal(false);
  });

  it('keeps samples of the window only, per secondary, and forgets revoked secondaries', () => {
    const history = new LagHistory(60_000);
    for (let t = 0; t <= 120_000; t += 10_000) history.record('a', { atMs: t, walLag: t / 1000, heartbeatAgeMs: 0 });
    history.record('b', { atMs: 120_000, walLag: 1, heartbeatAgeMs: 0 });
    expect(history.series('a').map((s) => s.atMs)).to.deep.equal([60_000, 70_000, 80_000, 90_000, 100_000, 110_000, 120_000]);
    expect(history.ids()).to.deep.equal(['a', 'b']);
    history.keepOnly(['b']);
    expect(history.ids()).to.deep.equal(['b']);
    expect(history.series('a')).to.deep.equal([]);
  });

  it('plots lag with now at the right edge and the largest lag at the top, skipping unknown samples', () => {
    const samples = [
      { atMs: 0, walLag: 0, heartbeatAgeMs: 0 },
      { atMs: 30_000, walLag: undefined, heartbeatAgeMs: 0 },
      { atMs: 50_000, walLag: 10, heartbeatAgeMs: 0 },
      { atMs: 60_000, walLag: 5, heartbeatAgeMs: 0 },
    ];
    const { d, maxLag } = lagChartPath(samples, { widthPx: 300, heightPx: 100, windowMs: 60_000, nowMs: 60_000 });
    expect(maxLag).to.equal(10);
    expect(d).to.equal('M 0 100 L 250 0 L 300 50');
    expect(lagChartPath([], { widthPx: 300, heightPx: 100, windowMs: 60_000, nowMs: 60_000 })).to.deep.equal({ d: '', maxLag: 1 });
  });
});

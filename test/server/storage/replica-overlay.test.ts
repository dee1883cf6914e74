import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageOp } from '../../../server/storage/backend.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';
import { ReplicaOverlay } from '../../../server/storage/replica-overlay.js';
import { SqliteBackend } from '../../../server/storage/sqlite-backend.js';
import { describeStorageContract, INVALID_PUT } from './contract.js';

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');
const put = (key: string, value = key): StorageOp => ({ op: 'put', key, value: buf(value) });
const del = (key: string): StorageOp => ({ op: 'delete', key });
const ahead = { isVisibleFirst: true, canDeferFlush: true } as const;

describeStorageContract('ReplicaOverlay over MemoryBackend', async () => new ReplicaOverlay(new MemoryBackend()));

describe('ReplicaOverlay', () => {
  let tempDir: string;
  let storage: SqliteBackend;
  beforeEach(async () => {
    tempDir = mkdtempSync(join(tmpdir(), 'ferry-overlay-test-'));
    storage = await SqliteBackend.open({ path: join(tempDir, 'ferry.db') });
  });
  afterEach(async () => {
    await storage.close().catch(() => undefined);
    rmSync(tempDir, { recursive: true, force: true });
  });

  it('serves a write at once, before it commits, and persists it behind in order', async () => {
    await storage.transaction([put('a/1', 'old'), put('a/2'), put('a/4')]);
    const overlay = new ReplicaOverlay(storage);
    const first = overlay.write([put('a/1', 'new'), del('a/2'), put('a/3')], ahead);
    await first.visible;
    expect(overlay.size, 'visible before its commit').to.equal(3);
    expect((await overlay.get('a/1'))?.toString()).to.equal('new');
    expect(await overlay.get('a/2')).to.equal(undefined);
    expect(await overlay.scanKeys('a/')).to.deep.equal(['a/1', 'a/3', 'a/4']);
    await first.persisted;
    expect(overlay.size, 'committed entries leave the overlay').to.equal(0);
    expect((await storage.get('a/1'))?.toString()).to.equal('new');
    expect(await storage.scanKeys('a/')).to.deep.equal(['a/1', 'a/3', 'a/4']);
  });

  it('merges pending puts and deletes into scans and lists in key order, with paging', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `p/${String(i).padStart(2, '0')}`);
    await storage.transaction(keys.map((k) => put(k)));
    const overlay = new ReplicaOverlay(storage);
    // Many writes queue at once: most are still pending while the reads below run.
    const writes = [
      overlay.write([del('p/00'), del('p/01'), del('p/02'), del('p/03')], ahead),
      overlay.write([put('p/015'), put('p/99'), put('p/d/x')], ahead),
      overlay.write([del('p/05'), put('p/05', 'again')], ahead),
      overlay.write([del('p/10'), put('p/\u{1F600}'), put('p/\uffff')], ahead),
    ];
    await Promise.all(writes.map((w) => w.visible));
    const expected = [...keys.filter((k) => !['p/00', 'p/01', 'p/02', 'p/03', 'p/10'].includes(k)), 'p/015', 'p/99', 'p/d/x', 'p/\uffff', 'p/\u{1F600}'];
    expected.sort((a, b) => Buffer.compare(buf(a), buf(b)));
    // Page through with small limits: every key once, in storage's (UTF-8) order.
    const paged: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await overlay.scan('p/', { ...(after === undefined ? {} : { after }), limit: 3 });
      if (page.length === 0) break;
      expect(page.length).to.be.at.most(3);
      paged.push(...page.map((e) => e.key));
      after = page[page.length - 1]?.key;
    }
    expect(paged).to.deep.equal(expected);
    expect((await overlay.scan('p/', { after: 'p/04', limit: 1 }))[0]?.value.toString()).to.equal('again');
    expect(await overlay.list('p/'))
      .to.include.members(['015', '99', 'd/'])
      .and.not.include.members(['00', '10']);
    await Promise.all(writes.map((w) => w.persisted));
    expect(await storage.scanKeys('p/')).to.deep.equal(expected);
    expect(await overlay.scanKeys('p/')).to.deep.equal(expected);
  });

  it('drops a folder from a list once every key below it is deleted, and keeps it while one is left', async () => {
    await storage.transaction([put('l/f/1'), put('l/f/2'), put('l/g/1'), put('l/leaf')]);
    const overlay = new ReplicaOverlay(storage);
    const w = overlay.write([del('l/f/1'), del('l/f/2'), del('l/g/1'), put('l/g/2'), del('l/leaf')], ahead);
    await w.visible;
    expect(await overlay.list('l/')).to.deep.equal(['g/']);
    await w.persisted;
    expect(await overlay.list('l/')).to.deep.equal(['g/']);
  });

  it('keeps the latest of several pending writes of one key (delete, then put, then delete)', async () => {
    await storage.transaction([put('k', 'stored')]);
    const overlay = new ReplicaOverlay(storage);
    const a = overlay.write([del('k')], ahead);
    const b = overlay.write([put('k', 'again')], ahead);
    await b.visible;
    expect((await overlay.get('k'))?.toString()).to.equal('again');
    const c = overlay.write([del('k')], ahead);
    await c.visible;
    expect(await overlay.get('k')).to.equal(undefined);
    await a.persisted;
    // The first commit must not remove the later ops' entries.
    expect(await overlay.get('k')).to.equal(undefined);
    await Promise.all([b.persisted, c.persisted]);
    expect(await storage.get('k')).to.equal(undefined);
    expect(overlay.size).to.equal(0);
  });

  it('waits for room past its bound instead of buffering without limit', async () => {
    const overlay = new ReplicaOverlay(storage, { maxOps: 4, maxBytes: 1 << 20 });
    const first = overlay.write([put('b/1'), put('b/2'), put('b/3'), put('b/4')], ahead);
    await first.visible;
    let isSecondVisible = false;
    const second = overlay.write([put('b/5')], ahead);
    void second.visible.then(() => (isSecondVisible = true));
    // A write of the chain queued behind the waiting one waits too (the chain's order is storage's).
    const third = overlay.write([put('b/6')], { isVisibleFirst: false, canDeferFlush: true });
    await Promise.resolve();
    expect(isSecondVisible, 'no room until the first commit').to.equal(false);
    expect(overlay.size, 'only the first write is held').to.equal(4);
    await first.persisted;
    await second.visible;
    expect((await overlay.get('b/5'))?.toString()).to.equal('b/5');
    await Promise.all([second.persisted, third.persisted]);
    expect(await storage.scanKeys('b/')).to.deep.equal(['b/1', 'b/2', 'b/3', 'b/4', 'b/5', 'b/6']);
  });

  it('drops every pending op when a persist fails, and commits none of the writes after it', async () => {
    await storage.transaction([put('f/kept', 'stored')]);
    const overlay = new ReplicaOverlay(storage);
    const good = overlay.write([put('f/0')], ahead);
    const bad = overlay.write([put('f/1'), INVALID_PUT], ahead);
    const later = overlay.write([put('f/2'), put('f/kept', 'changed')], ahead);
    await later.visible;
    expect((await overlay.get('f/kept'))?.toString()).to.equal('changed');
    const outcomes = await Promise.allSettled([good.persisted, bad.persisted, later.persisted]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'rejected']);
    await overlay.drain();
    // Refused until resumed: nothing may commit past the hole.
    const refused = overlay.write([put('f/9')], ahead);
    expect((await Promise.allSettled([refused.visible, refused.persisted])).map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
    expect(overlay.resume()).to.include.members(['f/1', 'f/2', 'f/kept']);
    // Storage holds a prefix of the chain: the first write only, and reads see storage again.
    expect(await storage.scanKeys('f/')).to.deep.equal(['f/0', 'f/kept']);
    expect((await overlay.get('f/kept'))?.toString()).to.equal('stored');
    expect(await overlay.scanKeys('f/')).to.deep.equal(['f/0', 'f/kept']);
    // A new chain after the drop commits normally.
    const next = overlay.write([put('f/3')], ahead);
    await next.persisted;
    expect(await storage.scanKeys('f/')).to.deep.equal(['f/0', 'f/3', 'f/kept']);
  });

  it('fails a write that was not served alone: served ones before and after it commit', async () => {
    const overlay = new ReplicaOverlay(storage);
    const before = overlay.write([put('g/0')], ahead);
    const plain = overlay.write([put('g/1'), INVALID_PUT], { isVisibleFirst: false, canDeferFlush: false });
    const after = overlay.write([put('g/2')], ahead);
    const outcomes = await Promise.allSettled([before.persisted, plain.visible, after.persisted]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(await storage.scanKeys('g/')).to.deep.equal(['g/0', 'g/2']);
    await overlay.write([put('g/3')], ahead).persisted;
    expect(overlay.resume(), 'nothing was dropped').to.deep.equal([]);
  });

  it('opens a consistent read only once pending writes are persisted', async () => {
    const overlay = new ReplicaOverlay(storage);
    const w = overlay.write([put('c/1'), put('c/2')], ahead);
    await w.visible;
    const read = await overlay.consistentRead();
    try {
      expect((await read.scan(undefined, 10)).map((e) => e.key)).to.include.members(['c/1', 'c/2']);
    } finally {
      await read.release();
    }
  });
});

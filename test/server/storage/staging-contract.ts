/**
 * The staging part of the storage contract (StagingArea in server/storage/backend.ts): a whole
 * keyspace loaded beside the live keys and swapped in by one transaction, all or nothing.
 * Run for every backend by `describeStorageContract`.
 */
import { expect } from 'chai';
import type { StorageBackend, StorageEntry } from '../../../server/storage/backend.js';
import { INVALID_PUT } from './contract.js';

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');
const entries = (...pairs: [string, string][]): StorageEntry[] => pairs.map(([key, value]) => ({ key, value: buf(value) }));

async function contents(backend: StorageBackend): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await backend.scan('')) out[e.key] = e.value.toString('utf8');
  return out;
}

export function describeStagingContract(backend: () => StorageBackend): void {
  describe('staging (bulk replacement of the keyspace)', () => {
    it('keeps staged entries out of sight until install, which replaces every key and applies its ops in one go', async () => {
      const b = backend();
      await b.put('live/a', buf('old-a'));
      await b.put('live/b', buf('old-b'));
      const area = await b.beginStaging();
      await area.add(entries(['live/a', 'new-a'], ['sys/x', 'x1']));
      await area.add(entries(['sys/y', 'y1'], ['sys/x', 'x2']));
      // Staged entries are not live; live writes go on meanwhile.
      expect(await contents(b)).to.deep.equal({ 'live/a': 'old-a', 'live/b': 'old-b' });
      await b.put('live/c', buf('written-while-staging'));
      expect(await b.list('')).to.deep.equal(['live/']);
      await area.install([
        { op: 'put', key: 'state', value: buf('secondary') },
        { op: 'delete', key: 'sys/y' },
      ]);
      // A later add of a key wins; the live keys the staged ones do not name are gone.
      expect(await contents(b)).to.deep.equal({ 'live/a': 'new-a', 'sys/x': 'x2', state: 'secondary' });
      expect(await b.get('live/b')).to.equal(undefined);
      expect(await b.list('')).to.deep.equal(['live/', 'state', 'sys/']);
      // Ordinary writes work on the installed keyspace.
      await b.put('after', buf('1'));
      expect((await b.get('after'))?.toString()).to.equal('1');
    });

    it('is used up by install: adding to it afterwards fails, and a new one starts empty', async () => {
      const b = backend();
      const area = await b.beginStaging();
      await area.add(entries(['k', 'v']));
      await area.install([]);
      let failed = false;
      await area.add(entries(['late', 'v'])).catch(() => (failed = true));
      expect(failed).to.equal(true);
      const next = await b.beginStaging();
      await next.install([]);
      expect(await contents(b)).to.deep.equal({});
    });

    it('leaves the live keys as they were when discarded', async () => {
      const b = backend();
      await b.put('live', buf('kept'));
      const area = await b.beginStaging();
      await area.add(entries(['staged', 'dropped']));
      await area.discard();
      await area.discard();
      expect(await contents(b)).to.deep.equal({ live: 'kept' });
    });

    it('changes nothing when the install fails, and drops the staged entries', async () => {
      const b = backend();
      await b.put('live', buf('kept'));
      const area = await b.beginStaging();
      await area.add(entries(['staged', 'never-live']));
      let failed = false;
      await area.install([{ op: 'put', key: 'state', value: buf('x') }, INVALID_PUT]).catch(() => (failed = true));
      expect(failed).to.equal(true);
      expect(await contents(b)).to.deep.equal({ live: 'kept' });
      // The storage still writes, and a new staging area does not see the failed one's entries.
      await b.put('live2', buf('ok'));
      const next = await b.beginStaging();
      await next.add(entries(['fresh', '1']));
      await next.install([]);
      expect(await contents(b)).to.deep.equal({ fresh: '1' });
    });

    it('starts empty: beginning again drops what an earlier area staged', async () => {
      const b = backend();
      const first = await b.beginStaging();
      await first.add(entries(['leftover', 'x']));
      const second = await b.beginStaging();
      await second.add(entries(['wanted', 'y']));
      await second.install([]);
      expect(await contents(b)).to.deep.equal({ wanted: 'y' });
    });

    it('stages a large keyspace in pages and installs all of it', async () => {
      const b = backend();
      const area = await b.beginStaging();
      for (let page = 0; page < 5; page++) {
        await area.add(
          Array.from({ length: 1000 }, (_, i) => ({
            key: `bulk/${String(page * 1000 + i).padStart(5, '0')}`,
            value: Buffer.alloc(64, (page * 1000 + i) % 256),
          })),
        );
      }
      await area.install([]);
      const all = await b.scan('bulk/');
      expect(all.length).to.equal(5000);
      expect(all[4999]?.key).to.equal('bulk/04999');
      expect(all[4999]?.value.equals(Buffer.alloc(64, 4999 % 256))).to.equal(true);
    });
  });
}

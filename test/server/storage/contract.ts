/**
 * The storage contract (server/storage/backend.ts) as one suite that every backend must pass.
 * Call `describeStorageContract(name, makeBackend)` from the backend's own test file.
 */
import { expect } from 'chai';
import type { StorageBackend, StorageOp } from '../../../server/storage/backend.js';
import { describeStagingContract } from './staging-contract.js';

const buf = (text: string): Buffer => Buffer.from(text, 'utf8');

/** An op no backend can apply (a put without a value): the injected failure for atomicity tests. */
export const INVALID_PUT: StorageOp = { op: 'put', key: 'tx/invalid', value: null as unknown as Buffer };

async function snapshot(backend: StorageBackend): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await backend.scan('')) out[e.key] = e.value.toString('utf8');
  return out;
}

/** Runs the shared contract against fresh backends from `makeBackend` (one per test, closed after). */
export function describeStorageContract(name: string, makeBackend: () => Promise<StorageBackend>): void {
  describe(`storage contract: ${name}`, () => {
    let backend: StorageBackend;
    let closed: boolean;

    beforeEach(async () => {
      backend = await makeBackend();
      closed = false;
    });

    afterEach(async () => {
      if (!closed) await backend.close();
    });

    describe('get / put / delete', () => {
      it('resolves a missing key to undefined', async () => {
        expect(await backend.get('nope')).to.equal(undefined);
      });

      it('returns the exact bytes that were put, including binary and empty values', async () => {
        const binary = Buffer.from([0, 255, 1, 254, 0, 10, 13]);
        await backend.put('bin', binary);
        await backend.put('empty', Buffer.alloc(0));
        expect(Buffer.compare((await backend.get('bin')) as Buffer, binary)).to.equal(0);
        expect((await backend.get('empty'))?.length).to.equal(0);
      });

      it('overwrites a value on a second put', async () => {
        await backend.put('k', buf('one'));
        await backend.put('k', buf('two'));
        expect((await backend.get('k'))?.toString()).to.equal('two');
      });

      it('does not let a caller mutate stored data through a returned buffer', async () => {
        await backend.put('k', buf('value'));
        const first = (await backend.get('k')) as Buffer;
        first.fill(0);
        expect((await backend.get('k'))?.toString()).to.equal('value');
      });

      it('deletes a key, and deleting a missing key is a no-op', async () => {
        await backend.put('k', buf('v'));
        await backend.delete('k');
        await backend.delete('never-existed');
        expect(await backend.get('k')).to.equal(undefined);
      });
    });

    describe('list', () => {
      beforeEach(async () => {
        for (const key of ['b/z', 'a', 'b/c', 'b/d/e', 'b/d/f/g', 'bb', 'c/x/y']) await backend.put(key, buf(key));
      });

      it('returns the immediate children of the root, folders once with a trailing slash, sorted', async () => {
        expect(await backend.list('')).to.deep.equal(['a', 'b/', 'bb', 'c/']);
      });

      it('returns the immediate children below a folder, sorted', async () => {
        expect(await backend.list('b/')).to.deep.equal(['c', 'd/', 'z']);
        expect(await backend.list('b/d/')).to.deep.equal(['e', 'f/']);
      });

      it('does not match a sibling that merely shares the prefix text', async () => {
        await backend.put('b-sibling/x', buf('x'));
        expect(await backend.list('b/')).to.not.include('-sibling/');
        expect(await backend.list('b/')).to.deep.equal(['c', 'd/', 'z']);
      });

      it('returns an empty list for a prefix with nothing below it', async () => {
        expect(await backend.list('missing/')).to.deep.equal([]);
      });

      it('drops a folder once its last key is deleted', async () => {
        await backend.delete('c/x/y');
        expect(await backend.list('')).to.deep.equal(['a', 'b/', 'bb']);
      });

      it('lists keys with non-ASCII names (BMP and astral characters) under a folder and at the root', async () => {
        await backend.put('u/\u00e9t\u00e9', buf('1'));
        await backend.put('u/\uffee', buf('2'));
        await backend.put('u/\u{1F600}', buf('3'));
        await backend.put('\u{1F680}/top', buf('4'));
        expect((await backend.list('u/')).sort()).to.deep.equal(['\u00e9t\u00e9', '\uffee', '\u{1F600}'].sort());
        expect(await backend.list('')).to.include('\u{1F680}/');
        expect((await backend.scan('u/')).map((e) => e.key)).to.have.members(['u/\u00e9t\u00e9', 'u/\uffee', 'u/\u{1F600}']);
      });
    });

    describe('scan', () => {
      const keys = ['s/a', 's/b', 's/c/d', 's/e', 's/f'];
      beforeEach(async () => {
        for (const key of [...keys].reverse()) await backend.put(key, buf(`v:${key}`));
        await backend.put('r/outside', buf('x'));
        await backend.put('s0', buf('x'));
        await backend.put('t/outside', buf('x'));
      });

      it('returns every entry below the prefix, recursively, in key order, with values', async () => {
        const entries = await backend.scan('s/');
        expect(entries.map((e) => e.key)).to.deep.equal(keys);
        expect(entries.map((e) => e.value.toString())).to.deep.equal(keys.map((k) => `v:${k}`));
      });

      it('scanKeys returns the same keys as scan, without values, with the same after and limit', async () => {
        expect(await backend.scanKeys('s/')).to.deep.equal(keys);
        expect(await backend.scanKeys('s/', { after: 's/b', limit: 2 })).to.deep.equal(['s/c/d', 's/e']);
        expect(await backend.scanKeys('s/', { after: 'a' })).to.deep.equal(keys);
        expect(await backend.scanKeys('s/', { after: 's/z' })).to.deep.equal([]);
        expect(await backend.scanKeys('')).to.deep.equal(['r/outside', ...keys, 's0', 't/outside']);
      });

      it('starts strictly after the `after` key', async () => {
        expect((await backend.scan('s/', { after: 's/b' })).map((e) => e.key)).to.deep.equal(['s/c/d', 's/e', 's/f']);
        expect((await backend.scan('s/', { after: 's/bb' })).map((e) => e.key)).to.deep.equal(['s/c/d', 's/e', 's/f']);
      });

      it('ignores an `after` key that sorts before the prefix', async () => {
        expect((await backend.scan('s/', { after: 'a' })).map((e) => e.key)).to.deep.equal(keys);
      });

      it('returns nothing when `after` is past the last key under the prefix', async () => {
        expect(await backend.scan('s/', { after: 's/z' })).to.deep.equal([]);
      });

      it('honours limit, and after + limit pages through every key exactly once', async () => {
        expect((await backend.scan('s/', { limit: 2 })).map((e) => e.key)).to.deep.equal(['s/a', 's/b']);
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await backend.scan('s/', { limit: 2, ...(after === undefined ? {} : { after }) });
          if (page.length === 0) break;
          seen.push(...page.map((e) => e.key));
          after = page[page.length - 1]?.key;
        }
        expect(seen).to.deep.equal(keys);
      });

      it('scans the whole store with an empty prefix', async () => {
        expect((await backend.scan('')).map((e) => e.key)).to.deep.equal(['r/outside', ...keys, 's0', 't/outside']);
      });
    });

    describe('transaction', () => {
      it('applies every operation of a transaction, in order', async () => {
        await backend.put('tx/old', buf('old'));
        await backend.put('tx/p/1', buf('1'));
        await backend.transaction([
          { op: 'put', key: 'tx/a', value: buf('a') },
          { op: 'put', key: 'tx/b', value: buf('b') },
          { op: 'delete', key: 'tx/old' },
          { op: 'delete-prefix', prefix: 'tx/p/' },
          { op: 'put', key: 'tx/p/2', value: buf('2') },
          { op: 'put', key: 'tx/a', value: buf('a2') },
        ]);
        expect(await snapshot(backend)).to.deep.equal({ 'tx/a': 'a2', 'tx/b': 'b', 'tx/p/2': '2' });
      });

      it('accepts an empty transaction', async () => {
        await backend.transaction([]);
        expect(await backend.scan('')).to.deep.equal([]);
      });

      it('rolls back every operation when one of them fails', async () => {
        await backend.put('tx/keep', buf('original'));
        await backend.put('tx/p/1', buf('1'));
        const before = await snapshot(backend);
        let failure: unknown;
        await backend
          .transaction([
            { op: 'put', key: 'tx/keep', value: buf('changed') },
            { op: 'put', key: 'tx/new', value: buf('new') },
            { op: 'delete-prefix', prefix: 'tx/p/' },
            INVALID_PUT,
            { op: 'put', key: 'tx/after', value: buf('after') },
          ])
          .catch((err: unknown) => (failure = err));
        expect(failure, 'the transaction should reject').to.be.instanceOf(Error);
        expect(await snapshot(backend)).to.deep.equal(before);
      });

      it('keeps working after a failed transaction', async () => {
        await backend.transaction([INVALID_PUT]).catch(() => undefined);
        await backend.transaction([{ op: 'put', key: 'tx/next', value: buf('ok') }]);
        expect((await backend.get('tx/next'))?.toString()).to.equal('ok');
      });

      it('fails only the failing transaction among concurrent ones, its batch-mates commit', async () => {
        await backend.put('mates/untouched', buf('kept'));
        const outcomes = await Promise.allSettled([
          backend.transaction([{ op: 'put', key: 'mates/a', value: buf('a') }]),
          backend.transaction([{ op: 'put', key: 'mates/b', value: buf('b') }]),
          backend.transaction([{ op: 'delete', key: 'mates/untouched' }, { op: 'put', key: 'mates/bad', value: buf('x') }, INVALID_PUT]),
          backend.transaction([
            { op: 'put', key: 'mates/c', value: buf('c') },
            { op: 'put', key: 'mates/d', value: buf('d') },
          ]),
          backend.transaction([INVALID_PUT]),
          backend.transaction([{ op: 'put', key: 'mates/e', value: buf('e') }]),
        ]);
        expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
        expect(await snapshot(backend)).to.deep.include({
          'mates/a': 'a',
          'mates/b': 'b',
          'mates/c': 'c',
          'mates/d': 'd',
          'mates/e': 'e',
          'mates/untouched': 'kept',
        });
        expect(await backend.get('mates/bad')).to.equal(undefined);
      });

      it('never interleaves concurrent transactions', async () => {
        const writers = 20;
        await Promise.all(
          Array.from({ length: writers }, (_, id) =>
            backend.transaction(Array.from({ length: 5 }, (_, j) => ({ op: 'put', key: `shared/k${j}`, value: buf(`w${id}`) }) as const)),
          ),
        );
        const values = new Set((await backend.scan('shared/')).map((e) => e.value.toString()));
        expect(values.size, `one writer's transaction must win whole, saw ${[...values].join(',')}`).to.equal(1);
      });
    });

    describe('delete-prefix', () => {
      it('removes exactly the keys below the prefix', async () => {
        for (const key of ['d/a', 'd/b/c', 'd', 'd-x', 'dz/a', 'e']) await backend.put(key, buf(key));
        await backend.transaction([{ op: 'delete-prefix', prefix: 'd/' }]);
        expect(Object.keys(await snapshot(backend))).to.deep.equal(['d', 'd-x', 'dz/a', 'e']);
      });

      it('removes keys with non-ASCII names below the prefix', async () => {
        await backend.put('n/\u{1F600}', buf('x'));
        await backend.put('n/\uffee', buf('x'));
        await backend.put('o', buf('x'));
        await backend.transaction([{ op: 'delete-prefix', prefix: 'n/' }]);
        expect(Object.keys(await snapshot(backend))).to.deep.equal(['o']);
      });

      it('is a no-op when nothing is below the prefix', async () => {
        await backend.put('keep', buf('x'));
        await backend.transaction([{ op: 'delete-prefix', prefix: 'nothing/' }]);
        expect(Object.keys(await snapshot(backend))).to.deep.equal(['keep']);
      });
    });

    describe('consistentRead', () => {
      it('sees the keys as of its start while writes go on, in key order, in batches', async () => {
        await backend.transaction(['c', 'a', 'b', 'd/x'].map((key): StorageOp => ({ op: 'put', key, value: buf(`v-${key}`) })));
        const read = await backend.consistentRead();
        try {
          // Writes are not blocked by the open read, and it does not see them.
          await backend.transaction([
            { op: 'put', key: 'a', value: buf('changed') },
            { op: 'delete', key: 'b' },
            { op: 'put', key: 'e', value: buf('new') },
          ]);
          expect(await read.count()).to.equal(4);
          const first = await read.scan(undefined, 2);
          const rest = await read.scan(first[first.length - 1]?.key, 10);
          expect([...first, ...rest].map((e) => [e.key, e.value.toString('utf8')])).to.deep.equal([
            ['a', 'v-a'],
            ['b', 'v-b'],
            ['c', 'v-c'],
            ['d/x', 'v-d/x'],
          ]);
          expect(await read.scan('d/x', 10)).to.deep.equal([]);
        } finally {
          await read.release();
        }
        expect(await snapshot(backend)).to.deep.equal({ a: 'changed', c: 'v-c', 'd/x': 'v-d/x', e: 'new' });
      });
    });

    describe('close', () => {
      it('closes cleanly after pending writes have finished', async () => {
        const writes = Array.from({ length: 10 }, (_, i) => backend.put(`c/${i}`, buf(String(i))));
        await Promise.all(writes);
        await backend.close();
        closed = true;
      });
    });

    describeStagingContract(() => backend);
  });
}

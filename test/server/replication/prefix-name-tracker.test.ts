import { expect } from 'chai';
import { PrefixNameTracker } from '../../../server/replication/prefix-name-tracker.js';

describe('PrefixNameTracker', () => {
  it('reads the indexed names below each deleted prefix, page by page, and skips bookkeeping and whole-store deletes', async () => {
    const stored = ['a/1', 'a/2', 'a/3', 'b/1', 'local/replication/wal/1'];
    const scans: string[] = [];
    const tracker = new PrefixNameTracker(async (prefix, after) => {
      scans.push(`${prefix}>${after ?? ''}`);
      return stored
        .filter((k) => k.startsWith(prefix) && (after === undefined || k > after))
        .sort()
        .slice(0, 2);
    });
    const names = await tracker.around(
      [
        { op: 'delete-prefix', prefix: 'a/' },
        { op: 'delete-prefix', prefix: 'local/replication/' },
        { op: 'delete-prefix', prefix: '' },
        { op: 'put', key: 'b/2', value: Buffer.from('x') },
      ],
      async (n) => n,
    );
    expect([...(names?.keys() ?? [])]).to.deep.equal(['a/']);
    expect([...(names?.get('a/') ?? [])]).to.deep.equal(['a/1', 'a/2', 'a/3']);
    expect(scans).to.deep.equal(['a/>', 'a/>a/2', 'a/>a/3']);
    expect(await tracker.around([{ op: 'put', key: 'a/9', value: Buffer.from('x') }], async (n) => n)).to.equal(undefined);
  });

  it('adds keys put below a prefix while its delete is pending, and forgets the prefix afterwards', async () => {
    const tracker = new PrefixNameTracker(async () => []);
    let seen: ReadonlySet<string> | undefined;
    await tracker.around([{ op: 'delete-prefix', prefix: 'a/' }], async (names) => {
      tracker.notePut('a/late');
      tracker.notePut('b/other');
      seen = names?.get('a/');
    });
    expect([...(seen ?? [])]).to.deep.equal(['a/late']);
    tracker.notePut('a/after'); // no pending delete: nothing to note, nothing kept
    let again: ReadonlySet<string> | undefined;
    await tracker.around([{ op: 'delete-prefix', prefix: 'a/' }], async (names) => {
      again = names?.get('a/');
    });
    expect([...(again ?? [])]).to.deep.equal([]);
  });
});

import { expect } from 'chai';
import { builtinAuths, builtinMounts } from '../../../server/core/builtin-mounts.js';
import { MountTable, newMountEntry, type MountEntry } from '../../../server/core/mount-table.js';
import { DR_KEYSET, performanceKeyset } from '../../../server/replication/keyset.js';
import type { KnownSecondary } from '../../../server/replication/replication-state.js';
import { filteredMountPaths, keysetOf, keysetVersion, UNFILTERED_VERSION } from '../../../server/replication/secondary-keyset.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';

describe('a known secondary’s keyset, resolved against the mount tables', () => {
  let tables: { mounts: MountTable; auths: MountTable };
  const entries: Record<string, MountEntry> = {};
  const base: KnownSecondary = { id: 'eu', certSerial: '01', issuedAt: '', tokenExpiresAt: '' };

  const mount = (kind: 'mounts' | 'auth', path: string, type: string, local = false): MountEntry =>
    newMountEntry(kind, { path, type, description: '', local, sealWrap: false, config: { default_lease_ttl: 0, max_lease_ttl: 0 }, options: null });

  before(async () => {
    const storage = new MemoryBackend();
    tables = { mounts: new MountTable('mounts', storage, builtinMounts()), auths: new MountTable('auth', storage, builtinAuths()) };
    for (const [name, kind, entry] of [
      ['eu', 'mounts', mount('mounts', 'secret-eu/', 'kv')],
      ['us', 'mounts', mount('mounts', 'secret-us/', 'kv')],
      ['site', 'mounts', mount('mounts', 'site/', 'kv', true)],
      ['userpass', 'auth', mount('auth', 'userpass/', 'userpass')],
    ] as const) {
      entries[name] = entry;
      await (kind === 'auth' ? tables.auths : tables.mounts).add(entry);
    }
  });

  const dataOf = (name: string, sub = 'data/k'): string => `${name === 'userpass' ? 'auth' : 'logical'}/${(entries[name] as MountEntry).uuid}/${sub}`;

  it('is everything but bookkeeping for a DR secondary, replicated keys for a performance one', () => {
    expect(keysetOf({ ...base, kind: 'dr' }, tables)).to.equal(DR_KEYSET);
    expect(keysetOf(base, tables)).to.equal(performanceKeyset());
    expect(filteredMountPaths(base, tables)).to.deep.equal([]);
  });

  it('leaves out the data of the mounts a deny filter names, by their storage prefix', () => {
    const secondary: KnownSecondary = { ...base, pathsFilter: { mode: 'deny', paths: ['secret-eu/', 'auth/userpass/', 'not-mounted-yet/'] } };
    const keyset = keysetOf(secondary, tables);
    expect(keyset.includes(dataOf('eu'))).to.equal(false);
    expect(keyset.includes(dataOf('userpass', 'user/alice'))).to.equal(false);
    expect(keyset.includes(dataOf('us'))).to.equal(true);
    expect(keyset.includes('core/mounts')).to.equal(true);
    expect(filteredMountPaths(secondary, tables).sort()).to.deep.equal(['auth/userpass/', 'secret-eu/']);
  });

  it('ships only the listed mounts under allow; local and built-in mounts are never listed as filtered', () => {
    const secondary: KnownSecondary = { ...base, pathsFilter: { mode: 'allow', paths: ['secret-eu/'] } };
    const keyset = keysetOf(secondary, tables);
    expect(keyset.includes(dataOf('eu'))).to.equal(true);
    expect(keyset.includes(dataOf('us'))).to.equal(false);
    expect(filteredMountPaths(secondary, tables).sort()).to.deep.equal(['auth/userpass/', 'secret-us/']);
  });

  it('versions the keyset by kind and filter (order of paths aside), unfiltered performance by a fixed name', () => {
    expect(keysetVersion(undefined)).to.equal(UNFILTERED_VERSION);
    expect(keysetVersion(base)).to.equal(UNFILTERED_VERSION);
    const a = keysetVersion({ pathsFilter: { mode: 'deny', paths: ['a/', 'b/'] } });
    expect(keysetVersion({ pathsFilter: { mode: 'deny', paths: ['b/', 'a/'] } })).to.equal(a);
    expect(keysetVersion({ pathsFilter: { mode: 'allow', paths: ['a/', 'b/'] } })).to.not.equal(a);
    expect(keysetVersion({ kind: 'dr' })).to.not.equal(UNFILTERED_VERSION);
  });
});

import { expect } from 'chai';
import type { LogicalStorage } from '../../../server/core/barrier.js';
import type { AuthMountInfo, Entity } from '../../../server/core/identity-model.js';
import { IdentityStore } from '../../../server/core/identity-store.js';
import { VaultError } from '../../../server/core/vault-error.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';

const mounts: Record<string, AuthMountInfo> = { auth_up_1: { accessor: 'auth_up_1', type: 'userpass', path: 'userpass/' } };
const newStore = (storage: LogicalStorage = new MemoryBackend()) => new IdentityStore(storage, (accessor) => mounts[accessor]);

/** Storage as a replication secondary sees it: replicated writes are refused with `read_only`. */
function readOnly(inner: LogicalStorage): LogicalStorage {
  const refuse = () => Promise.reject(new VaultError('read_only', 'cannot write to readonly storage'));
  return { get: (k) => inner.get(k), list: (p) => inner.list(p), scan: (p, o) => inner.scan(p, o), put: refuse, delete: refuse, transaction: refuse };
}

describe('IdentityStore', () => {
  it('creates one entity for concurrent first logins of the same alias', async () => {
    const store = newStore();
    const entities = await Promise.all(Array.from({ length: 8 }, () => store.entityForLogin('auth_up_1', 'alice', { username: 'alice' })));
    const ids = new Set(entities.map((e) => e?.id));
    expect(ids.size).to.equal(1);
    expect(await store.all('entity')).to.have.length(1);
    expect(await store.all('entity-alias')).to.have.length(1);
  });

  it('gives the same entity to later logins, and separate entities to other names', async () => {
    const store = newStore();
    const a = await store.entityForLogin('auth_up_1', 'alice', {});
    const b = await store.entityForLogin('auth_up_1', 'bob', {});
    expect((await store.entityForLogin('auth_up_1', 'alice', {}))?.id).to.equal(a?.id);
    expect(b?.id).to.not.equal(a?.id);
    expect(a?.name).to.match(/^entity_[0-9a-f]{8}$/);
  });

  it('on read-only (secondary) storage, a login uses an existing entity and gets none for a new alias', async () => {
    const shared = new MemoryBackend();
    const primary = newStore(shared);
    const existing = await primary.entityForLogin('auth_up_1', 'alice', {});
    const secondary = newStore(readOnly(shared));
    expect((await secondary.entityForLogin('auth_up_1', 'alice', {}))?.id).to.equal(existing?.id);
    expect(await secondary.entityForLogin('auth_up_1', 'newcomer', {})).to.equal(undefined);
    // Any other write still fails with read_only, for the HTTP layer to forward.
    try {
      await secondary.upsertEntity(undefined, { name: 'x' });
      expect.fail('wrote on read-only storage');
    } catch (err) {
      expect((err as VaultError).code).to.equal('read_only');
    }
  });

  it('renames keep the name index exact: the old name is free, the new one taken', async () => {
    const store = newStore();
    const { entity } = await store.upsertEntity(undefined, { name: 'old' });
    await store.upsertEntity(entity.id, { name: 'new' });
    expect(await store.byName('entity', 'old')).to.equal(undefined);
    expect((await store.byName<Entity>('entity', 'new'))?.id).to.equal(entity.id);
    const other = await store.upsertEntity(undefined, { name: 'old' });
    expect(other.created).to.equal(true);
  });

  it('collects policies from the entity and every group above it', async () => {
    const store = newStore();
    const { entity } = await store.upsertEntity(undefined, { name: 'e', policies: ['own'] });
    const { group: inner } = await store.upsertGroup(undefined, { name: 'inner', policies: ['inner-p'], member_entity_ids: [entity.id] });
    await store.upsertGroup(undefined, { name: 'outer', policies: ['outer-p'], member_group_ids: [inner.id] });
    await store.upsertGroup(undefined, { name: 'unrelated', policies: ['nope'] });
    const { policies, disabled } = await store.policiesOf(entity.id);
    expect(policies).to.have.members(['own', 'inner-p', 'outer-p']);
    expect(disabled).to.equal(false);
    expect(await store.policiesOf('no-such-entity')).to.deep.equal({ policies: [], disabled: false });
  });
});

import { expect } from 'chai';
import { newRole } from '../../../../server/backends/approle/approle-role.js';
import { SecretIdStore } from '../../../../server/backends/approle/secret-id-store.js';
import { MemoryBackend } from '../../../../server/storage/memory-backend.js';

describe('SecretIdStore', () => {
  const input = { numUses: 3, ttlSeconds: 0, metadata: {}, cidrList: [], tokenBoundCidrs: [] };

  it('grants a secret ID with N uses to at most N of many concurrent logins, then forgets it', async () => {
    const replicated = new MemoryBackend();
    const store = new SecretIdStore(replicated, new MemoryBackend());
    const role = newRole();
    const made = await store.create(role, 'web', input);
    if ('duplicate' in made) return expect.fail('duplicate');
    const results = await Promise.all(Array.from({ length: 20 }, () => store.use(role, 'web', made.secretId)));
    expect(results.filter((r) => r.ok)).to.have.length(3);
    expect(await store.lookup(role, 'web', made.secretId)).to.equal(undefined);
    expect(await replicated.scan('')).to.deep.equal([]);
  });

  it('stores only HMACs of secret IDs and digests of accessors, in the local storage for local_secret_ids', async () => {
    const replicated = new MemoryBackend();
    const local = new MemoryBackend();
    const store = new SecretIdStore(replicated, local);
    const role = { ...newRole(), local_secret_ids: true };
    const made = await store.create(role, 'edge', { ...input, secretId: 'CANARY-secret-id-8d21' });
    if ('duplicate' in made) return expect.fail('duplicate');
    expect(await replicated.scan('')).to.deep.equal([]);
    const stored = await local.scan('');
    expect(stored).to.have.length(2);
    const everything = stored.map((e) => e.key + e.value.toString('utf8')).join('\n');
    expect(everything).not.to.include('CANARY-secret-id-8d21');
    expect(everything).not.to.include(`accessor/${made.entry.secret_id_accessor}`);
    expect(await store.create(role, 'edge', { ...input, secretId: 'CANARY-secret-id-8d21' })).to.deep.equal({ duplicate: true });
  });

  it('keeps secret IDs of two roles apart, and a role recreated under the same name starts empty', async () => {
    const store = new SecretIdStore(new MemoryBackend(), new MemoryBackend());
    const a = newRole();
    const b = newRole();
    const made = await store.create(a, 'web', { ...input, secretId: 'shared-value' });
    if ('duplicate' in made) return expect.fail('duplicate');
    expect(await store.lookup(b, 'other', 'shared-value')).to.equal(undefined);
    expect(await store.lookupByAccessor(b, 'other', made.entry.secret_id_accessor)).to.equal(undefined);
    expect(await store.listAccessors(newRole(), 'web')).to.deep.equal([]);
  });
});

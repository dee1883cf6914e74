import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createCore } from '../../../server/core/create-core.js';
import { REVOCATION_PENDING } from '../../../server/core/token-store.js';
import { layout } from '../../../server/core/storage-layout.js';
import type { StorageBackend } from '../../../server/storage/backend.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';
import { SqliteBackend } from '../../../server/storage/sqlite-backend.js';
import { startInProcessCore, type InProcessCore } from '../../helpers/in-process-core.js';

describe('TokenStore use reservation on every storage backend', () => {
  let tempDir: string;
  before(() => {
    tempDir = mkdtempSync(join(tmpdir(), 'ferry-token-store-test-'));
  });
  after(() => rmSync(tempDir, { recursive: true, force: true }));

  const backends: [string, () => Promise<StorageBackend>][] = [
    ['memory', async () => new MemoryBackend()],
    ['sqlite', () => SqliteBackend.open({ path: join(tempDir, 'tokens.db') })],
  ];
  for (const [kind, open] of backends) {
    it(`hands out exactly the remaining uses to 40 concurrent reservations (${kind})`, async () => {
      const physical = await open();
      const core = createCore({
        physical,
        logger: pino({ level: 'silent' }),
        clusterName: 't',
        apiAddr: 'http://127.0.0.1:1',
        clusterAddr: 'https://127.0.0.1:2',
        isDev: false,
      });
      try {
        await core.initialize(1, 1, { stayUnsealed: true });
        const { id, entry } = await core.tokens.create({ policies: ['default'], path: 'auth/token/create', numUses: 5 });
        const results = await Promise.all(Array.from({ length: 40 }, () => core.tokens.reserveUse(entry.hash)));
        expect(results.filter((r) => r !== undefined)).to.have.length(5);
        expect(await core.tokens.lookupById(id)).to.equal(undefined);
        expect((await core.tokens.lookupById(id, { includeRevocationPending: true }))?.numUses).to.equal(REVOCATION_PENDING);
      } finally {
        await core.sealCore();
        await physical.close();
      }
    });
  }
});

describe('TokenStore use reservation', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore();
    await env.call('update', 'leasing/values/app', { data: { value: 'v' } });
    await env.call('update', 'sys/policies/acl/app', {
      data: { policy: 'path "leasing/values/*" { capabilities = ["read", "update", "create"] }\npath "auth/token/create" { capabilities = ["update"] }' },
    });
  });
  afterEach(() => env.core.sealCore());

  const limitedToken = async (numUses: number): Promise<string> => {
    const res = await env.call('update', 'auth/token/create', { data: { policies: ['app'], num_uses: numUses } });
    return res?.auth?.clientToken as string;
  };
  const hashOf = (id: string) => env.core.tokens.hashOf(id);

  it('hands out exactly the remaining uses to concurrent reservations', async () => {
    const id = await limitedToken(3);
    const results = await Promise.all(Array.from({ length: 20 }, () => env.core.tokens.reserveUse(hashOf(id))));
    const granted = results.filter((r) => r !== undefined);
    expect(granted).to.have.length(3);
    expect(granted.map((e) => e?.numUses).sort()).to.deep.equal([REVOCATION_PENDING, 1, 2].sort());
  });

  it('marks the last use as revocation pending: the token no longer authenticates, but its holder can still see it', async () => {
    const id = await limitedToken(1);
    const reserved = await env.core.tokens.reserveUse(hashOf(id));
    expect(reserved?.numUses).to.equal(REVOCATION_PENDING);
    expect(await env.core.tokens.lookupById(id)).to.equal(undefined);
    expect((await env.core.tokens.lookupById(id, { includeRevocationPending: true }))?.numUses).to.equal(REVOCATION_PENDING);
    expect(await env.core.tokens.reserveUse(hashOf(id))).to.equal(undefined);
  });

  it('leaves a token without a use limit unchanged', async () => {
    const id = await limitedToken(0);
    for (let i = 0; i < 3; i++) expect((await env.core.tokens.reserveUse(hashOf(id)))?.numUses).to.equal(0);
    expect((await env.core.tokens.lookupById(id))?.numUses).to.equal(0);
  });

  it('does not give uses back when renewals run concurrently with reservations', async () => {
    const id = await limitedToken(4);
    const entry = await env.core.tokens.lookupById(id);
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 4; i++) work.push(env.core.tokens.renew(entry!, 600), env.core.tokens.reserveUse(hashOf(id)));
    await Promise.all(work);
    expect(await env.core.tokens.lookupById(id)).to.equal(undefined);
    expect(await env.core.tokens.reserveUse(hashOf(id))).to.equal(undefined);
  });

  it('never writes a revoked token back when a reservation races its revocation', async () => {
    for (let round = 0; round < 10; round++) {
      const id = await limitedToken(5);
      const entry = await env.core.tokens.lookupById(id);
      await Promise.all([env.core.tokens.reserveUse(hashOf(id)), env.core.tokens.revokeTree(entry!), env.core.tokens.reserveUse(hashOf(id))]);
      expect(await env.core.tokens.lookupById(id, { includeRevocationPending: true })).to.equal(undefined);
      expect((await env.core.tokens.allEntries()).some((e) => e.hash === entry!.hash)).to.equal(false);
    }
  });

  it('has the expiration sweep revoke a token whose last use was taken by a request that never finished (a restart)', async () => {
    const id = await limitedToken(1);
    const held = await limitedToken(1);
    await env.core.tokens.reserveUse(hashOf(id));
    await env.core.tokens.reserveUse(hashOf(held));
    // While its request runs, a pending token is left alone by the sweep.
    await env.core.expiration.sweep();
    expect(await env.core.tokens.lookupById(id, { includeRevocationPending: true })).not.to.equal(undefined);
    await env.core.sealCore();
    // No timed sweep after the restart: the test runs the one it observes.
    env = await startInProcessCore({ restart: { physical: env.physical, unsealKeys: env.unsealKeys, rootToken: env.rootToken }, sweepIntervalMs: 3_600_000 });
    const hash = env.core.tokens.hashOf(id);
    expect((await env.core.tokens.allEntries()).some((e) => e.hash === hash)).to.equal(true);
    await env.core.expiration.sweep();
    expect((await env.core.tokens.allEntries()).some((e) => e.hash === hash)).to.equal(false);
  });

  describe('through the core', () => {
    it('gives one of many simultaneous requests the single use; the others are denied', async () => {
      const id = await limitedToken(1);
      const calls = Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? env.call('read', 'leasing/values/app', { token: id })
          : env.call('update', `leasing/values/w${i}`, { token: id, data: { value: String(i) } }),
      );
      const settled = await Promise.allSettled(calls);
      expect(settled.filter((s) => s.status === 'fulfilled')).to.have.length(1);
      for (const s of settled) if (s.status === 'rejected') expect((s.reason as { code: string }).code).to.equal('permission_denied');
    });

    it('consumes a use on a request that fails (a missing read)', async () => {
      const id = await limitedToken(2);
      expect(await env.call('read', 'leasing/values/missing', { token: id })).to.equal(undefined);
      expect((await env.core.tokens.lookupById(id))?.numUses).to.equal(1);
      await env.fails('read', 'leasing/nowhere', 'not_found', { token: id }).catch(() => undefined);
      expect(await env.core.tokens.lookupById(id)).to.equal(undefined);
    });

    it('consumes a use on a request its policies deny', async () => {
      const id = await limitedToken(2);
      await env.fails('update', 'sys/policies/acl/other', 'permission_denied', { token: id, data: { policy: '' } });
      expect((await env.core.tokens.lookupById(id))?.numUses).to.equal(1);
    });

    it('revokes the token after the request that took its last use, which itself still completes', async () => {
      const id = await limitedToken(1);
      const accessor = (await env.core.tokens.lookupById(id))?.accessor;
      const res = await env.call('read', 'auth/token/lookup-self', { token: id });
      expect(res?.data?.accessor).to.equal(accessor);
      expect(await env.core.tokens.lookupById(id, { includeRevocationPending: true })).to.equal(undefined);
      await env.fails('read', 'leasing/values/app', 'permission_denied', { token: id });
    });

    it("answers capabilities-self on the request that takes the token's last use", async () => {
      const id = await limitedToken(1);
      const res = await env.call('update', 'sys/capabilities-self', { token: id, data: { paths: ['leasing/values/app'] } });
      expect(res?.data?.capabilities).to.have.members(['create', 'read', 'update']);
    });

    it('lets the last use create a child token, which is revoked with its parent', async () => {
      const id = await limitedToken(1);
      const child = (await env.call('update', 'auth/token/create', { token: id, data: { policies: ['app'] } }))?.auth?.clientToken as string;
      expect(child).to.be.a('string');
      expect(await env.core.tokens.lookupById(child)).to.equal(undefined);
    });
  });
});

describe('TokenStore revocation and resolution, as the core wires them', () => {
  let env: InProcessCore;
  beforeEach(async () => {
    env = await startInProcessCore();
    await env.call('update', 'sys/policies/acl/creds', { data: { policy: 'path "leasing/creds/*" { capabilities = ["read"] }' } });
  });
  afterEach(() => env.core.sealCore());

  it("revokes a token's leases with the token (the expiration manager's revocation hook)", async () => {
    const id = (await env.call('update', 'auth/token/create', { data: { policies: ['creds'] } }))?.auth?.clientToken as string;
    const lease = await env.call('read', 'leasing/creds/app', { token: id, data: { ttl: '1h' } });
    expect(lease?.leaseId).to.be.a('string');
    expect(env.core.expiration.leaseCount).to.equal(1);
    await env.call('update', 'auth/token/revoke-self', { token: id });
    expect(await env.core.tokens.lookupById(id)).to.equal(undefined);
    expect(env.core.expiration.leaseCount).to.equal(0);
    expect(env.leasing.revoked).to.deep.equal([{ username: 'user-app' }]);
  });

  it("drops a wrapping token's stored response when the token is revoked (the response wrapper's hook)", async () => {
    const wrapped = await env.call('update', 'sys/wrapping/wrap', { data: { payload: 'wrapped-value' } });
    const entry = await env.core.tokens.lookupById(wrapped?.wrapInfo?.token as string);
    expect(entry).to.not.equal(undefined);
    const stored = `${layout.wrapping}response/${entry?.hash}`;
    expect(await env.core.barrier.get(stored)).to.not.equal(undefined);
    await env.core.tokens.revokeTree(entry as NonNullable<typeof entry>);
    expect(await env.core.barrier.get(stored)).to.equal(undefined);
  });

  it('resolves a JWT-form wrapping token to the wrapping token it signs, and nothing else', async () => {
    const wrapped = await env.call('update', 'sys/wrapping/wrap', { data: { payload: 'x' }, headers: { 'X-Vault-Wrap-Format': 'jwt' } });
    const jwt = wrapped?.wrapInfo?.token as string;
    expect(jwt.split('.')).to.have.length(3);
    const resolved = await env.core.resolveToken(jwt);
    expect(resolved?.policies).to.deep.equal(['response-wrapping']);
    expect(resolved?.accessor).to.equal(wrapped?.wrapInfo?.accessor);
    expect(await env.core.resolveToken('')).to.equal(undefined);
    expect(await env.core.resolveToken('hvs.not-a-token')).to.equal(undefined);
    expect((await env.core.resolveToken(env.rootToken))?.policies).to.deep.equal(['root']);
  });
});

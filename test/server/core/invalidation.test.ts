import { expect } from 'chai';
import { pino } from 'pino';
import type { BackendFactory } from '../../../server/core/core.js';
import { EVERYTHING, InvalidationDispatcher, ownersOf, type InvalidationHandlers, type InvalidationOwner } from '../../../server/core/invalidation.js';
import { PathTable } from '../../../server/core/path-table.js';
import { layout } from '../../../server/core/storage-layout.js';
import { startInProcessCore, type InProcessCore } from '../../helpers/in-process-core.js';

const silent = pino({ level: 'silent' });

/** Handlers that record which owner got which keys, in call order. */
function recordingHandlers(calls: [InvalidationOwner, readonly string[]][], failing?: InvalidationOwner): InvalidationHandlers {
  const handler = (owner: InvalidationOwner) => async (keys: readonly string[]) => {
    calls.push([owner, keys]);
    if (owner === failing) throw new Error(`${owner} reload failed`);
  };
  return {
    keyring: handler('keyring'),
    'index-header-key': handler('index-header-key'),
    'mount-table': handler('mount-table'),
    'auth-table': handler('auth-table'),
    policies: handler('policies'),
    'audit-devices': handler('audit-devices'),
    backends: handler('backends'),
  };
}

describe('invalidation owner table', () => {
  it('routes each stored key to its owner, in the table order (keyring first, backend caches last)', () => {
    const keys = [
      'logical/abc/data/x',
      'core/audit',
      'core/policy/dev',
      'local/core/auth',
      'core/index-header-hmac-key',
      'core/mounts',
      'core/keyring',
      'auth/def/user/bob',
    ];
    expect(ownersOf(keys)).to.deep.equal([
      { owner: 'keyring', keys: ['core/keyring'] },
      { owner: 'index-header-key', keys: ['core/index-header-hmac-key'] },
      { owner: 'mount-table', keys: ['core/mounts'] },
      { owner: 'auth-table', keys: ['local/core/auth'] },
      { owner: 'policies', keys: ['core/policy/dev'] },
      { owner: 'audit-devices', keys: ['core/audit'] },
      { owner: 'backends', keys: ['logical/abc/data/x', 'auth/def/user/bob'] },
    ]);
  });

  it('hands a removed prefix to every owner with keys below it, and "everything" to every owner', () => {
    expect(ownersOf(['core/']).map((o) => o.owner)).to.deep.equal(['keyring', 'index-header-key', 'mount-table', 'auth-table', 'policies', 'audit-devices']);
    expect(ownersOf(['logical/abc/']).map((o) => o.owner)).to.deep.equal(['backends']);
    expect(ownersOf([EVERYTHING]).map((o) => o.owner)).to.deep.equal([
      'keyring',
      'index-header-key',
      'mount-table',
      'auth-table',
      'policies',
      'audit-devices',
      'backends',
    ]);
  });

  it('leaves keys nobody caches alone (tokens, leases, look-alike names)', () => {
    expect(ownersOf(['local/token/id/x', 'local/expiration/id/y', 'core/mounts-backup', 'core/auditing', 'local/replication/state'])).to.deep.equal([]);
  });
});

describe('InvalidationDispatcher', () => {
  it('calls each owner once with its keys, in table order', async () => {
    const calls: [InvalidationOwner, readonly string[]][] = [];
    const dispatcher = new InvalidationDispatcher(recordingHandlers(calls), () => true, silent);
    await dispatcher.invalidate(['core/policy/a', 'core/keyring', 'core/policy/b']);
    expect(calls).to.deep.equal([
      ['keyring', ['core/keyring']],
      ['policies', ['core/policy/a', 'core/policy/b']],
    ]);
  });

  it('does nothing while the core is sealed', async () => {
    const calls: [InvalidationOwner, readonly string[]][] = [];
    await new InvalidationDispatcher(recordingHandlers(calls), () => false, silent).invalidate([EVERYTHING]);
    expect(calls).to.deep.equal([]);
  });

  it('still reaches the later owners when one fails, then reports the failure', async () => {
    const calls: [InvalidationOwner, readonly string[]][] = [];
    const dispatcher = new InvalidationDispatcher(recordingHandlers(calls, 'mount-table'), () => true, silent);
    const err = await dispatcher.invalidate(['core/mounts', 'core/audit']).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.equal('mount-table reload failed');
    expect(calls.map(([owner]) => owner)).to.deep.equal(['mount-table', 'audit-devices']);
  });
});

/**
 * Two cores over one storage, as a secondary (or an HA standby) sees writes it did not make:
 * `writer` changes state, `reader` is told which keys changed.
 */
describe('invalidation through a running core', () => {
  let writer: InProcessCore;
  let reader: InProcessCore;
  const invalidated: string[] = [];
  /** A backend that reports what it was told to invalidate. */
  const cachingBackend: BackendFactory = ({ storage }) =>
    Object.assign(
      new PathTable([
        {
          pattern: '(?<key>.+)',
          fields: { value: { type: 'string' } },
          operations: { update: async ({ captures, fields }) => (await storage.put(captures.key as string, Buffer.from(fields.string('value'))), {}) },
        },
      ]),
      { invalidate: async (key: string) => void invalidated.push(key) },
    );

  beforeEach(async () => {
    invalidated.length = 0;
    writer = await startInProcessCore({ backendsFor: () => ({ caching: cachingBackend }) });
    reader = await startInProcessCore({
      backendsFor: () => ({ caching: cachingBackend }),
      restart: { physical: writer.physical, unsealKeys: writer.unsealKeys, rootToken: writer.rootToken },
    });
  });
  afterEach(async () => {
    await reader.core.sealCore();
    await writer.core.sealCore();
  });

  it('reloads the mount table: a mount made elsewhere routes only after its key is invalidated', async () => {
    await writer.call('update', 'sys/mounts/elsewhere', { data: { type: 'kv' } });
    expect(reader.core.route('elsewhere/x')).to.equal(undefined);
    await reader.core.onReplicatedChange([layout.mountTable(false)]);
    expect(reader.core.route('elsewhere/x')?.entry.type).to.equal('kv');
    await writer.call('delete', 'sys/mounts/elsewhere');
    await reader.core.onReplicatedChange([layout.mountTable(false)]);
    expect(reader.core.route('elsewhere/x')).to.equal(undefined);
  });

  it('reloads the auth table', async () => {
    await writer.call('update', 'sys/auth/people', { data: { type: 'userpass' } });
    expect(reader.core.route('auth/people/login/bob')).to.equal(undefined);
    await reader.core.onReplicatedChange([layout.authTable(false)]);
    expect(reader.core.route('auth/people/login/bob')?.entry.type).to.equal('userpass');
  });

  it('reloads the audit devices: enabled and disabled elsewhere', async () => {
    await writer.call('update', 'sys/audit/shared', { data: { type: 'file', options: { file_path: 'discard' } } });
    expect(reader.core.audit.deviceCount).to.equal(0);
    await reader.core.onReplicatedChange([layout.auditTable(false)]);
    expect(reader.core.audit.deviceCount).to.equal(1);
    await writer.call('delete', 'sys/audit/shared');
    await reader.core.onReplicatedChange([layout.auditTable(false)]);
    expect(reader.core.audit.deviceCount).to.equal(0);
  });

  it('drops a cached policy that changed elsewhere', async () => {
    await writer.call('update', 'sys/policies/acl/dev', { data: { policy: 'path "secret/*" { capabilities = ["read"] }' } });
    await reader.core.onReplicatedChange([`${layout.policies}dev`]);
    expect((await reader.core.aclFor(['dev'])).check('secret/a', 'update').allowed).to.equal(false);
    await writer.call('update', 'sys/policies/acl/dev', { data: { policy: 'path "secret/*" { capabilities = ["update"] }' } });
    // Still the cached version until the change is routed to the policy store.
    expect((await reader.core.aclFor(['dev'])).check('secret/a', 'update').allowed).to.equal(false);
    await reader.core.onReplicatedChange([`${layout.policies}dev`]);
    expect((await reader.core.aclFor(['dev'])).check('secret/a', 'update').allowed).to.equal(true);
  });

  it('reloads the keyring: data written under a rotated key becomes readable', async () => {
    await writer.call('update', 'sys/rotate');
    await writer.call('update', 'sys/mounts/after-rotate', { data: { type: 'kv' } });
    const failed = await reader.core.onReplicatedChange([layout.mountTable(false)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed, 'the mount table is encrypted with a term the reader does not know yet').to.not.equal(undefined);
    await reader.core.onReplicatedChange([layout.keyring, layout.mountTable(false)]);
    expect(reader.core.route('after-rotate/x')?.entry.type).to.equal('kv');
  });

  it('hands a backend its own keys, relative to its storage view, through its invalidate hook', async () => {
    await writer.call('update', 'sys/mounts/cache', { data: { type: 'caching' } });
    await reader.core.onReplicatedChange([layout.mountTable(false)]);
    const entry = reader.core.route('cache/x')?.entry;
    expect(entry?.type).to.equal('caching');
    const prefix = layout.mountData(entry?.uuid as string, false);
    await writer.call('update', 'cache/some/key', { data: { value: 'v' } });
    await reader.core.onReplicatedChange([`${prefix}some/key`, 'logical/not-a-mount/x']);
    expect(invalidated).to.deep.equal(['some/key']);
    await reader.core.onReplicatedChange([EVERYTHING]);
    expect(invalidated).to.deep.equal(['some/key', '']);
  });

  it('ignores changes while sealed', async () => {
    await writer.call('update', 'sys/mounts/elsewhere', { data: { type: 'kv' } });
    await reader.core.sealCore();
    await reader.core.onReplicatedChange([EVERYTHING]);
    expect(reader.core.route('elsewhere/x')).to.equal(undefined);
  });
});

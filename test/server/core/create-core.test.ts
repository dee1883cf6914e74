import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DeviceAuditBroker } from '../../../server/core/audit/device-audit-broker.js';
import type { Core } from '../../../server/core/core.js';
import { createCore } from '../../../server/core/create-core.js';
import { ExpirationManager } from '../../../server/core/expiration/expiration-manager.js';
import { GenerateRoot } from '../../../server/core/generate-root.js';
import { InvalidationDispatcher } from '../../../server/core/invalidation.js';
import type { LogicalRequest } from '../../../server/core/logical.js';
import { MountTable } from '../../../server/core/mount-table.js';
import { PolicyStore } from '../../../server/core/policy-store.js';
import { Router } from '../../../server/core/router.js';
import { TokenStore } from '../../../server/core/token-store.js';
import { VaultError } from '../../../server/core/vault-error.js';
import { ResponseWrapper } from '../../../server/core/wrapping/response-wrapper.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';
import { startInProcessCore, type InProcessCore } from '../../helpers/in-process-core.js';

function newCore(physical = new MemoryBackend(), backends?: Parameters<typeof createCore>[0]['backends']): Core {
  return createCore({
    physical,
    logger: pino({ level: 'silent' }),
    clusterName: 't',
    apiAddr: 'http://127.0.0.1:1',
    clusterAddr: 'https://127.0.0.1:2',
    isDev: false,
    ...(backends === undefined ? {} : { backends }),
  });
}

function request(core: Core, operation: LogicalRequest['operation'], path: string, clientToken: string, data: Record<string, unknown> = {}): LogicalRequest {
  return { id: core.newRequestId(), operation, path, data, clientToken, query: {}, headers: {}, remoteAddress: '127.0.0.1' };
}

async function failure(promise: Promise<unknown>): Promise<VaultError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).to.be.instanceOf(VaultError);
  return err as VaultError;
}

describe('createCore', () => {
  it('builds a sealed, uninitialized core with every service as a typed field', async () => {
    const core = newCore();
    expect(core.isSealed).to.equal(true);
    expect(core.mounts).to.be.instanceOf(MountTable);
    expect(core.auths).to.be.instanceOf(MountTable);
    expect(core.router).to.be.instanceOf(Router);
    expect(core.policies).to.be.instanceOf(PolicyStore);
    expect(core.tokens).to.be.instanceOf(TokenStore);
    expect(core.expiration).to.be.instanceOf(ExpirationManager);
    expect(core.audit).to.be.instanceOf(DeviceAuditBroker);
    expect(core.wrapper).to.be.instanceOf(ResponseWrapper);
    expect(core.generateRoot).to.be.instanceOf(GenerateRoot);
    expect(core.invalidation).to.be.instanceOf(InvalidationDispatcher);
    expect(core.hasBackendType('kv')).to.equal(true);
    expect(core.hasBackendType('userpass')).to.equal(true);
    expect(core.replication.mode()).to.equal('disabled');
    // Sealed: the system backend answers seal-status; everything else is refused as sealed.
    const status = await core.handleRequest(request(core, 'read', 'sys/seal-status', ''));
    // seal-status is one of Vault's flat answers: its fields are the body, with no envelope.
    expect(JSON.parse(status?.raw?.body ?? '{}')).to.include({ sealed: true, initialized: false });
    expect((await failure(core.handleRequest(request(core, 'read', 'secret/x', '')))).code).to.equal('sealed');
  });

  it('registers only the backend types it is given, besides the built-in mounts', async () => {
    const core = newCore(new MemoryBackend(), {});
    expect(core.hasBackendType('kv')).to.equal(false);
    const { rootToken } = await core.initialize(1, 1, { stayUnsealed: true });
    try {
      const mounts = await core.handleRequest(request(core, 'read', 'sys/mounts', rootToken));
      expect(Object.keys(mounts?.data ?? {})).to.include.members(['sys/', 'cubbyhole/', 'identity/']);
      expect(core.route('auth/token/lookup-self')?.entry.type).to.equal('token');
    } finally {
      await core.sealCore();
    }
  });

  it('declares the post-response steps in Vault order: leases, then wrapping, then audit', () => {
    expect(newCore().postResponseSteps.map((step) => step.name)).to.deep.equal(['leases', 'wrapping', 'audit']);
  });

  describe('post-response steps through the core', () => {
    let env: InProcessCore;
    let dir: string;
    beforeEach(async () => {
      env = await startInProcessCore();
      dir = await mkdtemp(join(tmpdir(), 'ferry-create-core-'));
    });
    afterEach(async () => {
      await env.core.sealCore();
      await rm(dir, { recursive: true, force: true });
    });

    it('registers the lease before wrapping (the unwrapped secret keeps its lease id) and audits the wrapped response', async () => {
      const file = join(dir, 'audit.log');
      await env.call('update', 'sys/audit/file', { data: { type: 'file', options: { file_path: file } } });
      const wrapped = await env.call('read', 'leasing/creds/app', { data: { ttl: '1h' }, wrapTtlSeconds: 60 });
      expect(wrapped?.wrapInfo?.token).to.be.a('string');
      expect(wrapped?.leaseId).to.equal(undefined);
      expect(wrapped?.data).to.equal(null);
      const unwrapped = await env.call('update', 'sys/wrapping/unwrap', { data: { token: wrapped?.wrapInfo?.token } });
      expect(unwrapped?.leaseId).to.match(/^leasing\/creds\/app\//);
      expect(env.core.expiration.leaseCount).to.equal(1);
      const responses = (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; request: { path: string }; response?: { wrap_info?: unknown; data?: unknown } })
        .filter((entry) => entry.type === 'response' && entry.request.path === 'leasing/creds/app');
      expect(responses).to.have.length(1);
      expect(responses[0]?.response?.wrap_info).to.be.an('object');
      expect(responses[0]?.response?.data).to.equal(undefined);
    });
  });

  describe('sealed/unsealed life cycle', () => {
    it('initialize leaves it sealed; unseal loads the services; seal drops them again', async () => {
      const physical = new MemoryBackend();
      const core = newCore(physical);
      const { keys, rootToken } = await core.initialize(1, 1);
      expect(core.isSealed).to.equal(true);
      expect((await failure(core.handleRequest(request(core, 'read', 'sys/mounts', rootToken)))).code).to.equal('sealed');

      const unseal = async () => {
        expect((await core.seal.submitShare(keys[0] as Buffer)).sealed).to.equal(false);
        await core.postUnseal();
      };
      await unseal();
      expect(core.isSealed).to.equal(false);
      expect(core.route('sys/mounts')?.entry.type).to.equal('system');
      await core.handleRequest(request(core, 'update', 'sys/mounts/stored', rootToken, { type: 'kv' }));
      await core.handleRequest(request(core, 'update', 'sys/audit/discard', rootToken, { type: 'file', options: { file_path: 'discard' } }));
      expect(core.audit.deviceCount).to.equal(1);

      await core.sealCore();
      expect(core.isSealed).to.equal(true);
      expect(core.audit.deviceCount).to.equal(0);
      expect(core.route('stored/x')).to.equal(undefined);
      expect((await failure(core.handleRequest(request(core, 'read', 'stored/x', rootToken)))).code).to.equal('sealed');

      await unseal();
      expect(core.audit.deviceCount).to.equal(1);
      expect(core.route('stored/x')?.entry.type).to.equal('kv');
      expect((await core.handleRequest(request(core, 'read', 'auth/token/lookup-self', rootToken)))?.data?.policies).to.deep.equal(['root']);
      await core.sealCore();
    });

    it('runs hooks of the layers above after its own unseal steps and before its own seal steps', async () => {
      const core = newCore();
      const seen: string[] = [];
      core.addLifecycleHook({
        postUnseal: async () => void seen.push(`post-unseal sealed=${core.isSealed} audit-loaded=${core.audit.deviceCount}`),
        preSeal: async () => void seen.push(`pre-seal sealed=${core.isSealed} backends=${core.route('sys/mounts') !== undefined}`),
      });
      await core.initialize(1, 1);
      expect(seen).to.deep.equal(['post-unseal sealed=false audit-loaded=0', 'pre-seal sealed=true backends=true']);
    });

    it('attaches replication once: its role view and its sys/ paths', async () => {
      const core = newCore();
      const view = { mode: () => 'primary' as const };
      core.attachReplication(view, () => [{ pattern: 'replication/probe', operations: { read: async () => ({ data: { ok: true } }) } }]);
      expect(() => core.attachReplication(view, () => [])).to.throw(/already attached/);
      expect(core.replication.mode()).to.equal('primary');
      const { rootToken } = await core.initialize(1, 1, { stayUnsealed: true });
      try {
        expect((await core.handleRequest(request(core, 'read', 'sys/replication/probe', rootToken)))?.data).to.deep.equal({ ok: true });
      } finally {
        await core.sealCore();
      }
    });
  });
});

/**
 * An in-process Core over a MemoryBackend with the audit, wrapping, expiration and generate-root
 * services installed, plus a small `leasing` backend that issues leases and records revocations.
 * Used by the unit tests of those services; end-to-end behaviour is covered in test/e2e/.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import { installGenerateRoot } from '../../../server/backends/sys/sys-generate-root-paths.js';
import { installAudit } from '../../../server/backends/sys/sys-audit-paths.js';
import { installExpiration } from '../../../server/backends/sys/sys-leases-paths.js';
import { installWrapping } from '../../../server/backends/sys/sys-wrapping-paths.js';
import { systemBackend } from '../../../server/backends/sys/system-backend.js';
import { tokenBackend } from '../../../server/backends/token/token-backend.js';
import type { DeviceAuditBroker } from '../../../server/core/audit/device-audit-broker.js';
import { Core, type BackendFactory } from '../../../server/core/core.js';
import type { ExpirationManager } from '../../../server/core/expiration/expiration-manager.js';
import type { GenerateRoot } from '../../../server/core/generate-root.js';
import type { LogicalResponse, Operation } from '../../../server/core/logical.js';
import { PathTable } from '../../../server/core/path-table.js';
import { VaultError } from '../../../server/core/vault-error.js';
import type { ResponseWrapper } from '../../../server/core/wrapping/response-wrapper.js';
import { MemoryBackend } from '../../../server/storage/memory-backend.js';

export interface CallOptions {
  /** Omitted: the root token. */
  readonly token?: string;
  readonly data?: Record<string, unknown>;
  readonly wrapTtlSeconds?: number;
  readonly headers?: Record<string, string>;
}

/** What the `leasing` test backend has been asked to revoke, and whether revocation should fail. */
export interface LeasingBackendState {
  revoked: Record<string, unknown>[];
  failRevocation: boolean;
}

export interface ServiceTestCore {
  readonly core: Core;
  readonly physical: MemoryBackend;
  readonly rootToken: string;
  readonly unsealKeys: Buffer[];
  readonly audit: DeviceAuditBroker;
  readonly wrapper: ResponseWrapper;
  readonly expiration: ExpirationManager;
  readonly generateRoot: GenerateRoot;
  readonly leasing: LeasingBackendState;
  call(operation: Operation, path: string, options?: CallOptions): Promise<LogicalResponse | undefined>;
  fails(operation: Operation, path: string, code: VaultError['code'], options?: CallOptions): Promise<VaultError>;
}

/** A backend that stores values at any path and issues a lease on `creds/<name>`. */
function leasingBackend(state: LeasingBackendState): BackendFactory {
  return ({ storage }) => {
    const table = new PathTable([
      {
        pattern: 'creds/(?<name>[^/]+)',
        fields: { ttl: { type: 'duration' } },
        operations: {
          read: async ({ captures, fields }) => ({
            data: { username: `user-${captures.name}`, password: 'generated-password' },
            secret: { ttlSeconds: fields.seconds('ttl'), renewable: true, internal: { username: `user-${captures.name}` } },
          }),
        },
      },
      {
        pattern: 'values/(?<name>.+)',
        fields: { value: { type: 'string' } },
        operations: {
          read: async ({ captures }) => {
            const raw = await storage.get(captures.name as string);
            return raw === undefined ? undefined : { data: JSON.parse(raw.toString('utf8')) as Record<string, unknown> };
          },
          update: async ({ captures, req }) => {
            await storage.put(captures.name as string, Buffer.from(JSON.stringify(req.data)));
            return {};
          },
        },
      },
    ]);
    return Object.assign(table, {
      revokeLease: async (internal: Record<string, unknown>) => {
        if (state.failRevocation) throw new Error('backend down');
        state.revoked.push(internal);
      },
    });
  };
}

export interface ServiceTestCoreOptions {
  readonly shares?: number;
  readonly threshold?: number;
  readonly sweepIntervalMs?: number;
  /** Reopen existing storage (a restart): unseal with these keys instead of initializing. */
  readonly restart?: { physical: MemoryBackend; unsealKeys: Buffer[]; rootToken: string };
}

export async function startServiceTestCore(options: ServiceTestCoreOptions = {}): Promise<ServiceTestCore> {
  const physical = options.restart?.physical ?? new MemoryBackend();
  const core = new Core({
    physical,
    logger: pino({ level: 'silent' }),
    clusterName: 'test',
    apiAddr: 'http://127.0.0.1:8200',
    clusterAddr: 'https://127.0.0.1:8201',
    isDev: false,
  });
  const leasing: LeasingBackendState = { revoked: [], failRevocation: false };
  core.registerBuiltin('sys/', systemBackend);
  core.registerBuiltin('auth/token/', tokenBackend);
  core.registerBackend('leasing', leasingBackend(leasing));
  // A kv-typed mount of the same backend: kv responses keep their TTL but never get a lease.
  core.registerBackend('kv', leasingBackend(leasing));
  const expiration = installExpiration(core, { sweepIntervalMs: options.sweepIntervalMs ?? 100 });
  const wrapper = installWrapping(core);
  const audit = installAudit(core);
  const generateRoot = installGenerateRoot(core);
  let rootToken: string;
  let keys: Buffer[];
  if (options.restart) {
    ({ rootToken, unsealKeys: keys } = options.restart);
    for (const key of keys) await core.seal.submitShare(key);
    await core.postUnseal();
  } else {
    ({ rootToken, keys } = await core.initialize(options.shares ?? 1, options.threshold ?? 1, { stayUnsealed: true }));
  }
  let counter = 0;
  const call = (operation: Operation, path: string, callOptions: CallOptions = {}) =>
    core.handleRequest({
      id: `req-${++counter}`,
      operation,
      path,
      data: callOptions.data ?? {},
      clientToken: callOptions.token ?? rootToken,
      query: {},
      headers: callOptions.headers ?? {},
      remoteAddress: '127.0.0.1',
      ...(callOptions.wrapTtlSeconds === undefined ? {} : { wrapTtlSeconds: callOptions.wrapTtlSeconds }),
    });
  const fails = async (operation: Operation, path: string, code: VaultError['code'], callOptions?: CallOptions) => {
    try {
      await call(operation, path, callOptions);
    } catch (err) {
      expect(err).to.be.instanceOf(VaultError);
      expect((err as VaultError).code, (err as VaultError).message).to.equal(code);
      return err as VaultError;
    }
    return expect.fail(`${operation} ${path} succeeded, expected ${code}`);
  };
  if (!options.restart) await call('update', 'sys/mounts/leasing', { data: { type: 'leasing' } });
  return { core, physical, rootToken, unsealKeys: keys, audit, wrapper, expiration, generateRoot, leasing, call, fails };
}

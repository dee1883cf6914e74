/**
 * An in-process core built by `createCore` over a MemoryBackend, initialized and unsealed, for
 * unit tests of the core, its services and the backends. Besides the standard backends it
 * registers a small `leasing` backend (mounted at `leasing/`) that issues leases and records
 * revocations. End-to-end behaviour through HTTP and between processes is covered in test/e2e/.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import type { BackendFactory, Core } from '../../server/core/core.js';
import { createCore, STANDARD_BACKENDS } from '../../server/core/create-core.js';
import type { LogicalResponse, Operation } from '../../server/core/logical.js';
import { PathTable } from '../../server/core/path-table.js';
import { VaultError } from '../../server/core/vault-error.js';
import { MemoryBackend } from '../../server/storage/memory-backend.js';

export interface CallOptions {
  /** Omitted: the root token. */
  readonly token?: string;
  readonly data?: Record<string, unknown>;
  readonly query?: Record<string, string>;
  readonly remoteAddress?: string;
  readonly wrapTtlSeconds?: number;
  readonly headers?: Record<string, string>;
}

/** What the `leasing` test backend has been asked to revoke, and whether revocation should fail. */
export interface LeasingBackendState {
  revoked: Record<string, unknown>[];
  failRevocation: boolean;
}

export interface InProcessCore {
  readonly core: Core;
  readonly physical: MemoryBackend;
  readonly rootToken: string;
  readonly unsealKeys: Buffer[];
  readonly leasing: LeasingBackendState;
  call(operation: Operation, path: string, options?: CallOptions): Promise<LogicalResponse | undefined>;
  /** Expects the call to fail with a VaultError of this code; returns it. */
  fails(operation: Operation, path: string, code: VaultError['code'], options?: CallOptions): Promise<VaultError>;
  /** Seals the core and unseals it again with the init keys (backends are re-created). */
  sealAndUnseal(): Promise<void>;
}

export interface InProcessCoreOptions {
  readonly shares?: number;
  readonly threshold?: number;
  /** The expiration sweep interval; default 100 ms. */
  readonly sweepIntervalMs?: number;
  /** Extra or replacing backend types, given the leasing backend's state. */
  readonly backendsFor?: (leasing: LeasingBackendState) => Record<string, BackendFactory>;
  /** Reopen existing storage (a restart): unseal with these keys instead of initializing. */
  readonly restart?: { physical: MemoryBackend; unsealKeys: Buffer[]; rootToken: string };
}

/** A backend that stores values at any path and issues a lease on `creds/<name>`. */
export function leasingBackend(state: LeasingBackendState): BackendFactory {
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

export async function startInProcessCore(options: InProcessCoreOptions = {}): Promise<InProcessCore> {
  const physical = options.restart?.physical ?? new MemoryBackend();
  const leasing: LeasingBackendState = { revoked: [], failRevocation: false };
  const core = createCore({
    physical,
    logger: pino({ level: 'silent' }),
    clusterName: 'test',
    apiAddr: 'http://127.0.0.1:1',
    clusterAddr: 'https://127.0.0.1:2',
    isDev: false,
    expiration: { sweepIntervalMs: options.sweepIntervalMs ?? 100 },
    backends: { ...STANDARD_BACKENDS, leasing: leasingBackend(leasing), ...options.backendsFor?.(leasing) },
  });
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
  const call = (operation: Operation, path: string, callOptions: CallOptions = {}) => {
    const query = callOptions.query ?? {};
    return core.handleRequest({
      id: `req-${++counter}`,
      operation,
      path,
      // As the HTTP layer does: query parameters are the data of reads and lists.
      data: callOptions.data ?? (operation === 'read' || operation === 'list' ? { ...query } : {}),
      clientToken: callOptions.token ?? rootToken,
      query,
      headers: callOptions.headers ?? {},
      remoteAddress: callOptions.remoteAddress ?? '127.0.0.1',
      ...(callOptions.wrapTtlSeconds === undefined ? {} : { wrapTtlSeconds: callOptions.wrapTtlSeconds }),
    });
  };
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
  const sealAndUnseal = async () => {
    await core.sealCore();
    let sealed = true;
    for (const key of keys.slice(0, options.threshold ?? 1)) sealed = (await core.seal.submitShare(key)).sealed;
    expect(sealed).to.equal(false);
    await core.postUnseal();
  };
  if (!options.restart) await call('update', 'sys/mounts/leasing', { data: { type: 'leasing' } });
  return { core, physical, rootToken, unsealKeys: keys, leasing, call, fails, sealAndUnseal };
}

/** Creates a token with the given policies (root-issued, so no parent limits). */
export async function tokenWithPolicies(env: InProcessCore, policies: string[]): Promise<string> {
  const res = await env.call('update', 'auth/token/create', { data: { policies } });
  return res?.auth?.clientToken as string;
}

export async function writePolicy(env: InProcessCore, name: string, text: string): Promise<void> {
  await env.call('update', `sys/policies/acl/${name}`, { data: { policy: text } });
}

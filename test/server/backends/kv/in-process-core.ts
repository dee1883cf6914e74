/**
 * An in-process Core over a MemoryBackend with the backends of this area registered, for path-table
 * edge cases. End-to-end behaviour through HTTP is covered in test/e2e/.
 */
import { pino } from 'pino';
import { expect } from 'chai';
import { approleBackend } from '../../../../server/backends/approle/approle-backend.js';
import { cubbyholeBackend } from '../../../../server/backends/cubbyhole/cubbyhole-backend.js';
import { identityBackend } from '../../../../server/backends/identity/identity-backend.js';
import { kvBackend } from '../../../../server/backends/kv/kv-backend.js';
import { systemBackend } from '../../../../server/backends/sys/system-backend.js';
import { tokenBackend } from '../../../../server/backends/token/token-backend.js';
import { userpassBackend } from '../../../../server/backends/userpass/userpass-backend.js';
import { Core } from '../../../../server/core/core.js';
import type { LogicalResponse, Operation } from '../../../../server/core/logical.js';
import { VaultError } from '../../../../server/core/vault-error.js';
import { MemoryBackend } from '../../../../server/storage/memory-backend.js';

export interface CallOptions {
  /** Omitted: the root token. */
  readonly token?: string;
  readonly data?: Record<string, unknown>;
  readonly query?: Record<string, string>;
  readonly remoteAddress?: string;
}

export interface InProcessCore {
  readonly core: Core;
  readonly physical: MemoryBackend;
  readonly rootToken: string;
  /** Seals the core and unseals it again with the init key (backends are re-created). */
  sealAndUnseal(): Promise<void>;
  call(operation: Operation, path: string, options?: CallOptions): Promise<LogicalResponse | undefined>;
  /** Expects the call to fail with a VaultError of this code; returns it. */
  fails(operation: Operation, path: string, code: VaultError['code'], options?: CallOptions): Promise<VaultError>;
}

export async function startInProcessCore(): Promise<InProcessCore> {
  const physical = new MemoryBackend();
  const core = new Core({
    physical,
    logger: pino({ level: 'silent' }),
    clusterName: 'test',
    apiAddr: 'http://127.0.0.1:1',
    clusterAddr: 'https://127.0.0.1:2',
    isDev: false,
  });
  core.registerBuiltin('sys/', systemBackend);
  core.registerBuiltin('auth/token/', tokenBackend);
  core.registerBuiltin('cubbyhole/', cubbyholeBackend);
  core.registerBuiltin('identity/', identityBackend);
  core.registerBackend('kv', kvBackend);
  core.registerBackend('userpass', userpassBackend);
  core.registerBackend('approle', approleBackend);
  const { rootToken, keys } = await core.initialize(1, 1, { stayUnsealed: true });
  let counter = 0;
  const call = (operation: Operation, path: string, options: CallOptions = {}) => {
    const query = options.query ?? {};
    return core.handleRequest({
      id: `req-${++counter}`,
      operation,
      path,
      // As the HTTP layer does: query parameters are the data of reads and lists.
      data: options.data ?? (operation === 'read' || operation === 'list' ? { ...query } : {}),
      clientToken: options.token ?? rootToken,
      query,
      headers: {},
      remoteAddress: options.remoteAddress ?? '127.0.0.1',
    });
  };
  const fails = async (operation: Operation, path: string, code: VaultError['code'], options?: CallOptions) => {
    try {
      await call(operation, path, options);
    } catch (err) {
      expect(err).to.be.instanceOf(VaultError);
      expect((err as VaultError).code, (err as VaultError).message).to.equal(code);
      return err as VaultError;
    }
    expect.fail(`${operation} ${path} succeeded, expected ${code}`);
  };
  const sealAndUnseal = async () => {
    await core.sealCore();
    const progress = await core.seal.submitShare(keys[0] as Buffer);
    expect(progress.sealed).to.equal(false);
    await core.postUnseal();
  };
  return { core, physical, rootToken, sealAndUnseal, call, fails };
}

/** Creates a token with the given policies (root-issued, so no parent limits). */
export async function tokenWithPolicies(env: InProcessCore, policies: string[]): Promise<string> {
  const res = await env.call('update', 'auth/token/create', { data: { policies } });
  return res?.auth?.clientToken as string;
}

export async function writePolicy(env: InProcessCore, name: string, text: string): Promise<void> {
  await env.call('update', `sys/policies/acl/${name}`, { data: { policy: text } });
}

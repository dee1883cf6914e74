import type { Core } from '../../core/core.js';
import type { LogicalResponse } from '../../core/logical.js';
import type { PathDefinition } from '../../core/path-table.js';
import { decodeUnsealKey } from '../../core/seal.js';
import { invalidRequest } from '../../core/vault-error.js';
import { FERRY_VERSION } from '../../core/version.js';

/**
 * A flat JSON answer without Vault's envelope: Vault serves `sys/init`, `sys/seal-status`,
 * `sys/unseal`, `sys/leader` and `sys/health` from raw HTTP handlers, so their fields are the body.
 */
export function flatResponse(data: Record<string, unknown>, status = 200): LogicalResponse {
  return { raw: { contentType: 'application/json', body: JSON.stringify(data), status } };
}

/** Vault's unauthenticated seal lifecycle: init, unseal, seal-status; and seal, rotate, key-status. (health and leader: `sys-ha-paths.ts`.) */
export function sealPaths(core: Core): PathDefinition[] {
  const sealStatus = async (): Promise<Record<string, unknown>> => {
    const config = await core.seal.config();
    const progress = core.seal.progress;
    // A standby may briefly hold an older keyring than storage (it follows within a tick): no id then, never an error.
    const clusterId = core.isSealed ? undefined : await core.clusterId().catch(() => undefined);
    return {
      type: 'shamir',
      initialized: config !== undefined,
      sealed: core.isSealed,
      t: config?.secret_threshold ?? 0,
      n: config?.secret_shares ?? 0,
      progress: progress.progress,
      nonce: progress.nonce,
      version: FERRY_VERSION,
      build_date: '2026-11-27T00:00:00Z',
      migration: false,
      cluster_name: core.options.clusterName,
      ...(clusterId === undefined ? {} : { cluster_id: clusterId }),
      recovery_seal: false,
      storage_type: core.physical.kind,
      // Vault's seal-status carries warnings: a node that sealed itself says why.
      ...(core.sealedReason === undefined ? {} : { warnings: [core.sealedReason] }),
    };
  };

  return [
    {
      pattern: 'init',
      fields: {
        secret_shares: { type: 'int', default: 0 },
        secret_threshold: { type: 'int', default: 0 },
        pgp_keys: { type: 'string-list' },
        root_token_pgp_key: { type: 'string' },
        stored_shares: { type: 'int' },
        recovery_shares: { type: 'int' },
        recovery_threshold: { type: 'int' },
        recovery_pgp_keys: { type: 'string-list' },
      },
      operations: {
        read: async () => flatResponse({ initialized: await core.barrier.isInitialized() }),
        update: async ({ fields }) => {
          if (fields.list('pgp_keys').length > 0 || fields.string('root_token_pgp_key') !== '') {
            throw invalidRequest('PGP-encrypted unseal keys are not supported');
          }
          const result = await core.initialize(fields.int('secret_shares'), fields.int('secret_threshold'));
          return flatResponse({
            keys: result.keys.map((k) => k.toString('hex')),
            keys_base64: result.keys.map((k) => k.toString('base64')),
            root_token: result.rootToken,
          });
        },
      },
    },
    {
      pattern: 'unseal',
      fields: { key: { type: 'raw' }, reset: { type: 'bool' }, migrate: { type: 'bool' } },
      operations: {
        update: async ({ fields }) => {
          if (fields.bool('reset')) {
            core.seal.resetProgress();
          } else {
            const rawKey = fields.get('key');
            if (rawKey !== undefined && typeof rawKey !== 'string') throw invalidRequest('invalid value for field "key": expected a string');
            const key = rawKey ?? '';
            if (key === '') throw invalidRequest("'key' must be specified in request body as JSON, or 'reset' set to true");
            if (!(await core.barrier.isInitialized())) throw invalidRequest('Vault is not initialized');
            const wasSealed = core.isSealed;
            const progress = await core.seal.submitShare(decodeUnsealKey(key));
            if (wasSealed && !progress.sealed) await core.postUnseal();
          }
          return flatResponse(await sealStatus());
        },
      },
    },
    {
      pattern: 'seal-status',
      operations: { read: async () => flatResponse(await sealStatus()) },
    },
    {
      pattern: 'seal',
      operations: {
        update: async () => {
          await core.sealCore();
          return {};
        },
      },
    },
    {
      pattern: 'rotate',
      operations: {
        update: async () => {
          await core.barrier.rotate(core.seal.currentRootKey());
          return {};
        },
      },
    },
    {
      pattern: 'key-status',
      operations: {
        read: async () => ({
          data: {
            term: core.barrier.activeTerm,
            install_time: core.barrier.termInstallTime(core.barrier.activeTerm) ?? '',
            encryptions: 0,
          },
          injectDataAtTopLevel: true,
        }),
      },
    },
  ];
}

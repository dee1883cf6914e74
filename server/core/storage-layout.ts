/**
 * Where everything lives in storage. Every key under LOCAL_PREFIX belongs to this cluster alone
 * (tokens, leases, local mounts, replication bookkeeping); everything else is replicated state.
 * `server/replication/keyset.ts` classifies each key (bookkeeping, cluster-local, replicated).
 */
export const LOCAL_PREFIX = 'local/';

export const layout = {
  sealConfig: 'core/seal-config',
  keyring: 'core/keyring',
  /** The HMAC key of X-Vault-Index states: replicated, so secondaries verify their primary's. */
  indexHeaderKey: 'core/index-header-hmac-key',
  policies: 'core/policy/',
  /** Token store roles: replicated, unlike the tokens made from them. */
  tokenRoles: 'core/token-roles/',
  /** Entities, groups and their aliases: replicated, as in Vault. */
  identity: 'identity/',
  mountTable: (local: boolean) => (local ? 'local/core/mounts' : 'core/mounts'),
  authTable: (local: boolean) => (local ? 'local/core/auth' : 'core/auth'),
  auditTable: (local: boolean) => (local ? 'local/core/audit' : 'core/audit'),
  mountData: (uuid: string, local: boolean) => `${local ? LOCAL_PREFIX : ''}logical/${uuid}/`,
  authData: (uuid: string, local: boolean) => `${local ? LOCAL_PREFIX : ''}auth/${uuid}/`,
  tokens: 'local/token/',
  leases: 'local/expiration/',
  cubbyhole: 'local/cubbyhole/',
  wrapping: 'local/wrapping/',
  clusterSecrets: 'local/core/cluster/',
  replication: 'local/replication/',
} as const;

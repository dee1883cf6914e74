import type { Core } from '../core/core.js';
import type { LoginAlias } from '../core/replication-role.js';
import { invalidRequest, isVaultError, VaultError } from '../core/vault-error.js';

/** The cluster endpoint a secondary asks its primary for the entity of a first login. */
export const LOGIN_ENTITY_PATH = '/v1/replication/login-entity';

/** What the secondary sends: the alias only (the login itself, and its token, stay on the secondary). */
export interface LoginEntityRequest {
  readonly mount_accessor: string;
  readonly alias_name: string;
  readonly metadata: Record<string, string>;
}

/** The primary's answer: the entity's id and the WAL index the secondary waits for. */
export interface LoginEntityAnswer {
  readonly entity_id: string;
  readonly wal_index: number;
}

export function loginEntityRequestOf(alias: LoginAlias): LoginEntityRequest {
  return { mount_accessor: alias.mountAccessor, alias_name: alias.aliasName, metadata: { ...alias.metadata } };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseLoginEntityRequest(body: unknown): LoginAlias {
  if (!isRecord(body)) throw invalidRequest('login entity request: expected a JSON object');
  const { mount_accessor: mountAccessor, alias_name: aliasName, metadata } = body;
  if (typeof mountAccessor !== 'string' || mountAccessor === '') throw invalidRequest('login entity request: invalid mount_accessor');
  if (typeof aliasName !== 'string' || aliasName === '') throw invalidRequest('login entity request: invalid alias_name');
  if (metadata !== undefined && (!isRecord(metadata) || !Object.values(metadata).every((v) => typeof v === 'string'))) {
    throw invalidRequest('login entity request: invalid metadata');
  }
  return { mountAccessor, aliasName, metadata: (metadata ?? {}) as Record<string, string> };
}

/**
 * On the primary: finds or creates the entity of a login alias on a replicated auth mount (the
 * identity store serializes this, so concurrent first logins on several clusters get one entity).
 * Answers the client-style status and body of the cluster channel.
 */
export async function handleLoginEntityRequest(core: Core, body: unknown, lastWal: () => number): Promise<{ status: number; body: unknown }> {
  try {
    const alias = parseLoginEntityRequest(body);
    const mount = core.auths.all().find((e) => e.accessor === alias.mountAccessor);
    if (mount === undefined || mount.local) throw invalidRequest('login entity request: no replicated auth mount has this accessor');
    const entity = await core.identity.entityForLogin(alias.mountAccessor, alias.aliasName, alias.metadata);
    if (entity === undefined) throw new VaultError('internal', 'login entity request: no entity was created');
    const answer: LoginEntityAnswer = { entity_id: entity.id, wal_index: lastWal() };
    return { status: 200, body: answer };
  } catch (err) {
    if (isVaultError(err)) return { status: err.status, body: { errors: err.messages } };
    throw err;
  }
}

/** The primary's answer as the secondary reads it; anything else is an error. */
export function parseLoginEntityAnswer(body: unknown): LoginEntityAnswer {
  if (!isRecord(body) || typeof body.entity_id !== 'string' || body.entity_id === '' || typeof body.wal_index !== 'number') {
    throw new Error('malformed login entity answer');
  }
  return { entity_id: body.entity_id, wal_index: body.wal_index };
}

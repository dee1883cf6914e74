import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { FieldData, FieldSchemas } from '../../core/field-data.js';
import { invalidRequest } from '../../core/vault-error.js';
import { applyTokenSettings, emptyTokenSettings, tokenSettingsFields, tokenSettingsView, type TokenSettings } from '../token/token-settings.js';
import { parseCidrField } from './approle-cidrs.js';

/** One AppRole role as stored in the mount's storage (replicated unless the mount is local). */
export interface AppRoleRole extends TokenSettings {
  role_id: string;
  bind_secret_id: boolean;
  secret_id_bound_cidrs: string[];
  secret_id_num_uses: number;
  secret_id_ttl: number;
  local_secret_ids: boolean;
  /** base64; keys the HMACs under which this role's secret IDs are stored. Never returned. */
  hmac_key: string;
}

/** Vault's role name rule: word characters, with '-' and '.' inside. Names are stored lower-case. */
export const ROLE_NAME = '(?<role_name>\\w(?:[\\w.-]*\\w)?)';

export const roleFields: FieldSchemas = {
  ...tokenSettingsFields,
  role_id: { type: 'string' },
  bind_secret_id: { type: 'bool' },
  secret_id_bound_cidrs: { type: 'comma-list' },
  bound_cidr_list: { type: 'comma-list' },
  secret_id_num_uses: { type: 'int' },
  secret_id_ttl: { type: 'duration' },
  local_secret_ids: { type: 'bool' },
};

export function newRole(): AppRoleRole {
  return {
    ...emptyTokenSettings(),
    role_id: randomUUID(),
    bind_secret_id: true,
    secret_id_bound_cidrs: [],
    secret_id_num_uses: 0,
    secret_id_ttl: 0,
    local_secret_ids: false,
    hmac_key: randomBytes(32).toString('base64'),
  };
}

/** Applies a create/update request to a role; throws a 400 before anything is stored. */
export function applyRoleFields(role: AppRoleRole, fields: FieldData, isCreate: boolean): void {
  applyTokenSettings(role, fields);
  if (fields.has('bind_secret_id')) role.bind_secret_id = fields.bool('bind_secret_id');
  const cidrField = fields.has('secret_id_bound_cidrs') ? 'secret_id_bound_cidrs' : fields.has('bound_cidr_list') ? 'bound_cidr_list' : undefined;
  if (cidrField) role.secret_id_bound_cidrs = parseCidrField(fields, cidrField);
  if (fields.has('secret_id_num_uses')) {
    const uses = fields.int('secret_id_num_uses');
    if (uses < 0) throw invalidRequest('secret_id_num_uses cannot be negative');
    role.secret_id_num_uses = uses;
  }
  if (fields.has('secret_id_ttl')) role.secret_id_ttl = fields.seconds('secret_id_ttl');
  if (fields.has('role_id')) {
    const roleId = fields.string('role_id');
    if (roleId === '') throw invalidRequest('role_id cannot be empty');
    role.role_id = roleId;
  }
  if (fields.has('local_secret_ids')) {
    const local = fields.bool('local_secret_ids');
    if (!isCreate && local !== role.local_secret_ids) throw invalidRequest('local_secret_ids can only be modified during role creation');
    role.local_secret_ids = local;
  }
  checkRoleConstraints(role);
}

export function checkRoleConstraints(role: AppRoleRole): void {
  if (!role.bind_secret_id && role.secret_id_bound_cidrs.length === 0 && role.token_bound_cidrs.length === 0) {
    throw invalidRequest('at least one constraint should be enabled on the role');
  }
}

/** The read view (Vault's fields); the role ID has its own path and the HMAC key is never returned. */
export function roleView(role: AppRoleRole): Record<string, unknown> {
  return {
    ...tokenSettingsView(role),
    bind_secret_id: role.bind_secret_id,
    secret_id_bound_cidrs: role.secret_id_bound_cidrs,
    secret_id_num_uses: role.secret_id_num_uses,
    secret_id_ttl: role.secret_id_ttl,
    local_secret_ids: role.local_secret_ids,
  };
}

/** Storage key of the role-ID index entry: a digest, so listing storage does not reveal role IDs. */
export function roleIdKey(roleId: string): string {
  return `role_id/${createHash('sha256').update(roleId, 'utf8').digest('hex')}`;
}

/** HMAC-SHA256 under the role's key, hex: secret IDs are stored only as this. */
export function roleHmac(role: AppRoleRole, value: string): string {
  return createHmac('sha256', Buffer.from(role.hmac_key, 'base64')).update(value, 'utf8').digest('hex');
}

import type { FieldData, FieldSchemas } from '../../core/field-data.js';
import type { AliasInput, EntityInput, GroupInput } from '../../core/identity-model.js';
import type { LogicalResponse } from '../../core/logical.js';
import { invalidRequest, notFound } from '../../core/vault-error.js';

export const entityFields: FieldSchemas = {
  id: { type: 'string' },
  name: { type: 'string' },
  metadata: { type: 'map' },
  policies: { type: 'comma-list' },
  disabled: { type: 'bool' },
};

export const aliasFields: FieldSchemas = {
  id: { type: 'string' },
  name: { type: 'string' },
  canonical_id: { type: 'string' },
  mount_accessor: { type: 'string' },
  custom_metadata: { type: 'map' },
};

export const groupFields: FieldSchemas = {
  id: { type: 'string' },
  name: { type: 'string' },
  type: { type: 'string' },
  metadata: { type: 'map' },
  policies: { type: 'comma-list' },
  member_entity_ids: { type: 'comma-list' },
  member_group_ids: { type: 'comma-list' },
};

/** A map of strings (metadata); other value types are a 400. */
function stringMap(fields: FieldData, name: string): Record<string, string> {
  const map = fields.map(name);
  for (const value of Object.values(map)) if (typeof value !== 'string') throw invalidRequest(`${name} values must be strings`);
  return map as Record<string, string>;
}

const optional = <T>(fields: FieldData, name: string, read: () => T): T | undefined => (fields.has(name) ? read() : undefined);

export function entityInput(fields: FieldData): EntityInput {
  const input: EntityInput = {};
  const name = optional(fields, 'name', () => fields.string('name'));
  if (name !== undefined) input.name = name;
  const metadata = optional(fields, 'metadata', () => stringMap(fields, 'metadata'));
  if (metadata !== undefined) input.metadata = metadata;
  const policies = optional(fields, 'policies', () => fields.list('policies'));
  if (policies !== undefined) input.policies = policies;
  const disabled = optional(fields, 'disabled', () => fields.bool('disabled'));
  if (disabled !== undefined) input.disabled = disabled;
  return input;
}

export function aliasInput(fields: FieldData): AliasInput {
  const input: AliasInput = {};
  for (const name of ['name', 'canonical_id', 'mount_accessor'] as const) {
    const value = optional(fields, name, () => fields.string(name));
    if (value !== undefined) input[name] = value;
  }
  const custom = optional(fields, 'custom_metadata', () => stringMap(fields, 'custom_metadata'));
  if (custom !== undefined) input.custom_metadata = custom;
  return input;
}

export function groupInput(fields: FieldData): GroupInput {
  const input: GroupInput = {};
  for (const name of ['name', 'type'] as const) {
    const value = optional(fields, name, () => fields.string(name));
    if (value !== undefined) input[name] = value;
  }
  const metadata = optional(fields, 'metadata', () => stringMap(fields, 'metadata'));
  if (metadata !== undefined) input.metadata = metadata;
  for (const name of ['policies', 'member_entity_ids', 'member_group_ids'] as const) {
    const value = optional(fields, name, () => fields.list(name));
    if (value !== undefined) input[name] = value;
  }
  return input;
}

/** A LIST answer; an empty list is a 404, as in Vault. */
export function listResponse(keys: string[], keyInfo?: Record<string, unknown>): LogicalResponse {
  if (keys.length === 0) throw notFound();
  return { data: keyInfo === undefined ? { keys: keys.sort() } : { keys: keys.sort(), key_info: keyInfo } };
}

/** Path capture for an id or a name: one segment. */
export const SEGMENT = '[^/]+';

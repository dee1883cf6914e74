import type { FieldData } from '../../core/field-data.js';
import type { Entity, Group, LookupCriteria } from '../../core/identity-model.js';
import type { IdentityStore } from '../../core/identity-store.js';
import type { PathDefinition } from '../../core/path-table.js';
import { invalidRequest } from '../../core/vault-error.js';

const lookupFields = {
  id: { type: 'string' },
  name: { type: 'string' },
  alias_id: { type: 'string' },
  alias_name: { type: 'string' },
  alias_mount_accessor: { type: 'string' },
} as const;

/** Exactly one criterion: `id`, `name`, `alias_id`, or `alias_name` with `alias_mount_accessor`. */
function criteriaOf(fields: FieldData): LookupCriteria {
  const given = (n: string) => fields.has(n) && fields.string(n) !== '';
  const kinds = [given('id'), given('name'), given('alias_id'), given('alias_name') || given('alias_mount_accessor')].filter(Boolean).length;
  if (kinds === 0) throw invalidRequest('one of id, name, alias_id or alias_name with alias_mount_accessor must be provided');
  if (kinds > 1) throw invalidRequest('only one of id, name, alias_id or alias_name with alias_mount_accessor may be provided');
  if (given('id')) return { by: 'id', id: fields.string('id') };
  if (given('name')) return { by: 'name', name: fields.string('name') };
  if (given('alias_id')) return { by: 'alias_id', aliasId: fields.string('alias_id') };
  if (!given('alias_name') || !given('alias_mount_accessor')) throw invalidRequest('both alias_name and alias_mount_accessor must be provided');
  return { by: 'alias_name', aliasName: fields.string('alias_name'), mountAccessor: fields.string('alias_mount_accessor') };
}

/** `identity/lookup/{entity,group}`: the object's read view, or an empty 204 when nothing matches. */
export function lookupPaths(store: IdentityStore): PathDefinition[] {
  return (['entity', 'group'] as const).map((kind) => ({
    pattern: `lookup/${kind}`,
    fields: lookupFields,
    operations: {
      update: async ({ fields }) => {
        const found = await store.lookup(kind, criteriaOf(fields));
        if (found === undefined) return undefined;
        return { data: kind === 'entity' ? await store.entityView(found as Entity) : await store.groupView(found as Group) };
      },
    },
  }));
}

import type { Alias, Entity } from '../../core/identity-model.js';
import { aliasView } from '../../core/identity-model.js';
import type { IdentityStore } from '../../core/identity-store.js';
import type { PathDefinition } from '../../core/path-table.js';
import { notFound } from '../../core/vault-error.js';
import { aliasFields, aliasInput, entityFields, entityInput, listResponse, SEGMENT } from './identity-fields.js';

/** `identity/entity*` and `identity/entity-alias*`: entities by id and by name, their aliases by id. */
export function entityPaths(store: IdentityStore): PathDefinition[] {
  const readEntity = async (entity: Entity | undefined) => {
    if (entity === undefined) throw notFound();
    return { data: await store.entityView(entity) };
  };
  const upserted = ({ entity }: { entity: Entity }) => ({ data: { id: entity.id, name: entity.name, aliases: null } });
  const entityList = async (by: 'id' | 'name') => {
    const entities = await store.all<Entity>('entity');
    const aliases = await store.all<Alias>('entity-alias');
    const info: Record<string, unknown> = {};
    for (const e of entities) {
      const own = aliases.filter((a) => a.canonical_id === e.id).map((a) => ({ id: a.id, mount_accessor: a.mount_accessor, name: a.name }));
      info[by === 'id' ? e.id : e.name] = by === 'id' ? { name: e.name, aliases: own } : { id: e.id, aliases: own };
    }
    return listResponse(Object.keys(info), info);
  };
  return [
    {
      pattern: 'entity',
      fields: entityFields,
      operations: {
        update: async ({ fields }) => {
          const id = fields.optionalString('id');
          return upserted(await store.upsertEntity(id === '' ? undefined : id, entityInput(fields)));
        },
      },
    },
    { pattern: 'entity/id/?', operations: { list: () => entityList('id') } },
    { pattern: 'entity/name/?', operations: { list: () => entityList('name') } },
    {
      pattern: `entity/id/(?<id>${SEGMENT})`,
      fields: entityFields,
      exists: async ({ captures }) => (await store.get('entity', captures.id ?? '')) !== undefined,
      operations: {
        read: async ({ captures }) => readEntity(await store.get<Entity>('entity', captures.id ?? '')),
        update: async ({ captures, fields }) => upserted(await store.upsertEntity(captures.id ?? '', entityInput(fields))),
        delete: async ({ captures }) => (await store.deleteEntities([captures.id ?? '']), undefined),
      },
    },
    {
      pattern: `entity/name/(?<name>${SEGMENT})`,
      fields: entityFields,
      exists: async ({ captures }) => (await store.byName('entity', captures.name ?? '')) !== undefined,
      operations: {
        read: async ({ captures }) => readEntity(await store.byName<Entity>('entity', captures.name ?? '')),
        update: async ({ captures, fields }) => {
          const existing = await store.byName<Entity>('entity', captures.name ?? '');
          const result = await store.upsertEntity(existing?.id, { ...entityInput(fields), name: captures.name ?? '' });
          // As in Vault: creating answers the new entity, updating answers nothing.
          return result.created ? upserted(result) : undefined;
        },
        delete: async ({ captures }) => {
          const existing = await store.byName<Entity>('entity', captures.name ?? '');
          if (existing !== undefined) await store.deleteEntities([existing.id]);
          return undefined;
        },
      },
    },
    {
      pattern: 'entity/batch-delete',
      fields: { entity_ids: { type: 'comma-list', required: true } },
      operations: { update: async ({ fields }) => (await store.deleteEntities(fields.list('entity_ids')), undefined) },
    },
    {
      pattern: 'entity/merge',
      fields: {
        from_entity_ids: { type: 'comma-list', required: true },
        to_entity_id: { type: 'string', required: true },
        force: { type: 'bool' },
        conflicting_alias_ids_to_keep: { type: 'comma-list' },
      },
      operations: { update: async ({ fields }) => (await store.mergeEntities(fields.list('from_entity_ids'), fields.string('to_entity_id')), undefined) },
    },
    {
      pattern: 'entity-alias',
      fields: aliasFields,
      operations: {
        update: async ({ fields }) => {
          const id = fields.optionalString('id');
          const { alias } = await store.upsertAlias('entity-alias', id === '' ? undefined : id, aliasInput(fields));
          return { data: { id: alias.id, canonical_id: alias.canonical_id } };
        },
      },
    },
    {
      pattern: 'entity-alias/id/?',
      operations: {
        list: async () => {
          const info: Record<string, unknown> = {};
          for (const a of await store.all<Alias>('entity-alias')) {
            const mount = store.mount(a.mount_accessor);
            info[a.id] = {
              canonical_id: a.canonical_id,
              mount_accessor: a.mount_accessor,
              mount_type: mount?.type ?? '',
              mount_path: mount ? `auth/${mount.path}` : '',
              name: a.name,
            };
          }
          return listResponse(Object.keys(info), info);
        },
      },
    },
    {
      pattern: `entity-alias/id/(?<id>${SEGMENT})`,
      fields: aliasFields,
      operations: {
        read: async ({ captures }) => {
          const alias = await store.get<Alias>('entity-alias', captures.id ?? '');
          if (alias === undefined) throw notFound();
          return { data: aliasView(alias, store.mount(alias.mount_accessor)) };
        },
        update: async ({ captures, fields }) => {
          const { alias } = await store.upsertAlias('entity-alias', captures.id ?? '', aliasInput(fields));
          return { data: { id: alias.id, canonical_id: alias.canonical_id } };
        },
        delete: async ({ captures }) => (await store.deleteAlias('entity-alias', captures.id ?? ''), undefined),
      },
    },
  ];
}

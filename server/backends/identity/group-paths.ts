import type { Alias, Group } from '../../core/identity-model.js';
import { aliasView } from '../../core/identity-model.js';
import type { IdentityStore } from '../../core/identity-store.js';
import type { PathDefinition } from '../../core/path-table.js';
import { notFound } from '../../core/vault-error.js';
import { aliasFields, aliasInput, groupFields, groupInput, listResponse, SEGMENT } from './identity-fields.js';

/** `identity/group*` and `identity/group-alias*`: groups by id and by name, group aliases by id. */
export function groupPaths(store: IdentityStore): PathDefinition[] {
  const readGroup = async (group: Group | undefined) => {
    if (group === undefined) throw notFound();
    return { data: await store.groupView(group) };
  };
  const upserted = ({ group }: { group: Group }) => ({ data: { id: group.id, name: group.name } });
  const groupList = async (by: 'id' | 'name') => {
    const info: Record<string, unknown> = {};
    for (const g of await store.all<Group>('group'))
      info[by === 'id' ? g.id : g.name] = by === 'id' ? { name: g.name, num_member_entities: g.member_entity_ids.length, num_parent_groups: 0 } : { id: g.id };
    return listResponse(Object.keys(info), info);
  };
  const aliasData = (alias: Alias) => ({ data: { id: alias.id, canonical_id: alias.canonical_id } });
  return [
    {
      pattern: 'group',
      fields: groupFields,
      operations: {
        update: async ({ fields }) => {
          const id = fields.optionalString('id');
          return upserted(await store.upsertGroup(id === '' ? undefined : id, groupInput(fields)));
        },
      },
    },
    { pattern: 'group/id/?', operations: { list: () => groupList('id') } },
    { pattern: 'group/name/?', operations: { list: () => groupList('name') } },
    {
      pattern: `group/id/(?<id>${SEGMENT})`,
      fields: groupFields,
      exists: async ({ captures }) => (await store.get('group', captures.id ?? '')) !== undefined,
      operations: {
        read: async ({ captures }) => readGroup(await store.get<Group>('group', captures.id ?? '')),
        update: async ({ captures, fields }) => upserted(await store.upsertGroup(captures.id ?? '', groupInput(fields))),
        delete: async ({ captures }) => (await store.deleteGroup(captures.id ?? ''), undefined),
      },
    },
    {
      pattern: `group/name/(?<name>${SEGMENT})`,
      fields: groupFields,
      exists: async ({ captures }) => (await store.byName('group', captures.name ?? '')) !== undefined,
      operations: {
        read: async ({ captures }) => readGroup(await store.byName<Group>('group', captures.name ?? '')),
        update: async ({ captures, fields }) => {
          const existing = await store.byName<Group>('group', captures.name ?? '');
          const result = await store.upsertGroup(existing?.id, { ...groupInput(fields), name: captures.name ?? '' });
          return result.created ? upserted(result) : undefined;
        },
        delete: async ({ captures }) => {
          const existing = await store.byName<Group>('group', captures.name ?? '');
          if (existing !== undefined) await store.deleteGroup(existing.id);
          return undefined;
        },
      },
    },
    {
      pattern: 'group-alias',
      fields: aliasFields,
      operations: {
        update: async ({ fields }) => {
          const id = fields.optionalString('id');
          return aliasData((await store.upsertAlias('group-alias', id === '' ? undefined : id, aliasInput(fields))).alias);
        },
      },
    },
    {
      pattern: 'group-alias/id/?',
      operations: {
        list: async () => {
          const info: Record<string, unknown> = {};
          for (const a of await store.all<Alias>('group-alias')) info[a.id] = { canonical_id: a.canonical_id, mount_accessor: a.mount_accessor, name: a.name };
          return listResponse(Object.keys(info), info);
        },
      },
    },
    {
      pattern: `group-alias/id/(?<id>${SEGMENT})`,
      fields: aliasFields,
      operations: {
        read: async ({ captures }) => {
          const alias = await store.get<Alias>('group-alias', captures.id ?? '');
          if (alias === undefined) throw notFound();
          return { data: aliasView(alias, store.mount(alias.mount_accessor)) };
        },
        update: async ({ captures, fields }) => aliasData((await store.upsertAlias('group-alias', captures.id ?? '', aliasInput(fields))).alias),
        delete: async ({ captures }) => (await store.deleteAlias('group-alias', captures.id ?? ''), undefined),
      },
    },
  ];
}

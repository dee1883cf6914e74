import { randomUUID } from 'node:crypto';
import type { LogicalStorage } from './barrier.js';
import {
  aliasView,
  ancestorsOf,
  nameKey,
  normalizeIdentityPolicies,
  nowIso,
  type Alias,
  type AliasInput,
  type AuthMountInfo,
  type Entity,
  type EntityInput,
  type Group,
  type GroupInput,
  type IdentityKind,
  type LookupCriteria,
} from './identity-model.js';
import { planEntityMerge } from './identity-merge.js';
import { KeyedLock } from './keyed-lock.js';
import { invalidRequest, VaultError } from './vault-error.js';

type Stored = Entity | Alias | Group;
type StorageOp = { op: 'put'; key: string; value: Buffer } | { op: 'delete'; key: string };

const idKey = (kind: IdentityKind, id: string) => `${kind}/id/${id}`;
/** Entities and groups are indexed by name; aliases by (mount accessor, name). */
const indexKey = (kind: IdentityKind, obj: Stored): string =>
  kind === 'entity-alias' || kind === 'group-alias'
    ? `${kind}/mount/${(obj as Alias).mount_accessor}/${nameKey(obj.name)}`
    : `${kind}/name/${nameKey(obj.name)}`;
const put = (key: string, value: unknown): StorageOp => ({ op: 'put', key, value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)) });

/**
 * The identity store: entities, entity aliases, groups and group aliases, in replicated storage
 * (a secondary sees the primary's objects and forwards its own edits). Every write runs under
 * one lock and commits the object with its index entries in one transaction, so names stay
 * unique. Nothing is cached: a replicated change is visible on the next read.
 */
export class IdentityStore {
  private readonly lock = new KeyedLock();

  constructor(
    private readonly storage: LogicalStorage,
    private readonly mountOf: (accessor: string) => AuthMountInfo | undefined,
  ) {}

  // ---- generic records ----

  async get<T extends Stored>(kind: IdentityKind, id: string): Promise<T | undefined> {
    if (id === '') return undefined;
    const raw = await this.storage.get(idKey(kind, id));
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as T);
  }

  async byName<T extends Stored>(kind: 'entity' | 'group', name: string): Promise<T | undefined> {
    const raw = await this.storage.get(`${kind}/name/${nameKey(name)}`);
    return raw === undefined ? undefined : this.get<T>(kind, raw.toString('utf8'));
  }

  async aliasByName(kind: 'entity-alias' | 'group-alias', mountAccessor: string, name: string): Promise<Alias | undefined> {
    const raw = await this.storage.get(`${kind}/mount/${mountAccessor}/${nameKey(name)}`);
    return raw === undefined ? undefined : this.get<Alias>(kind, raw.toString('utf8'));
  }

  async all<T extends Stored>(kind: IdentityKind): Promise<T[]> {
    const rows = await this.storage.scan(`${kind}/id/`);
    return rows.map((r) => JSON.parse(r.value.toString('utf8')) as T);
  }

  mount(accessor: string): AuthMountInfo | undefined {
    return this.mountOf(accessor);
  }

  private write(kind: IdentityKind, obj: Stored, previous: Stored | undefined, extra: StorageOp[] = []): Promise<void> {
    const ops: StorageOp[] = [put(idKey(kind, obj.id), obj), put(indexKey(kind, obj), obj.id), ...extra];
    if (previous !== undefined && indexKey(kind, previous) !== indexKey(kind, obj)) ops.push({ op: 'delete', key: indexKey(kind, previous) });
    return this.storage.transaction(ops);
  }

  private removeOps(kind: IdentityKind, obj: Stored): StorageOp[] {
    return [
      { op: 'delete', key: idKey(kind, obj.id) },
      { op: 'delete', key: indexKey(kind, obj) },
    ];
  }

  private serialized<T>(job: () => Promise<T>): Promise<T> {
    return this.lock.run('identity', job);
  }

  // ---- entities ----

  /** Creates an entity, or updates the one with `id` (or, without an id, the one already named `name`). */
  upsertEntity(id: string | undefined, input: EntityInput): Promise<{ entity: Entity; created: boolean }> {
    return this.serialized(async () => {
      let previous = id === undefined ? undefined : await this.get<Entity>('entity', id);
      if (id !== undefined && previous === undefined) throw invalidRequest('entity not found from id');
      if (previous === undefined && input.name !== undefined) previous = await this.byName<Entity>('entity', input.name);
      const now = nowIso();
      const newId = randomUUID();
      const entity: Entity = previous
        ? { ...previous, last_update_time: now }
        : { id: newId, name: `entity_${newId.slice(0, 8)}`, metadata: null, policies: [], disabled: false, creation_time: now, last_update_time: now };
      if (input.name !== undefined && input.name !== '') {
        const holder = await this.byName<Entity>('entity', input.name);
        if (holder !== undefined && holder.id !== entity.id) throw invalidRequest('entity name is already in use');
        entity.name = input.name;
      }
      if (input.metadata !== undefined) entity.metadata = Object.keys(input.metadata).length > 0 ? input.metadata : null;
      if (input.policies !== undefined) entity.policies = normalizeIdentityPolicies(input.policies);
      if (input.disabled !== undefined) entity.disabled = input.disabled;
      await this.write('entity', entity, previous);
      return { entity, created: previous === undefined };
    });
  }

  /** Deletes an entity with its aliases and its group memberships. */
  deleteEntities(ids: readonly string[]): Promise<void> {
    return this.serialized(async () => {
      const groups = await this.all<Group>('group');
      const aliases = await this.all<Alias>('entity-alias');
      for (const id of ids) {
        const entity = await this.get<Entity>('entity', id);
        if (entity === undefined) continue;
        const ops = this.removeOps('entity', entity);
        for (const alias of aliases.filter((a) => a.canonical_id === id)) ops.push(...this.removeOps('entity-alias', alias));
        for (const group of groups.filter((g) => g.member_entity_ids.includes(id))) {
          group.member_entity_ids = group.member_entity_ids.filter((m) => m !== id);
          ops.push(put(idKey('group', group.id), group));
        }
        await this.storage.transaction(ops);
      }
    });
  }

  /** An entity's read view: its aliases and the groups it belongs to, directly and through parents. */
  async entityView(entity: Entity): Promise<Record<string, unknown>> {
    const aliases = (await this.all<Alias>('entity-alias')).filter((a) => a.canonical_id === entity.id);
    const groups = await this.all<Group>('group');
    const direct = groups.filter((g) => g.member_entity_ids.includes(entity.id)).map((g) => g.id);
    const all = ancestorsOf(direct, groups);
    return {
      ...entity,
      aliases: aliases.map((a) => aliasView(a, this.mountOf(a.mount_accessor))),
      direct_group_ids: direct.sort(),
      group_ids: [...all].sort(),
      inherited_group_ids: [...all].filter((g) => !direct.includes(g)).sort(),
      merged_entity_ids: entity.merged_entity_ids ?? null,
      namespace_id: 'root',
      bucket_key: '',
    };
  }

  /** Merges entities into `toId` (Vault's `entity/merge`, see identity-merge.ts); the sources are deleted. */
  mergeEntities(fromIds: readonly string[], toId: string): Promise<void> {
    return this.serialized(async () => {
      const target = await this.get<Entity>('entity', toId);
      if (target === undefined) throw invalidRequest('entity id to merge to is invalid');
      const sources: Entity[] = [];
      for (const id of new Set(fromIds)) {
        if (id === toId) throw invalidRequest('to_entity_id should not be present in from_entity_ids');
        const source = await this.get<Entity>('entity', id);
        if (source === undefined) throw invalidRequest(`entity id to merge from is invalid: ${id}`);
        sources.push(source);
      }
      const plan = planEntityMerge(target, sources, await this.all<Alias>('entity-alias'), await this.all<Group>('group'), nowIso());
      const ops: StorageOp[] = [put(idKey('entity', toId), plan.entity), ...sources.flatMap((e) => this.removeOps('entity', e))];
      for (const alias of plan.aliases) ops.push(put(idKey('entity-alias', alias.id), alias));
      for (const group of plan.groups) ops.push(put(idKey('group', group.id), group));
      await this.storage.transaction(ops);
    });
  }

  // ---- aliases (entity aliases and group aliases) ----

  /** Creates or updates an alias; `kind` decides whether the canonical id is an entity or a group. */
  upsertAlias(kind: 'entity-alias' | 'group-alias', id: string | undefined, input: AliasInput): Promise<{ alias: Alias; created: boolean }> {
    return this.serialized(async () => {
      const previous = id === undefined ? undefined : await this.get<Alias>(kind, id);
      if (id !== undefined && previous === undefined) throw invalidRequest(`${kind === 'entity-alias' ? 'entity' : 'group'} alias not found from id`);
      const now = nowIso();
      const merged = {
        name: input.name ?? previous?.name ?? '',
        mount_accessor: input.mount_accessor ?? previous?.mount_accessor ?? '',
        canonical_id: input.canonical_id ?? previous?.canonical_id ?? '',
      };
      if (merged.name === '') throw invalidRequest('missing alias name');
      if (merged.mount_accessor === '') throw invalidRequest('missing mount_accessor');
      if (this.mountOf(merged.mount_accessor) === undefined) throw invalidRequest(`invalid mount accessor "${merged.mount_accessor}"`);
      const holder = await this.aliasByName(kind, merged.mount_accessor, merged.name);
      if (holder !== undefined && holder.id !== previous?.id) throw invalidRequest('combination of mount and alias name is already in use');
      if (kind === 'entity-alias') await this.checkEntityAliasTarget(merged.canonical_id, merged.mount_accessor, previous?.id);
      else await this.checkGroupAliasTarget(merged.canonical_id, previous?.id);
      const alias: Alias = {
        id: previous?.id ?? randomUUID(),
        ...merged,
        metadata: previous?.metadata ?? null,
        custom_metadata: input.custom_metadata ?? previous?.custom_metadata ?? null,
        creation_time: previous?.creation_time ?? now,
        last_update_time: now,
      };
      await this.write(kind, alias, previous);
      return { alias, created: previous === undefined };
    });
  }

  private async checkEntityAliasTarget(canonicalId: string, mountAccessor: string, selfId: string | undefined): Promise<void> {
    if (canonicalId === '') throw invalidRequest('missing canonical_id');
    if ((await this.get('entity', canonicalId)) === undefined) throw invalidRequest('invalid canonical ID');
    const sameMount = (await this.all<Alias>('entity-alias')).find(
      (a) => a.canonical_id === canonicalId && a.mount_accessor === mountAccessor && a.id !== selfId,
    );
    if (sameMount !== undefined) throw invalidRequest('alias already exists for requested entity and mount accessor');
  }

  private async checkGroupAliasTarget(canonicalId: string, selfId: string | undefined): Promise<void> {
    if (canonicalId === '') throw invalidRequest('missing canonical_id');
    const group = await this.get<Group>('group', canonicalId);
    if (group === undefined) throw invalidRequest('invalid canonical ID');
    if (group.type !== 'external') throw invalidRequest("alias can't be set on an internal group");
    const other = (await this.all<Alias>('group-alias')).find((a) => a.canonical_id === canonicalId && a.id !== selfId);
    if (other !== undefined) throw invalidRequest('group already has an alias');
  }

  deleteAlias(kind: 'entity-alias' | 'group-alias', id: string): Promise<void> {
    return this.serialized(async () => {
      const alias = await this.get<Alias>(kind, id);
      if (alias !== undefined) await this.storage.transaction(this.removeOps(kind, alias));
    });
  }

  // ---- groups ----

  upsertGroup(id: string | undefined, input: GroupInput): Promise<{ group: Group; created: boolean }> {
    return this.serialized(async () => {
      let previous = id === undefined ? undefined : await this.get<Group>('group', id);
      if (id !== undefined && previous === undefined) throw invalidRequest('group not found from id');
      if (previous === undefined && input.name !== undefined) previous = await this.byName<Group>('group', input.name);
      const type = input.type === undefined || input.type === '' ? (previous?.type ?? 'internal') : input.type;
      if (type !== 'internal' && type !== 'external') throw invalidRequest(`invalid group type "${type}"`);
      if (previous !== undefined && previous.type !== type) throw invalidRequest('group type cannot be changed');
      const now = nowIso();
      const newId = randomUUID();
      const group: Group = previous
        ? { ...previous, last_update_time: now }
        : {
            id: newId,
            name: `group_${newId.slice(0, 8)}`,
            type,
            metadata: null,
            policies: [],
            member_entity_ids: [],
            member_group_ids: [],
            creation_time: now,
            last_update_time: now,
          };
      if (input.name !== undefined && input.name !== '') {
        const holder = await this.byName<Group>('group', input.name);
        if (holder !== undefined && holder.id !== group.id) throw invalidRequest('group name is already in use');
        group.name = input.name;
      }
      if (input.metadata !== undefined) group.metadata = Object.keys(input.metadata).length > 0 ? input.metadata : null;
      if (input.policies !== undefined) group.policies = normalizeIdentityPolicies(input.policies);
      if (input.member_entity_ids !== undefined || input.member_group_ids !== undefined) {
        if (type === 'external') throw invalidRequest("member entities and groups can't be set manually for external groups");
      }
      if (input.member_entity_ids !== undefined) {
        const ids = [...new Set(input.member_entity_ids)];
        for (const e of ids) if ((await this.get('entity', e)) === undefined) throw invalidRequest(`invalid entity ID "${e}"`);
        group.member_entity_ids = ids;
      }
      if (input.member_group_ids !== undefined) {
        const ids = [...new Set(input.member_group_ids)];
        const groups = await this.all<Group>('group');
        for (const g of ids) {
          if (g === group.id) throw invalidRequest('group cannot be a member of itself');
          if (!groups.some((x) => x.id === g)) throw invalidRequest(`invalid group ID "${g}"`);
        }
        // A member group must not already contain this group (a cycle).
        const ancestors = ancestorsOf([group.id], groups);
        if (ids.some((g) => ancestors.has(g))) {
          throw invalidRequest('member group ID would create a cycle');
        }
        group.member_group_ids = ids;
      }
      await this.write('group', group, previous);
      return { group, created: previous === undefined };
    });
  }

  deleteGroup(id: string): Promise<void> {
    return this.serialized(async () => {
      const group = await this.get<Group>('group', id);
      if (group === undefined) return;
      const ops = this.removeOps('group', group);
      for (const alias of (await this.all<Alias>('group-alias')).filter((a) => a.canonical_id === id)) ops.push(...this.removeOps('group-alias', alias));
      for (const parent of (await this.all<Group>('group')).filter((g) => g.member_group_ids.includes(id))) {
        parent.member_group_ids = parent.member_group_ids.filter((m) => m !== id);
        ops.push(put(idKey('group', parent.id), parent));
      }
      await this.storage.transaction(ops);
    });
  }

  async groupView(group: Group): Promise<Record<string, unknown>> {
    const alias = (await this.all<Alias>('group-alias')).find((a) => a.canonical_id === group.id);
    const parents = (await this.all<Group>('group')).filter((g) => g.member_group_ids.includes(group.id)).map((g) => g.id);
    return {
      ...group,
      alias: alias === undefined ? {} : aliasView(alias, this.mountOf(alias.mount_accessor)),
      parent_group_ids: parents.sort(),
      modify_index: 0,
      namespace_id: 'root',
    };
  }

  // ---- lookups, logins, policies ----

  async lookup(kind: 'entity' | 'group', criteria: LookupCriteria): Promise<Entity | Group | undefined> {
    const aliasKind = kind === 'entity' ? 'entity-alias' : 'group-alias';
    switch (criteria.by) {
      case 'id':
        return this.get(kind, criteria.id);
      case 'name':
        return this.byName(kind, criteria.name);
      case 'alias_id': {
        const alias = await this.get<Alias>(aliasKind, criteria.aliasId);
        return alias === undefined ? undefined : this.get(kind, alias.canonical_id);
      }
      case 'alias_name': {
        const alias = await this.aliasByName(aliasKind, criteria.mountAccessor, criteria.aliasName);
        return alias === undefined ? undefined : this.get(kind, alias.canonical_id);
      }
    }
  }

  /**
   * The entity a login through `mountAccessor` as `aliasName` belongs to, created with its alias
   * on first login (as Vault's logins do). On a replication secondary the first login of a name
   * cannot write replicated state: this answers undefined, and `login-entity.ts` has the primary
   * create it.
   */
  async entityForLogin(mountAccessor: string, aliasName: string, metadata: Record<string, string>): Promise<Entity | undefined> {
    const existing = await this.aliasByName('entity-alias', mountAccessor, aliasName);
    if (existing !== undefined) return this.get<Entity>('entity', existing.canonical_id);
    try {
      return await this.serialized(async () => {
        const again = await this.aliasByName('entity-alias', mountAccessor, aliasName);
        if (again !== undefined) return this.get<Entity>('entity', again.canonical_id);
        const now = nowIso();
        const id = randomUUID();
        const entity: Entity = {
          id,
          name: `entity_${id.slice(0, 8)}`,
          metadata: null,
          policies: [],
          disabled: false,
          creation_time: now,
          last_update_time: now,
        };
        const alias: Alias = {
          id: randomUUID(),
          canonical_id: id,
          mount_accessor: mountAccessor,
          name: aliasName,
          metadata,
          custom_metadata: null,
          creation_time: now,
          last_update_time: now,
        };
        await this.write('entity', entity, undefined, [put(idKey('entity-alias', alias.id), alias), put(indexKey('entity-alias', alias), alias.id)]);
        return entity;
      });
    } catch (err) {
      if (err instanceof VaultError && err.code === 'read_only') return undefined;
      throw err;
    }
  }

  /** Policies an entity adds to its tokens: its own and those of every group it is in (directly or inherited). */
  async policiesOf(entityId: string): Promise<{ policies: string[]; disabled: boolean }> {
    const entity = await this.get<Entity>('entity', entityId);
    if (entity === undefined) return { policies: [], disabled: false };
    const groups = await this.all<Group>('group');
    const direct = groups.filter((g) => g.member_entity_ids.includes(entityId)).map((g) => g.id);
    const policies = [...entity.policies];
    for (const id of ancestorsOf(direct, groups)) policies.push(...(groups.find((g) => g.id === id)?.policies ?? []));
    return { policies: [...new Set(policies)], disabled: entity.disabled };
  }
}

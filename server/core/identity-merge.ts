import type { Alias, Entity, Group } from './identity-model.js';
import { normalizeIdentityPolicies } from './identity-model.js';
import { invalidRequest } from './vault-error.js';

/** What merging entities writes: the target as merged, and the aliases and groups that now point at it. */
export interface MergePlan {
  readonly entity: Entity;
  readonly aliases: Alias[];
  readonly groups: Group[];
}

/**
 * Plans Vault's `entity/merge`: the sources' aliases, policies and group memberships move to the
 * target (which records them in `merged_entity_ids`). Two aliases on one mount are a 400.
 */
export function planEntityMerge(target: Entity, sources: readonly Entity[], aliases: readonly Alias[], groups: readonly Group[], now: string): MergePlan {
  const ids = new Set(sources.map((e) => e.id));
  const mounts = aliases.filter((a) => a.canonical_id === target.id).map((a) => a.mount_accessor);
  const moved: Alias[] = [];
  for (const alias of aliases.filter((a) => ids.has(a.canonical_id))) {
    if (mounts.includes(alias.mount_accessor)) throw invalidRequest(`conflicting mount accessors in following alias IDs: ${alias.id}`);
    mounts.push(alias.mount_accessor);
    moved.push({ ...alias, canonical_id: target.id, last_update_time: now });
  }
  const regrouped = groups
    .filter((g) => g.member_entity_ids.some((m) => ids.has(m)))
    .map((g) => ({ ...g, member_entity_ids: [...new Set(g.member_entity_ids.map((m) => (ids.has(m) ? target.id : m)))] }));
  const entity: Entity = {
    ...target,
    policies: normalizeIdentityPolicies([...target.policies, ...sources.flatMap((e) => e.policies)]),
    merged_entity_ids: [...(target.merged_entity_ids ?? []), ...ids],
    last_update_time: now,
  };
  return { entity, aliases: moved, groups: regrouped };
}

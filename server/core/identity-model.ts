/**
 * Identity objects as stored (Vault's field names). Entities and groups are replicated state;
 * an alias ties an entity (or an external group) to a name on one auth mount.
 */
export interface Entity {
  id: string;
  name: string;
  metadata: Record<string, string> | null;
  policies: string[];
  disabled: boolean;
  creation_time: string;
  last_update_time: string;
  /** Entities merged into this one (`entity/merge`). */
  merged_entity_ids?: string[];
}

export interface Alias {
  id: string;
  canonical_id: string;
  mount_accessor: string;
  name: string;
  metadata: Record<string, string> | null;
  custom_metadata: Record<string, string> | null;
  creation_time: string;
  last_update_time: string;
}

export type GroupType = 'internal' | 'external';

export interface Group {
  id: string;
  name: string;
  type: GroupType;
  metadata: Record<string, string> | null;
  policies: string[];
  member_entity_ids: string[];
  member_group_ids: string[];
  creation_time: string;
  last_update_time: string;
}

/** The kinds of object the identity store keeps; each has an id record and a name index. */
export type IdentityKind = 'entity' | 'entity-alias' | 'group' | 'group-alias';

/** What an auth mount looks like to identity (for alias validation and views). */
export interface AuthMountInfo {
  readonly accessor: string;
  readonly type: string;
  readonly path: string;
}

/** Fields a client may set on an entity (absent = unchanged). */
export interface EntityInput {
  name?: string;
  metadata?: Record<string, string>;
  policies?: string[];
  disabled?: boolean;
}

export interface AliasInput {
  name?: string;
  canonical_id?: string;
  mount_accessor?: string;
  custom_metadata?: Record<string, string>;
}

export interface GroupInput {
  name?: string;
  type?: string;
  metadata?: Record<string, string>;
  policies?: string[];
  member_entity_ids?: string[];
  member_group_ids?: string[];
}

/** One of the lookup criteria of `identity/lookup/{entity,group}`. */
export type LookupCriteria =
  | { by: 'id'; id: string }
  | { by: 'name'; name: string }
  | { by: 'alias_id'; aliasId: string }
  | { by: 'alias_name'; aliasName: string; mountAccessor: string };

export const nowIso = (): string => new Date().toISOString();

/** Storage-safe form of a name (names may hold any character). */
export const nameKey = (name: string): string => Buffer.from(name, 'utf8').toString('hex');

/** Vault's shape of an alias in reads (with its mount's type and path). */
export function aliasView(alias: Alias, mount: AuthMountInfo | undefined): Record<string, unknown> {
  return {
    id: alias.id,
    canonical_id: alias.canonical_id,
    mount_accessor: alias.mount_accessor,
    mount_type: mount?.type ?? '',
    mount_path: mount === undefined ? '' : `auth/${mount.path}`,
    name: alias.name,
    metadata: alias.metadata,
    custom_metadata: alias.custom_metadata ?? {},
    creation_time: alias.creation_time,
    last_update_time: alias.last_update_time,
    merged_from_canonical_ids: null,
    local: false,
    namespace_id: 'root',
  };
}

/** Policy names as Vault stores them on identity objects: trimmed, de-duplicated, order kept. */
export function normalizeIdentityPolicies(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.trim()).filter((n) => n !== ''))];
}

/** The given groups and every group that contains them, transitively. */
export function ancestorsOf(start: readonly string[], groups: readonly Group[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...start];
  while (queue.length > 0) {
    const id = queue.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const g of groups) if (g.member_group_ids.includes(id)) queue.push(g.id);
  }
  return seen;
}

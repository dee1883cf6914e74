import { createHash } from 'node:crypto';
import type { MountTable } from '../core/mount-table.js';
import { DR_KEYSET, performanceKeyset, type Keyset } from './keyset.js';
import type { KnownSecondary, PathsFilter } from './replication-state.js';

/** The mount tables a paths filter's mount paths are resolved against. */
export interface FilterMounts {
  readonly mounts: MountTable;
  readonly auths: MountTable;
}

/**
 * The keyset a known secondary receives now: everything but bookkeeping for a DR secondary;
 * replicated keys less its paths filter's mounts for a performance one. Filter paths are resolved
 * against the current mount tables each time (a mount enabled after the filter is covered too).
 */
export function keysetOf(secondary: KnownSecondary, tables: FilterMounts): Keyset {
  if (secondary.kind === 'dr') return DR_KEYSET;
  const filter = secondary.pathsFilter;
  if (filter === undefined) return performanceKeyset();
  return performanceKeyset({ mode: filter.mode, prefixes: filterPrefixes(filter, tables) });
}

/**
 * The mount paths (`secret/`, `auth/userpass/`) whose data the secondary's keyset leaves out: its
 * mount table still lists them (the table is one replicated key), and it hides them, as Vault does.
 */
export function filteredMountPaths(secondary: KnownSecondary, tables: FilterMounts): string[] {
  if (secondary.kind === 'dr' || secondary.pathsFilter === undefined) return [];
  const keyset = keysetOf(secondary, tables);
  const out: string[] = [];
  for (const [table, base] of [
    [tables.mounts, ''],
    [tables.auths, 'auth/'],
  ] as const) {
    for (const entry of table.all()) {
      if (entry.local || entry.builtin === true) continue;
      if (!keyset.includesRegion(table.dataPrefix(entry))) out.push(base + entry.path);
    }
  }
  return out;
}

/** The data prefixes of the replicated mounts a filter names (unknown and local mounts name none). */
function filterPrefixes(filter: PathsFilter, tables: FilterMounts): string[] {
  const out: string[] = [];
  for (const path of filter.paths) {
    const table = path.startsWith('auth/') ? tables.auths : tables.mounts;
    const entry = table.get(path.startsWith('auth/') ? path.slice('auth/'.length) : path);
    if (entry !== undefined && !entry.local && entry.builtin !== true) out.push(table.dataPrefix(entry));
  }
  return out;
}

/**
 * A short digest of what decides a secondary's keyset (its kind and filter). The secondary keeps
 * the version it last synced under and presents it when it streams: a different one means its data
 * was shipped under another keyset, and it must resync (Merkle sync) before streaming on.
 */
export function keysetVersion(secondary: Pick<KnownSecondary, 'kind' | 'pathsFilter'> | undefined): string {
  const kind = secondary?.kind ?? 'performance';
  const filter = secondary?.pathsFilter;
  if (kind === 'performance' && filter === undefined) return UNFILTERED_VERSION;
  return createHash('sha256')
    .update(JSON.stringify([kind, filter === undefined ? null : [filter.mode, [...filter.paths].sort()]]))
    .digest('hex')
    .slice(0, 16);
}

/** The version of an unfiltered performance secondary, also what a secondary that presents none has. */
export const UNFILTERED_VERSION = 'performance';

import { normalizeMountPath } from '../core/mount-table.js';
import { invalidRequest, VaultError } from '../core/vault-error.js';
import type { KnownSecondary, PathsFilter, PrimaryState } from './replication-state.js';

/** Built-in mounts exist on every cluster and are not replicated mount data: a filter cannot name them. */
const BUILTIN_PATHS = new Set(['sys/', 'cubbyhole/', 'identity/', 'auth/token/']);

/** The most paths one filter may list (a guard against absurd bodies; Vault documents no limit). */
const MAX_PATHS = 1000;

/**
 * Checks a paths filter as `sys/replication/performance/primary/paths-filter/:id` receives it:
 * `mode` is `allow` (the default, as in Vault) or `deny`; `paths` is a non-empty list of mount
 * paths (`secret/`, `auth/userpass/`), normalized to one trailing slash, without duplicates. Any
 * mistake is a 400 naming the offending value; nothing is stored.
 */
export function parsePathsFilter(mode: string, paths: readonly string[]): PathsFilter {
  const chosen = mode === '' ? 'allow' : mode;
  if (chosen !== 'allow' && chosen !== 'deny') throw invalidRequest(`invalid mode "${mode}": must be "allow" or "deny"`);
  if (paths.length === 0) throw invalidRequest('paths must list at least one mount path');
  if (paths.length > MAX_PATHS) throw invalidRequest(`paths lists more than ${MAX_PATHS} mount paths`);
  const out: string[] = [];
  for (const raw of paths) {
    const path = normalizeFilterPath(raw);
    if (!out.includes(path)) out.push(path);
  }
  return { mode: chosen, paths: out };
}

function normalizeFilterPath(raw: string): string {
  const trimmed = raw.trim().replace(/^\/+/, '');
  const isAuth = trimmed.startsWith('auth/');
  let path: string;
  try {
    path = isAuth ? `auth/${normalizeMountPath(trimmed.slice('auth/'.length), 'auth')}` : normalizeMountPath(trimmed, 'mounts');
  } catch (err) {
    if (err instanceof VaultError) throw invalidRequest(`invalid path "${printable(raw)}" in paths: ${err.message}`);
    throw err;
  }
  if (BUILTIN_PATHS.has(path)) throw invalidRequest(`invalid path "${path}" in paths: built-in mounts are not replicated mount data and cannot be filtered`);
  return path;
}

/** A bad value echoed in an error, bounded and without control characters. */
function printable(raw: string): string {
  const shown = raw.replace(/[^\x20-\x7e]/g, '?');
  return shown.length > 80 ? `${shown.slice(0, 80)}…` : shown;
}

/**
 * The primary's state with secondary `id`'s paths filter set (or removed, when `filter` is
 * undefined). A 400 for an id no secondary token was issued for, or a DR secondary.
 */
export function withPathsFilter(state: PrimaryState, id: string, filter: PathsFilter | undefined): PrimaryState {
  const known = knownPerformanceSecondary(state, id);
  const { pathsFilter: _previous, ...rest } = known;
  const next: KnownSecondary = filter === undefined ? rest : { ...rest, pathsFilter: filter };
  return { ...state, secondaries: { ...state.secondaries, [id]: next } };
}

/** The secondary a paths filter request names; a 400 when there is none, or it is a DR secondary. */
export function knownPerformanceSecondary(state: PrimaryState, id: string): KnownSecondary {
  const known = state.secondaries[id];
  if (known === undefined) throw invalidRequest(`no secondary with id "${printable(id)}": paths filters are keyed by the id given to secondary-token`);
  if (known.kind === 'dr') throw invalidRequest(`secondary "${printable(id)}" is a DR secondary: paths filters apply to performance secondaries only`);
  return known;
}
